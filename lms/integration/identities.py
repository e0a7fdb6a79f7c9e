"""People who sign in elsewhere: a host application's users, another LMS's learners (LTI 1.3).

Each is known by the kind of system that vouches for them (a host application or an LTI platform: ``kind``), that
system (``issuer``) and its id for them there (``subject``); the first time they are seen they get a Passerelle
account of their own, and every later time the same account.  Kinds never share people: a platform registered
with the issuer of a host (by mistake or on purpose) cannot sign in the host's user 7 as its own subject "7".
Its actor id, and so its statements, never change, whatever the host later says about the person's name,
e-mail address or profile.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from authoring.locales import INTERFACE_LANGUAGES, N_

# Imported as a module: the accounts' services import the models, which import this module at their end.
from ..accounts import services as accounts
from ..models import Base, User, utcnow

#: Longest issuer and subject kept (an OpenID Connect ``sub`` is at most 255 characters).
MAX_ISSUER = MAX_SUBJECT = 255
#: The kinds of system that vouch for people: a host application Passerelle is mounted in, an LTI platform.
HOST, LTI = "host", "lti"
KINDS = (HOST, LTI)
#: The profile fields a host may give, besides the name and e-mail address.
PROFILE_FIELDS = ("country", "institution", "gender", "language", "timezone")
#: How many times a new identity is tried again when another request creates the same one, or takes its username.
ATTEMPTS = 5
#: Usernames made from the host's are kept to these characters; the rest become "-".
_UNUSUAL = re.compile(r"[^\w.@+-]+")


class ExternalIdentity(Base):
    """A person as another system knows them (``issuer``, ``subject``), and their account here."""

    __tablename__ = "external_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The kind of system and its issuer, as :func:`issuer_key` writes them ("lti:https://moodle.example.org").
    issuer: Mapped[str] = mapped_column(String(MAX_ISSUER + 8))
    subject: Mapped[str] = mapped_column(String(MAX_SUBJECT))
    # Erasing an account (lms.privacy) deletes its identities with it: the person is met anew next time.
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user: Mapped[User] = relationship()


def issuer_key(kind: str, issuer: str) -> str:
    """How the identities of ``kind`` of system (:data:`HOST` or :data:`LTI`) vouched for by ``issuer`` are kept:
    the one place that keeps kinds apart."""
    if kind not in KINDS:
        raise ValueError(f"no kind of identity {kind!r}")
    return f"{kind}:{issuer}"


def account_for(session: Session, kind: str, issuer: str, subject: str, *, display_name: str | None = None,
                email: str | None = None, username: str | None = None, profile: dict | None = None,
                role: str = "learner") -> User:
    """Return the account of the person ``subject`` of ``issuer`` (a system of ``kind``, :data:`HOST` or
    :data:`LTI`), creating it the first time they are seen.

    A new account gets a username made from ``username``, else the e-mail address, else the subject (with a
    number added if taken), no password anyone knows, and ``role``.  The name, e-mail address and ``profile``
    fields (country, institution, gender, language, timezone) are set when given, on creation and on every
    later call, so the account follows what the host knows; a value missing (None or empty) or not valid here
    (an unknown country code, say) is left as it was.  The username and role are the account's own after
    creation.  Runs in the caller's transaction; two requests creating the same identity at once get the
    same account.  Raises AccountError for an empty or too long issuer or subject, or an unknown role.
    """
    issuer, subject = _checked("issuer", issuer, MAX_ISSUER), _checked("subject", subject, MAX_SUBJECT)
    key = issuer_key(kind, issuer)
    fields = given_fields(display_name=display_name, email=email, **(profile or {}))
    accounts.check_field("role", role)
    user = _known(session, kind, issuer, subject, fields)
    if user is not None:
        return user
    _write_alone(session)
    for _attempt in range(ATTEMPTS):
        user = _known(session, kind, issuer, subject, fields)  # another request may have just created them
        if user is not None:
            return user
        name = free_username(session, username, fields.get("email"), subject)
        try:
            with session.begin_nested():
                user = accounts.create_user(session, name, None, role, **fields)
                session.add(ExternalIdentity(issuer=key, subject=subject, user=user))
                session.flush()
        except IntegrityError:
            continue  # another request created this identity, or took the username, at the same moment
        except accounts.AccountError:
            if accounts.find_user(session, name) is None:
                raise
            continue  # the username was taken by a request that finished after free_username looked
        return user
    raise accounts.AccountError(N_("The account of %(subject)s could not be created; try again."), subject=subject)


def _known(session: Session, kind: str, issuer: str, subject: str, fields: dict[str, str]) -> User | None:
    """The account of an identity seen before, brought up to date with ``fields``; None for a new identity."""
    identity = find_identity(session, kind, issuer, subject)
    if identity is None:
        return None
    user = identity.user
    changed = {name: value for name, value in fields.items() if getattr(user, name) != value}
    if changed:
        accounts.update_user(session, user, **changed)
    return user


def _write_alone(session: Session) -> None:
    """On SQLite, wait until this transaction is the database's one writer (PostgreSQL needs nothing).

    SQLite lets one transaction write at a time; one that has read and then finds that another has written
    since cannot write at all ("database is locked", without waiting).  Taking the right to write before reading
    what decides the new account makes concurrent requests wait their turn instead, and then see each other's.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE external_identities SET id = id WHERE 0"))


def find_identity(session: Session, kind: str, issuer: str, subject: str) -> ExternalIdentity | None:
    """The identity ``subject`` of ``issuer`` (a system of ``kind``), if it was seen before."""
    return session.scalar(select(ExternalIdentity).where(ExternalIdentity.issuer == issuer_key(kind, issuer),
                                                         ExternalIdentity.subject == subject))


def given_fields(**values) -> dict[str, str]:
    """The fields among ``values`` that a host gave and that are valid here, as they are stored.

    Names other than display_name, email and :data:`PROFILE_FIELDS` are ignored; a language such as
    "fr-FR" or "fr_FR" is taken as the interface language "fr" when only that one is offered.
    """
    fields = {}
    for name, value in values.items():
        if name not in ("display_name", "email", *PROFILE_FIELDS) or not isinstance(value, str) or not value.strip():
            continue
        if name == "language" and value not in INTERFACE_LANGUAGES:
            value = re.split(r"[-_]", value.strip(), maxsplit=1)[0].lower()
        try:
            fields[name] = accounts.check_field(name, value)
        except accounts.AccountError:
            continue
    return fields


def free_username(session: Session, *wishes: str | None) -> str:
    """A username no account has, made from the first of ``wishes`` that gives one (an e-mail address gives
    the part before the @), with "-2", "-3"... added when it is taken."""
    base = ""
    for wish in wishes:
        wish = (wish or "").strip().split("@", 1)[0]
        base = _UNUSUAL.sub("-", wish).strip("-.")
        if base:
            break
    base = (base or "user")[:accounts.LIMITS["username"] - 9]
    for number in range(1, 10):
        name = base if number == 1 else f"{base}-{number}"
        if accounts.find_user(session, name) is None:
            return name
    return f"{base}-{secrets.token_hex(4)}"  # many people of one name: a number no one guesses is as good


def _checked(what: str, value: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise accounts.AccountError(N_("An external identity needs its %(what)s."), what=what)
    if len(value) > limit:
        raise accounts.AccountError(N_("%(field)s: at most %(limit)s characters."), field=what, limit=limit)
    return value
