"""Domain services: they take a database session, never a request, and raise domain exceptions."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")

#: The largest id an integer key holds (PostgreSQL's ``integer``): a larger one names nothing.
LARGEST_ID = 2**31 - 1


class NotFound(Exception):
    """The thing asked for does not exist."""


def by_id(session: Session, model: type[T], key: int) -> T | None:
    """The row of ``model`` with this integer id, or None; an id no key can hold is None, not a database error."""
    if not isinstance(key, int) or not -LARGEST_ID - 1 <= key <= LARGEST_ID:
        return None
    return session.get(model, key)
