"""Accounts: create users, check passwords."""

from __future__ import annotations

import secrets
import string
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import ROLES, User, new_session_token

MIN_PASSWORD = 12
#: A password needs this many different characters ("aaaaaaaaaaaa" and "abababababab" are guessed at once).
MIN_DISTINCT = 5
#: Django's list of 20,000 common passwords, reduced to what is left without the digits and symbols around them.
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
#: Words everyone at the academy would try first.
PLATFORM_WORDS = frozenset({"passerelle"})
_AROUND = string.digits + string.punctuation + string.whitespace


class AccountError(ValueError):
    """An account cannot be created as asked; the message says why."""


def create_user(session: Session, username: str, password: str, role: str, display_name: str = "",
                **profile: str) -> User:
    """Create an account with a hashed password."""
    username = username.strip()
    if not username:
        raise AccountError("a username is required")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
    check_new_password(password, username)
    if session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"the username {username!r} is taken")
    user = User(username=username, display_name=display_name or username, role=role,
                password_hash=generate_password_hash(password), **profile)
    session.add(user)
    session.flush()
    return user


def check_new_password(password: str, username: str) -> None:
    """Refuse a password that is short, common, or the username; raise :class:`AccountError` saying why."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    # "Password1234!" is "password" to anyone guessing: compare what is left without the digits around it.
    core = password.casefold().strip(_AROUND)
    if core and core == username.casefold().strip(_AROUND):
        raise AccountError("the password must not be the same as the username")
    if not core or core in _common_passwords() or core in PLATFORM_WORDS or len(set(password)) < MIN_DISTINCT:
        raise AccountError("the password is too common; choose a longer phrase of unrelated words")


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
    return session.get(User, user_id)


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))
