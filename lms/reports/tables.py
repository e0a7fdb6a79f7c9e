"""The one shape of a report table, which pages, charts and exports all draw from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: How a column's values are written: text, a count of people, a share (0..1), a score (0..1) or a number.
KINDS = ("text", "count", "share", "score", "number")


class Suppressed:
    """A cell computed from too few people to be shown (fewer than the smallest group setting): "< 5"."""

    def __init__(self, minimum: int = 5) -> None:
        self.minimum = minimum

    def __str__(self) -> str:
        return f"< {self.minimum}"

    def __repr__(self) -> str:
        return f"Suppressed({self.minimum})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Suppressed) and other.minimum == self.minimum

    def __hash__(self) -> int:
        return hash(("suppressed", self.minimum))


@dataclass
class Column:
    """A column: its key, its heading (already in the reader's language) and the kind of its values."""

    key: str
    label: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class Table:
    """A titled table: its columns and rows; a cell is str, int, float, None (no value) or :class:`Suppressed`."""

    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    description: str = ""  # a sentence saying what the table shows, for charts' and screen readers' sake
    name: str = "table"  # a file name for its exports: letters, digits and dashes

    def column(self, key: str) -> int:
        """The index of the column ``key``."""
        return next(i for i, column in enumerate(self.columns) if column.key == key)
