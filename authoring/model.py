"""The typed course model that every renderer and the LMS read.

A course is parsed once into these dataclasses; HTML pages, PPTX decks and
the package are all rendered from it.  ``line`` fields keep the 1-based
source line of each element so that later checks can point at it.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .locales import N_

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

LIKERT = "likert"
FREE_TEXT = "text"
SURVEY_KINDS = (LIKERT, FREE_TEXT)
DEFAULT_LIKERT_SCALE = [N_("Strongly disagree"), N_("Disagree"), N_("Neither agree nor disagree"), N_("Agree"),
                        N_("Strongly agree")]
#: What the platform calls a quiz, survey or scenario the author gave no title, and a true-false question's options.
DEFAULT_QUIZ_TITLE, DEFAULT_SURVEY_TITLE, DEFAULT_SCENARIO_TITLE = N_("Quiz"), N_("Survey"), N_("Scenario")
TRUE_LABEL, FALSE_LABEL = N_("True"), N_("False")

#: Who may grade a quiz: the device too, to give feedback with the network off (a practice quiz), or only the
#: server, whose answer key never reaches the browser (a test that counts).
DEVICE, SERVER = "device", "server"
GRADED_BY = (DEVICE, SERVER)

SUCCESS = "success"
FAILURE = "failure"
OUTCOMES = (SUCCESS, FAILURE)

#: How a trainer marks a learner at a live session (the LMS keeps the marks, the course names them): which
#: marks complete a live module is the course's choice, present and late unless its course.yaml says otherwise.
ATTENDANCE_MARKS = ("present", "late", "excused", "absent")
DEFAULT_LIVE_COMPLETION = ("present", "late")

#: The longest wait a follow-up survey may have after the course's completion: ten years, in days.
MAX_FOLLOW_UP_DAYS = 3650


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
    graded: str = DEVICE  # one of GRADED_BY

    @property
    def max_points(self) -> int:
        return sum(q.points for q in self.questions)

    @property
    def graded_on_server_only(self) -> bool:
        """Whether the answer key stays on the server (anything but a practice quiz is taken to be so)."""
        return self.graded != DEVICE


@dataclass
class SurveyItem:
    """An ungraded survey item: a Likert statement with its scale, or a free-text prompt."""

    id: str
    prompt: str
    kind: str
    scale: list[str] = field(default_factory=list)
    line: int = 0


@dataclass
class Survey:
    """An ungraded survey, e.g. satisfaction at the end of a module."""

    title: str
    items: list[SurveyItem]
    line: int = 0


@dataclass
class Choice:
    """A choice in a scenario step: what the learner decides and the step it leads to."""

    text: str
    goto: str
    consequence: str = ""  # Markdown shown with the next step
    line: int = 0


@dataclass
class Step:
    """A step of a branching scenario; a step without choices is an end state."""

    id: str
    body: str  # Markdown
    choices: list[Choice] = field(default_factory=list)
    outcome: str = ""  # for end steps: success, failure or ""
    line: int = 0

    @property
    def is_end(self) -> bool:
        return not self.choices


@dataclass
class Scenario:
    """A branching case: the learner's choices lead from the first step to an end and a debrief."""

    id: str
    title: str
    steps: list[Step]
    debrief: str = ""  # Markdown shown at every end
    line: int = 0

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def walk(self, path: list[str]) -> bool:
        """Tell whether ``path`` is a walk the learner could take from the first step."""
        if not path or not self.steps or path[0] != self.steps[0].id:
            return False
        for here, there in itertools.pairwise(path):
            step = self.step(here)
            if step is None or there not in {c.goto for c in step.choices}:
                return False
        return self.step(path[-1]) is not None


@dataclass
class Term:
    """A glossary entry."""

    term: str
    definition: str  # Markdown
    line: int = 0


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
class Picture:
    """A picture on a slide: its source as written and its alt text."""

    src: str
    alt: str


@dataclass
class Slide:
    """A slide of a live session's deck, with the facilitator's notes.

    ``tables`` hold rows of cell text, the first row being the header.  Activity slides
    (``kind == "activity"``) also carry their duration, group size and
    materials; their bullets are the instructions.
    """

    title: str
    bullets: list[str]
    notes: str = ""
    kind: str = "content"
    minutes: int | None = None
    tables: list[list[list[str]]] = field(default_factory=list)
    images: list[Picture] = field(default_factory=list)
    group: str = ""
    materials: list[str] = field(default_factory=list)
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
    prerequisites: list[str] = field(default_factory=list)  # slugs of modules to take first
    pages: list[Page] = field(default_factory=list)
    quiz: Quiz | None = None
    survey: Survey | None = None
    scenarios: list[Scenario] = field(default_factory=list)
    glossary: list[Term] = field(default_factory=list)
    agenda: list[AgendaItem] = field(default_factory=list)
    slides: list[Slide] = field(default_factory=list)
    handout: str = ""  # Markdown only participants' handouts show
    assets: dict[str, str] = field(default_factory=dict)  # image or file as written -> path in the course
    downloads: dict[str, int] = field(default_factory=dict)  # path in the course of a download -> bytes
    fallback: list[str] = field(default_factory=list)  # segments left in the source language by a translation
    images: dict[str, list[int]] = field(default_factory=dict)  # path in the course of an image -> [width, height] built

    @property
    def quiz_iri(self) -> str:
        return f"{self.iri}/quiz"

    def page_iri(self, page: Page) -> str:
        return f"{self.iri}/pages/{page.id}"

    def question_iri(self, question: Question) -> str:
        return f"{self.quiz_iri}/questions/{question.id}"

    @property
    def survey_iri(self) -> str:
        return f"{self.iri}/survey"

    def survey_item_iri(self, item: SurveyItem) -> str:
        return f"{self.survey_iri}/items/{item.id}"

    def scenario_iri(self, scenario: Scenario) -> str:
        return f"{self.iri}/scenarios/{scenario.id}"

    def page(self, page_id: str) -> Page | None:
        return next((p for p in self.pages if p.id == page_id), None)

    def scenario(self, scenario_id: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.id == scenario_id), None)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Module:
        """Rebuild a module from :meth:`to_dict`'s output; raise ``ValueError`` if malformed."""
        return _from_data(cls, data)


@dataclass
class CompletionRule:
    """A module the course requires, and the quiz score it requires if any."""

    module: str
    min_score: float | None = None
    line: int = 0


@dataclass
class KnowledgeTest:
    """A pre/post knowledge test: the quiz of module ``pre`` taken before the course, that of ``post`` after.

    With the same module for both, a learner's first graded attempt is their pre-test score and the best of
    their later graded attempts their post-test score; with two modules, the first graded attempt of each.
    """

    pre: str  # slug of the module whose quiz is the pre-test
    post: str  # slug of the module whose quiz is the post-test, maybe the same
    line: int = 0

    @property
    def same_quiz(self) -> bool:
        """Whether the post-test is the pre-test's quiz taken again."""
        return self.pre == self.post


@dataclass
class FollowUp:
    """The survey of a self-paced module, due ``after_days`` days after a learner completes the course.

    Only the answers given once it is due are follow-up answers; earlier ones are the module's own survey.
    """

    module: str
    after_days: int
    line: int = 0


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
    prerequisites: list[str] = field(default_factory=list)
    modules: list[Module] = field(default_factory=list)
    completion: list[CompletionRule] = field(default_factory=list)
    #: The attendance marks (of ATTENDANCE_MARKS) that complete a live module.
    live_completion: list[str] = field(default_factory=lambda: list(DEFAULT_LIVE_COMPLETION))
    knowledge: list[KnowledgeTest] = field(default_factory=list)  # pre/post knowledge tests, for M&E
    follow_up: FollowUp | None = None  # the behaviour survey some time after completion, for M&E
    language: str = ""  # the language of the text: a translation's, or "" for the source language
    fallback: list[str] = field(default_factory=list)  # segments left in the source language by a translation

    @property
    def text_language(self) -> str:
        """The language this course's text is in."""
        return self.language or self.source_language

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
    return _converter(tp)(data)


@functools.lru_cache(maxsize=None)
def _converter(tp) -> Callable[[Any], Any]:
    """Return the function that builds a ``tp`` from JSON data, worked out once per type."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = _converter(next(a for a in typing.get_args(tp) if a is not type(None)))
        return lambda data: None if data is None else inner(data)
    if origin is dict:
        key, value = (_converter(arg) for arg in typing.get_args(tp))

        def mapping(data):
            if not isinstance(data, dict):
                raise ValueError(f"expected an object, got {type(data).__name__}")
            return {key(k): value(v) for k, v in data.items()}
        return mapping
    if origin is list:
        (item,) = (_converter(arg) for arg in typing.get_args(tp))

        def sequence(data):
            if not isinstance(data, list):
                raise ValueError(f"expected a list, got {type(data).__name__}")
            return [item(d) for d in data]
        return sequence
    if dataclasses.is_dataclass(tp):
        return _record(tp)
    if tp is float:
        def number(data):
            if isinstance(data, float) or (isinstance(data, int) and not isinstance(data, bool)):
                return float(data)
            raise ValueError(f"expected float, got {type(data).__name__}")
        return number

    def plain(data):
        if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
            raise ValueError(f"expected {tp.__name__}, got {type(data).__name__}")
        return data
    return plain


def _record(tp) -> Callable[[dict], Any]:
    """Return the builder of a dataclass; its fields' builders are looked up on first use (types may nest)."""
    fields: tuple[tuple[str, Callable, bool], ...] | None = None

    def record(data):
        nonlocal fields
        if not isinstance(data, dict):
            raise ValueError(f"expected an object for {tp.__name__}")
        if fields is None:  # made whole, then set at once: threads may share this builder
            hints = typing.get_type_hints(tp)
            fields = tuple((f.name, _converter(hints[f.name]), f.default is dataclasses.MISSING
                            and f.default_factory is dataclasses.MISSING) for f in dataclasses.fields(tp))
        kwargs = {}
        for name, convert, required in fields:
            if name in data:
                kwargs[name] = convert(data[name])
            elif required:
                raise ValueError(f"{tp.__name__} is missing {name!r}")
        return tp(**kwargs)
    return record
