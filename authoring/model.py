"""The typed course model that every renderer and the LMS read.

A course is parsed once into these dataclasses; HTML pages, PPTX decks and
the package are all rendered from it.  ``line`` fields keep the 1-based
source line of each element so that later checks can point at it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field

SELF_PACED = "self-paced"
LIVE = "live"
MODULE_TYPES = (SELF_PACED, LIVE)

SINGLE_CHOICE = "single"
MULTIPLE_CHOICE = "multiple"
TRUE_FALSE = "true-false"
SHORT_TEXT = "text"
NUMERIC = "number"
QUESTION_KINDS = (SINGLE_CHOICE, MULTIPLE_CHOICE, TRUE_FALSE, SHORT_TEXT, NUMERIC)
CHOICE_KINDS = (SINGLE_CHOICE, MULTIPLE_CHOICE, TRUE_FALSE)


@dataclass
class Option:
    """One answer a learner may pick, with the feedback shown when they pick it."""

    text: str
    correct: bool
    feedback: str = ""
    line: int = 0


@dataclass
class Question:
    """A graded question; ``id`` is stable within its quiz.

    Choice questions (single, multiple, true-false) have ``options``; short-text
    questions list their accepted ``answers``; numeric ones a ``number`` and a
    ``tolerance``.  ``feedback`` explains the answer once the learner has tried.
    """

    id: str
    prompt: str
    kind: str
    options: list[Option] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    number: float | None = None
    tolerance: float = 0.0
    points: int = 1
    feedback: str = ""
    line: int = 0


@dataclass
class Quiz:
    """A graded quiz at the end of a self-paced module."""

    title: str
    questions: list[Question]
    pass_mark: float
    attempts: int = 0  # 0: as many as the learner wants
    line: int = 0

    @property
    def max_points(self) -> int:
        return sum(q.points for q in self.questions)


@dataclass
class Page:
    """A page of a self-paced module; ``body`` is its Markdown source."""

    id: str
    title: str
    body: str
    line: int = 0


@dataclass
class AgendaItem:
    """A timed block of a live session."""

    minutes: int
    text: str
    line: int = 0


@dataclass
class Slide:
    """A slide of a live session's deck, with the facilitator's notes.

    Activity slides (``kind == "activity"``) also carry their duration.
    """

    title: str
    bullets: list[str]
    notes: str = ""
    kind: str = "content"
    minutes: int | None = None
    line: int = 0


@dataclass
class Module:
    """A self-paced or live module of a course."""

    slug: str
    iri: str
    type: str
    title: str
    duration: int
    objectives: list[str] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    quiz: Quiz | None = None
    agenda: list[AgendaItem] = field(default_factory=list)
    slides: list[Slide] = field(default_factory=list)
    assets: dict[str, str] = field(default_factory=dict)  # image source as written -> path in the course

    @property
    def quiz_iri(self) -> str:
        return f"{self.iri}/quiz"

    def page_iri(self, page: Page) -> str:
        return f"{self.iri}/pages/{page.id}"

    def question_iri(self, question: Question) -> str:
        return f"{self.quiz_iri}/questions/{question.id}"

    def page(self, page_id: str) -> Page | None:
        return next((p for p in self.pages if p.id == page_id), None)


@dataclass
class Course:
    """A course: its identity, its audience and its modules in order."""

    iri: str
    slug: str
    title: str
    version: str
    description: str
    source_language: str
    languages: list[str]
    audience: str = ""
    objectives: list[str] = field(default_factory=list)
    modules: list[Module] = field(default_factory=list)

    def module(self, slug: str) -> Module | None:
        return next((m for m in self.modules if m.slug == slug), None)

    def to_dict(self) -> dict:
        """Return the course as plain JSON-ready data."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Course:
        """Rebuild a course from :meth:`to_dict`'s output; raise ``ValueError`` if malformed."""
        return _from_data(cls, data)


def _from_data(tp, data):
    """Build an instance of type ``tp`` from JSON data, checking shapes as it goes."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if data is None else _from_data(args[0], data)
    if origin is dict:
        if not isinstance(data, dict):
            raise ValueError(f"expected an object, got {type(data).__name__}")
        key_type, value_type = typing.get_args(tp)
        return {_from_data(key_type, k): _from_data(value_type, v) for k, v in data.items()}
    if origin is list:
        if not isinstance(data, list):
            raise ValueError(f"expected a list, got {type(data).__name__}")
        (item,) = typing.get_args(tp)
        return [_from_data(item, d) for d in data]
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ValueError(f"expected an object for {tp.__name__}")
        hints = typing.get_type_hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _from_data(hints[f.name], data[f.name])
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ValueError(f"{tp.__name__} is missing {f.name!r}")
        return tp(**kwargs)
    if tp is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
        raise ValueError(f"expected {tp.__name__}, got {type(data).__name__}")
    return data
