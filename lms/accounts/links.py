"""One-time links to set a password: signed, bound to the account and its current password, with an expiry.

Two kinds, signed apart so that one never passes for the other: the link an
admin gives a new account (:data:`SALT`, valid for days) and the link mailed to
whoever forgot their password (:data:`RESET_SALT`, valid for hours).

The token carries the account's id and a fingerprint of its password hash:
setting the password changes the hash, so a link works once, and a link made
before the password changed for another reason stops working too.
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from authoring.locales import N_

from ..models import User
from ..services import by_id
from .services import AccountError

#: Keeps these tokens apart from anything else signed with the same key (sessions, CSRF tokens).
SALT = "passerelle.accounts.set-password"
#: A link asked for from the log-in page ("Forgot your password?").
RESET_SALT = "passerelle.accounts.reset-password"


class LinkExpired(AccountError):
    """The link was right, but its time is over."""


def _serializer(secret: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=salt)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_token(secret: str, user: User, salt: str = SALT) -> str:
    """Return the token of a link that lets ``user`` set their password (once); ``salt`` says which kind."""
    return _serializer(secret, salt).dumps([user.id, _fingerprint(user)])


def user_for_token(session: Session, secret: str, token: str, max_age_days: float, salt: str = SALT) -> User:
    """Return the account a link is for, or raise :class:`AccountError` saying why it no longer works
    (:class:`LinkExpired` when it is only too old)."""
    try:
        user_id, fingerprint = _serializer(secret, salt).loads(token[:500], max_age=max_age_days * 24 * 3600)
    except SignatureExpired:
        raise LinkExpired(N_("This link has expired. Ask an administrator for a new one.")) from None
    except (BadSignature, TypeError, ValueError):
        raise AccountError(N_("This link is not valid. Check that it was copied whole.")) from None
    user = by_id(session, User, user_id)
    if user is None or not isinstance(fingerprint, str) or fingerprint != _fingerprint(user):
        raise AccountError(N_("This link has already been used. Log in, or ask an administrator for a new one."))
    if not user.active:
        raise AccountError(N_("This account is deactivated. Ask an administrator."))
    return user
