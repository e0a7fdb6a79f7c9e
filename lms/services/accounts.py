"""Accounts: create users, check passwords."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import ROLES, User

MIN_PASSWORD = 8


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
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"the username {username!r} is taken")
    user = User(username=username, display_name=display_name or username, role=role,
                password_hash=generate_password_hash(password), **profile)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Return the user with these credentials, or None."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    return user


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))
