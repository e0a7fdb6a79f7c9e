"""Accounts: create and edit users and their profiles, check passwords, find and deactivate accounts.

Messages of :class:`AccountError` are marked for translation and formatted
with their parameters, so the web interface can show them in the reader's
language (``gettext(exc.message, **exc.params)``) and the CLI in English.
"""

from __future__ import annotations

import re
import secrets
import string
import zoneinfo
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from authoring.locales import INTERFACE_LANGUAGES, N_

from ..models import ROLES, User, new_session_token
from ..services import by_id

MIN_PASSWORD = 12
#: A password needs this many different characters ("aaaaaaaaaaaa" and "abababababab" are guessed at once).
MIN_DISTINCT = 5
#: Django's list of 20,000 common passwords, reduced to what is left without the digits and symbols around them.
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
#: Words everyone at the academy would try first.
PLATFORM_WORDS = frozenset({"passerelle"})
_AROUND = string.digits + string.punctuation + string.whitespace

#: Gender as M&E disaggregates it, stored as these codes and shown translated ("" when not recorded).
GENDERS = {"female": N_("Female"), "male": N_("Male"), "another": N_("Another gender"),
           "prefer_not_to_say": N_("Prefer not to say")}
#: Longest value of each text field (the columns' sizes).
LIMITS = {"username": 80, "display_name": 200, "email": 254, "institution": 200}
#: Two-letter codes in Babel's territory data that are not ISO 3166-1 countries: groupings, pseudo-locales,
#: the unknown region, and the codes ISO only reserves (Ascension, Canary Islands...) or assigns to no one (XK).
NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"})
#: Something@domain.tld, without spaces: what can be checked without sending a message.
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")


class AccountError(ValueError):
    """An account cannot be created or changed as asked; the message says why.

    ``message`` is the untranslated sentence with ``%(name)s`` placeholders, ``params`` their values.
    """

    def __init__(self, message: str, **params) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


class WrongPassword(AccountError):
    """The password given as the account's current one is not it."""


def create_user(session: Session, username: str, password: str | None, role: str, display_name: str = "",
                **profile: str) -> User:
    """Create an account with a hashed password.

    Without a password the account gets a random one no one knows, until its owner sets theirs
    (see :mod:`lms.accounts.links`). ``profile`` takes the fields of :func:`update_user`.
    """
    username = username.strip()
    if not username:
        raise AccountError(N_("A username is required."))
    if len(username) > LIMITS["username"]:
        raise AccountError(N_("%(field)s: at most %(limit)s characters."), field=FIELD_NAMES["username"],
                           limit=LIMITS["username"])
    if password is None:
        password_hash = generate_password_hash(secrets.token_urlsafe(32))
    else:
        check_new_password(password, username)
        password_hash = generate_password_hash(password)
    if session.scalar(select(User).where(User.username == username)):
        raise AccountError(N_("The username %(username)s is taken."), username=username)
    user = User(username=username, display_name=username, role="learner", password_hash=password_hash)
    update_user(session, user, display_name=display_name or username, role=role, **profile)
    session.add(user)
    session.flush()
    return user


def update_user(session: Session, user: User, **fields: str) -> User:
    """Change an account's name, role and profile (display_name, email, country, institution, gender, role,
    language, timezone), after checking every value; nothing changes if one is refused."""
    clean = {name: check_field(name, value) for name, value in fields.items()}
    for name, value in clean.items():
        setattr(user, name, value)
    session.flush()
    return user


def check_field(name: str, value: str) -> str:
    """Return a profile field's value as stored (trimmed, country upper-case), or raise :class:`AccountError`."""
    value = (value or "").strip()
    if name in LIMITS and len(value) > LIMITS[name]:
        raise AccountError(N_("%(field)s: at most %(limit)s characters."), field=FIELD_NAMES[name],
                           limit=LIMITS[name])
    if name == "display_name" and not value:
        raise AccountError(N_("A name is required."))
    if name == "role" and value not in ROLES:
        raise AccountError(N_("Unknown role %(value)s; choose from %(choices)s."), value=value,
                           choices=", ".join(ROLES))
    if name == "email" and value and not _EMAIL.fullmatch(value):
        raise AccountError(N_("%(value)s is not an e-mail address."), value=value)
    if name == "country":
        value = value.upper()
        if value and value not in countries("en"):
            raise AccountError(N_("%(value)s is not an ISO 3166 country code."), value=value)
    if name == "gender" and value and value not in GENDERS:
        raise AccountError(N_("Unknown gender %(value)s; choose from %(choices)s."), value=value,
                           choices=", ".join(GENDERS))
    if name == "language" and value not in INTERFACE_LANGUAGES:
        raise AccountError(N_("Unknown language %(value)s; choose from %(choices)s."), value=value,
                           choices=", ".join(INTERFACE_LANGUAGES))
    if name == "timezone" and value and value not in zoneinfo.available_timezones():
        raise AccountError(N_("%(value)s is not a time zone; write it as Region/City, e.g. Africa/Accra."),
                           value=value)
    if name not in FIELD_NAMES:
        raise AccountError(N_("Accounts have no field %(value)s."), value=name)
    return value


#: The fields of a profile, in the words of the interface.
FIELD_NAMES = {"username": N_("username"), "display_name": N_("name"), "email": N_("e-mail address"),
               "country": N_("country"), "institution": N_("institution"), "gender": N_("gender"),
               "role": N_("role"), "language": N_("language"), "timezone": N_("time zone")}


@lru_cache(maxsize=16)
def countries(language: str) -> dict[str, str]:
    """ISO 3166-1 alpha-2 codes and their names in ``language``, sorted by name (Babel's territory data)."""
    names = Locale.parse(language).territories
    found = {code: name for code, name in names.items()
             if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES}
    return dict(sorted(found.items(), key=lambda item: item[1].casefold()))


@lru_cache(maxsize=16)
def timezones(language: str) -> dict[str, str]:
    """The time zones to choose from, and their names in ``language`` ("Ghana", "United States — New York").

    Babel's zones of a territory, sorted by country; UTC first. Any zone the system knows is accepted all
    the same (:func:`check_field`), even if it is not listed.
    """
    locale = Locale.parse(language)
    named = {}
    for zone, territory in get_global("zone_territories").items():
        if len(territory) != 2 or territory in NOT_COUNTRIES or zone not in zoneinfo.available_timezones():
            continue
        country = locale.territories.get(territory, territory)
        city = get_timezone_location(zoneinfo.ZoneInfo(zone), locale=locale, return_city=True)
        named[zone] = country if city == country else f"{country} — {city}"
    return {"UTC": "UTC", **dict(sorted(named.items(), key=lambda item: item[1].casefold()))}


def check_new_password(password: str, username: str) -> None:
    """Refuse a password that is short, common, or the username; raise :class:`AccountError` saying why."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(N_("The password must have at least %(length)s characters."), length=MIN_PASSWORD)
    # "Password1234!" is "password" to anyone guessing: compare what is left without the digits around it.
    core = password.casefold().strip(_AROUND)
    if core and core == username.casefold().strip(_AROUND):
        raise AccountError(N_("The password must not be the same as the username."))
    if not core or core in _common_passwords() or core in PLATFORM_WORDS or len(set(password)) < MIN_DISTINCT:
        raise AccountError(N_("The password is too common; choose a longer phrase of unrelated words."))


@cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Return the user with these credentials, or None.

    An unknown username costs the same password check as a known one, so the
    time of an answer does not tell which accounts exist.
    """
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        check_password_hash(_stand_in_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


@cache
def _stand_in_hash() -> str:
    """A hash made like a real one (same method and cost) of a password no one knows."""
    return generate_password_hash(secrets.token_hex(16))


def end_sessions(session: Session, user: User) -> None:
    """End every session of ``user``: a session cookie kept from before (a copy, another device) stops working."""
    user.session_token = new_session_token()
    session.flush()


def get_user(session: Session, user_id: int) -> User | None:
    return by_id(session, User, user_id)


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def set_password(session: Session, user: User, password: str) -> None:
    """Give ``user`` a new password (checked against the policy); their other sessions end."""
    check_new_password(password, user.username)
    user.password_hash = generate_password_hash(password)
    end_sessions(session, user)


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Give ``user`` the password ``new`` if ``current`` is theirs (else :class:`WrongPassword`); their
    other sessions end."""
    if not check_password_hash(user.password_hash, current):
        raise WrongPassword(N_("This is not your current password."))
    set_password(session, user, new)


#: Most accounts one request for a new-password link mails (several may share an e-mail address).
MAX_RESET_ACCOUNTS = 5


def accounts_to_reset(session: Session, name: str) -> list[User]:
    """The active accounts with an e-mail address whose username, or e-mail address (in any case), is ``name``."""
    name = name.strip()[:LIMITS["email"]]
    if not name:
        return []
    query = (select(User).where(User.active.is_(True), User.email != "",
                                or_(User.username == name, func.lower(User.email) == name.lower()))
             .order_by(User.id).limit(MAX_RESET_ACCOUNTS))
    return list(session.scalars(query))


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivate an account (it can no longer log in and its sessions end) or reactivate it."""
    user.active = active
    if not active:
        end_sessions(session, user)
    session.flush()


#: The last page of accounts a search reaches: any further is empty anyway, and the database's offsets are bounded.
MAX_PAGE = 100_000


def search_users(session: Session, text: str = "", role: str = "", active: bool | None = None,
                 page: int = 1, per_page: int = 50) -> tuple[list[User], int]:
    """Return one page of the accounts matching ``text`` (in username, name, e-mail, institution),
    ``role`` and ``active``, by name, and how many match in all."""
    query = select(User)
    words = text.strip()[:200]
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in
                                  (User.username, User.display_name, User.email, User.institution))))
    if role:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active.is_(active))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    users = session.scalars(query.order_by(func.lower(User.display_name), User.id)
                            .offset((min(max(page, 1), MAX_PAGE) - 1) * per_page).limit(per_page)).all()
    return list(users), total
