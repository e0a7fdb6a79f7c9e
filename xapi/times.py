"""Times as the LRS stores and prints them: UTC, to the millisecond."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def timestamp(value: dt.datetime) -> str:
    """Format a time the way statements carry it (UTC, milliseconds)."""
    return value.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(value: str) -> dt.datetime:
    """Read an ISO 8601 time as a UTC time (one without a zone is taken as UTC).  Raises ValueError.

    Times are compared in UTC in the database, whatever offset a client used.
    """
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():  # +0130 -> +01:30
        text = text[:-2] + ":" + text[-2:]
    parsed = dt.datetime.fromisoformat(text)
    return parsed.astimezone(dt.timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
