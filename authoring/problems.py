"""Problems found in a course's sources, reported with file, line and a hint."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or doubtful) in a source file."""

    path: str
    line: int
    column: int
    severity: str  # "error" or "warning"
    message: str
    hint: str = ""

    def format(self) -> str:
        """Return the problem the way compilers print them: ``path:line:col: error: ...``."""
        text = f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class Problems:
    """Collect every problem of a build, so the author sees them all at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def error(self, path: str, line: int, message: str, hint: str = "", column: int = 1) -> None:
        self.items.append(Problem(str(path), line, column, "error", message, hint))

    def warning(self, path: str, line: int, message: str, hint: str = "", column: int = 1) -> None:
        self.items.append(Problem(str(path), line, column, "warning", message, hint))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def sorted(self) -> list[Problem]:
        return sorted(self.items)


class CourseError(Exception):
    """The sources of a course have errors; ``problems`` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.format() for p in problems))
