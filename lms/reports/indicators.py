"""The M&E indicators, read from the projections (never by scanning the store), filtered and broken down by the
people's profile, with small groups hidden.

Reach: participants trained (a module completed or a live session attended) and courses completed; the funnel of
each module (enrolled, started, completed). Reaction: each Likert survey item's mean and share who agree. Learning:
pre/post knowledge tests (mean pre, mean post, normalised gain, share improved) and quiz pass rates.
Behaviour: the follow-up survey's response rate and answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import Session, aliased

from authoring import model
from authoring.locales import INTERFACE_LANGUAGES, N_

from ..accounts.services import GENDERS
from ..cohorts.models import Cohort, cohort_trainer
from ..models import Course, Enrolment, User
from .models import CourseProgress, ErasedReach, ModuleProgress, QuestionAnswer, SurveyAnswer
from .tables import Suppressed

#: The profile facets a report breaks down by, with the column each reads.
DIMENSIONS = {
    "sex": (N_("Sex"), User.gender),
    "country": (N_("Country"), User.country),
    "institution": (N_("Institution"), User.institution),
    "language": (N_("Language"), User.language),
    "cohort": (N_("Cohort"), Cohort.name),
}
#: The profile facets: who erased learners were is not kept, so a report filtered by one leaves them out.
PROFILE = ("sex", "country", "institution", "language")


class _Erased:
    """The value of a breakdown's row of learners erased on request, under a profile facet that is not kept."""

    def __repr__(self) -> str:
        return "ERASED"


#: The breakdowns' row of the learners erased on request (by sex, country, institution or language).
ERASED = _Erased()


@dataclass(frozen=True)
class Filters:
    """What a report is restricted to: a period (days, inclusive) and profile facets; empty means all."""

    start: dt.date | None = None
    end: dt.date | None = None
    sex: str = ""
    country: str = ""
    institution: str = ""
    language: str = ""
    cohort: int | None = None

    @classmethod
    def from_args(cls, args) -> Filters:
        """Read filters from a query string; a value that cannot be one is left out (a bookmark never breaks)."""
        def day(name):
            try:
                return dt.date.fromisoformat(args.get(name, "")[:10])
            except ValueError:
                return None

        def word(name, allowed):
            value = args.get(name, "")
            return value if allowed(value) else ""

        cohort = args.get("cohort", "")
        institution = "".join(c for c in args.get("institution", "")[:200] if c.isprintable())
        return cls(start=day("start"), end=day("end"), sex=word("sex", lambda v: v in GENDERS),
                   country=word("country", lambda v: len(v) == 2 and v.isascii() and v.isalpha() and v.isupper()),
                   institution=institution.strip(), language=word("language", lambda v: v in INTERFACE_LANGUAGES),
                   cohort=int(cohort) if cohort.isascii() and cohort.isdigit() and len(cohort) < 10 else None)

    def args(self) -> dict[str, str]:
        """The filters as query-string arguments, to keep in links and exports."""
        values = {"start": self.start.isoformat() if self.start else "", "end": self.end.isoformat() if self.end else "",
                  "sex": self.sex, "country": self.country, "institution": self.institution,
                  "language": self.language, "cohort": str(self.cohort) if self.cohort else ""}
        return {name: value for name, value in values.items() if value}


@dataclass
class Scope:
    """Whose records a reader sees: every cohort (analysts and admins), or the cohorts a trainer trains."""

    cohorts: list[int] | None = None  # None: all

    @classmethod
    def of(cls, session: Session, user: User) -> Scope:
        if user.has_role("analyst", "admin"):
            return cls(None)
        ids = session.scalars(select(cohort_trainer.c.cohort_id).where(cohort_trainer.c.user_id == user.id))
        return cls(sorted(ids))


def hidden(value: Any, people: int, minimum: int) -> Any:
    """``value``, or :class:`Suppressed` when it was computed from fewer than ``minimum`` people (but some)."""
    return Suppressed(minimum) if 0 < people < minimum else value


def protected(counts: list[int], minimum: int) -> list[Any]:
    """A column of counts that add up to a total shown elsewhere (a breakdown's groups add up to the headline), as
    it may be shown: each count from fewer than ``minimum`` people hidden and, while exactly one is hidden and the
    total is shown, the smallest other count that is not zero hidden too (the last of equals), or the total less
    the shown counts would give the hidden one away.  A zero stays 0: it hides nothing beside it."""
    cells = [hidden(n, n, minimum) for n in counts]
    small = [i for i, cell in enumerate(cells) if isinstance(cell, Suppressed)]
    if len(small) == 1 and sum(counts) >= minimum:
        others = [i for i, n in enumerate(counts) if n and i not in small]
        if others:  # always, as the total is shown: the others add up to at least one
            cells[min(others, key=lambda i: (counts[i], -i))] = Suppressed(minimum)
    return cells


def share(part: int, whole: int, minimum: int) -> Any:
    """``part`` / ``whole`` (None when the whole is 0), hidden when the whole is from fewer than ``minimum`` people
    or the part is (but some): shown beside the whole, a share would give a hidden part away."""
    return hidden(part / whole if whole else None, min(part, whole) if part else whole, minimum)


def _period(column, filters: Filters):
    """SQL condition: ``column`` (a time) falls within the filters' period."""
    conditions = [column.is_not(None)]
    if filters.start:
        conditions.append(column >= dt.datetime.combine(filters.start, dt.time(), tzinfo=dt.timezone.utc))
    if filters.end:
        conditions.append(column < dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time(),
                                                       tzinfo=dt.timezone.utc))
    return and_(*conditions)


def _enrolments(course: Course, filters: Filters, scope: Scope):
    """The enrolments a report counts: of the course, with the filters' facets, in the reader's scope."""
    query = (select(Enrolment.id).join(User, User.id == Enrolment.user_id)
             .outerjoin(Cohort, Cohort.id == Enrolment.cohort_id).where(Enrolment.course_id == course.id))
    for name in ("sex", "country", "institution", "language"):
        value = getattr(filters, name)
        if value:
            query = query.where(DIMENSIONS[name][1] == value)
    if filters.cohort:
        query = query.where(Enrolment.cohort_id == filters.cohort)
    if scope.cohorts is not None:
        query = query.where(Enrolment.cohort_id.in_(scope.cohorts or [-1]))
    if filters.end:
        query = query.where(Enrolment.enrolled < _after(filters.end))
    return query


def _after(end: dt.date) -> dt.datetime:
    """The UTC midnight that ends the period's last day."""
    return dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)


def _erased(course: Course, filters: Filters, scope: Scope) -> list | None:
    """SQL conditions on the erased learners' counts a report adds as :func:`_enrolments` counts enrolments: of
    the course, in the filters' cohort and the reader's scope, enrolled before the period's end; None when a
    profile facet is filtered (what erased learners' profiles were is not kept)."""
    if any(getattr(filters, name) for name in PROFILE):
        return None
    conditions = [ErasedReach.course_id == course.id]
    if filters.cohort:
        conditions.append(ErasedReach.cohort_id == filters.cohort)
    if scope.cohorts is not None:
        conditions.append(ErasedReach.cohort_id.in_(scope.cohorts or [-1]))
    if filters.end:
        conditions.append(ErasedReach.enrolled < _after(filters.end))
    return conditions


def _erased_counts(filters: Filters, *grouped_by) -> tuple:
    """The columns summing erased learners: ``grouped_by``, then how many enrolled, were trained and completed
    the course (those two within the period)."""
    def people(condition=None):
        counted = ErasedReach.people if condition is None else case((condition, ErasedReach.people), else_=0)
        return func.coalesce(func.sum(counted), 0)
    return (*grouped_by, people(), people(_period(ErasedReach.trained, filters)),
            people(_period(ErasedReach.completed, filters)))


@dataclass
class Reach:
    """Headline figures of a course: learners enrolled, trained and who completed it."""

    enrolled: Any
    trained: Any
    completed: Any


def reach(session: Session, course: Course, filters: Filters, scope: Scope, minimum: int) -> Reach:
    ids = _enrolments(course, filters, scope).subquery()
    enrolled = session.scalar(select(func.count()).select_from(ids))
    trained = session.scalar(select(func.count()).select_from(CourseProgress).where(
        CourseProgress.enrolment_id.in_(select(ids.c.id)), _period(CourseProgress.trained, filters)))
    completed = session.scalar(select(func.count()).select_from(CourseProgress).where(
        CourseProgress.enrolment_id.in_(select(ids.c.id)), _period(CourseProgress.completed, filters)))
    figures = [enrolled, trained, completed]
    erased = _erased(course, filters, scope)
    if erased is not None:  # learners erased on request still count, anonymously
        figures = [n + int(e) for n, e in zip(figures, session.execute(
            select(*_erased_counts(filters)).where(*erased)).one())]
    return Reach(*(hidden(n, n, minimum) for n in figures))


@dataclass
class Breakdown:
    """Reach per value of one dimension: (value, enrolled, trained, completed) rows, largest first, then the
    learners erased on request (value :data:`ERASED`) where the dimension is a profile facet."""

    dimension: str
    rows: list[tuple[Any, Any, Any, Any]] = field(default_factory=list)


def breakdowns(session: Session, course: Course, dimensions: list[str], filters: Filters, scope: Scope,
               minimum: int) -> dict[str, Breakdown]:
    """Reach broken down by each profile dimension asked (sex, country, institution, language or cohort): one
    query for all, each enrolment's facets, counted here (five grouped queries cost five times as much).

    Learners erased on request count under their cohort, and under a row of their own in the other dimensions,
    so that each breakdown adds up to the headline; each column is :func:`protected`."""
    ids = select(_enrolments(course, filters, scope).subquery().c.id)
    trained = case((_period(CourseProgress.trained, filters), 1), else_=0)
    completed = case((_period(CourseProgress.completed, filters), 1), else_=0)
    counts = {dimension: {} for dimension in dimensions}
    if dimensions:
        for row in session.execute(
                select(*(DIMENSIONS[dimension][1] for dimension in dimensions), trained, completed)
                .select_from(Enrolment).join(User, User.id == Enrolment.user_id)
                .outerjoin(Cohort, Cohort.id == Enrolment.cohort_id)
                .outerjoin(CourseProgress, CourseProgress.enrolment_id == Enrolment.id)
                .where(Enrolment.id.in_(ids))):
            flags = row[-2:]
            for dimension, value in zip(dimensions, row):
                figures = counts[dimension].setdefault(value or "", [0, 0, 0])
                figures[0] += 1
                figures[1] += flags[0]
                figures[2] += flags[1]
    erased = _erased(course, filters, scope) if dimensions else None
    gone = {}  # cohort name -> erased learners' figures
    if erased is not None:
        for name, *figures in session.execute(
                select(*_erased_counts(filters, Cohort.name)).select_from(ErasedReach)
                .outerjoin(Cohort, Cohort.id == ErasedReach.cohort_id).where(*erased).group_by(Cohort.name)):
            if figures[0]:
                gone[name or ""] = [a + int(b) for a, b in zip(gone.get(name or "", [0, 0, 0]), figures)]
    found_by = {}
    for dimension, found in counts.items():
        if dimension == "cohort":
            for name, figures in gone.items():
                found[name] = [a + b for a, b in zip(found.get(name, [0, 0, 0]), figures)]
        rows = sorted(found.items(), key=lambda item: (-item[1][0], item[0]))
        if dimension != "cohort" and gone:
            rows.append((ERASED, [sum(column) for column in zip(*gone.values())]))
        columns = [protected([figures[i] for _, figures in rows], minimum) for i in range(3)]
        found_by[dimension] = Breakdown(dimension, [(value, *cells) for (value, _), *cells in
                                                    zip(rows, *columns)])
    return found_by


@dataclass
class FunnelRow:
    module: model.Module
    enrolled: Any
    started: Any
    completed: Any
    mean_score: Any  # the mean of each learner's best score, 0..1, or None
    scored: Any


def funnel(session: Session, course: Course, filters: Filters, scope: Scope, minimum: int) -> list[FunnelRow]:
    """Per module of the course: learners enrolled, who started it and who completed it, and the mean best score.
    Enrolled is the headline's (learners erased on request among them): set beside it, another figure would tell
    how many were erased."""
    ids = _enrolments(course, filters, scope).subquery()
    enrolled = session.scalar(select(func.count()).select_from(ids))
    erased = _erased(course, filters, scope)
    if erased is not None:
        enrolled += int(session.scalar(select(func.coalesce(func.sum(ErasedReach.people), 0)).where(*erased)))
    started = case((_period(ModuleProgress.started, filters), 1), else_=0)
    completed = case((_period(ModuleProgress.completed, filters), 1), else_=0)
    figures = {module: (int(s), int(c), mean, int(n)) for module, s, c, mean, n in session.execute(
        select(ModuleProgress.module, func.coalesce(func.sum(started), 0), func.coalesce(func.sum(completed), 0),
               func.avg(ModuleProgress.best_score), func.count(ModuleProgress.best_score))
        .where(ModuleProgress.enrolment_id.in_(select(ids.c.id))).group_by(ModuleProgress.module))}
    rows = []
    for module in course.current.model.modules:
        s, c, mean, n = figures.get(module.slug, (0, 0, None, 0))
        rows.append(FunnelRow(module, hidden(enrolled, enrolled, minimum), hidden(s, s, minimum),
                              hidden(c, c, minimum), hidden(float(mean) if mean is not None else None, n, minimum),
                              hidden(n, n, minimum)))
    return rows


@dataclass
class ItemFigures:
    """A survey item's answers: how many, their mean on the scale and the share who agree (the top half)."""

    module: model.Module
    item: model.SurveyItem
    answers: Any
    mean: Any
    agree: Any


def reaction(session: Session, course: Course, filters: Filters, scope: Scope, minimum: int,
             follow_up: bool = False) -> list[ItemFigures]:
    """Each Likert item of the course's surveys (or of its follow-up survey, with ``follow_up``)."""
    ids = _enrolments(course, filters, scope).subquery()
    answers = {}  # (module, item) -> {scale point: answers}, counted by the database
    for module, item, value, count in session.execute(
            select(SurveyAnswer.module, SurveyAnswer.item, SurveyAnswer.value, func.count())
            .where(SurveyAnswer.enrolment_id.in_(select(ids.c.id)), SurveyAnswer.value.is_not(None),
                   SurveyAnswer.follow_up.is_(follow_up), _period(SurveyAnswer.answered, filters))
            .group_by(SurveyAnswer.module, SurveyAnswer.item, SurveyAnswer.value)):
        answers.setdefault((module, item), {})[value] = count
    rows = []
    for module in course.current.model.modules:
        if module.survey is None:
            continue
        for item in module.survey.items:
            if item.kind != model.LIKERT:
                continue
            counts = answers.get((module.slug, item.id), {})
            n = sum(counts.values())
            middle = (len(item.scale) + 1) / 2  # agreeing is the points above it: 4 and 5 of 5, 3 and 4 of 4
            agree = sum(c for v, c in counts.items() if v > middle) / n if n else None
            mean = sum(v * c for v, c in counts.items()) / n if n else None
            rows.append(ItemFigures(module, item, hidden(n, n, minimum), hidden(mean, n, minimum),
                                    hidden(agree, n, minimum)))
    return rows


def comments(session: Session, course: Course, filters: Filters, scope: Scope, minimum: int,
             follow_up: bool = False) -> list[tuple[model.Module, model.SurveyItem, str]]:
    """The free-text answers, for analysts; none when fewer than ``minimum`` people are in the filtered group."""
    ids = _enrolments(course, filters, scope).subquery()
    if session.scalar(select(func.count()).select_from(ids)) < minimum:
        return []
    modules = {m.slug: m for m in course.current.model.modules if m.survey is not None}
    rows = session.execute(
        select(SurveyAnswer.module, SurveyAnswer.item, SurveyAnswer.text)
        .where(SurveyAnswer.enrolment_id.in_(select(ids.c.id)), SurveyAnswer.value.is_(None),
               SurveyAnswer.follow_up.is_(follow_up), _period(SurveyAnswer.answered, filters))
        .order_by(SurveyAnswer.module, SurveyAnswer.item, SurveyAnswer.answered))
    found = []
    for slug, item_id, text in rows:
        module = modules.get(slug)
        item = next((i for i in module.survey.items if i.id == item_id), None) if module else None
        if item is not None:
            found.append((module, item, text))
    return found


@dataclass
class KnowledgeFigures:
    """A pre/post knowledge test over the learners who took both."""

    test: model.KnowledgeTest
    learners: Any
    pre: Any
    post: Any
    gain: Any  # normalised gain of the means: (post - pre) / (1 - pre)
    improved: Any  # share of learners whose post score is above their pre score


def knowledge(session: Session, course: Course, filters: Filters, scope: Scope, minimum: int) -> list[KnowledgeFigures]:
    """The course's pre/post tests, counting only learners with both scores."""
    ids = select(_enrolments(course, filters, scope).subquery().c.id)
    rows = []
    for test in course.current.model.knowledge:
        # Summed by the database: a pair per learner with both scores (the first attempt and the best later one
        # of the same quiz, or the first attempts of the two quizzes).
        before = aliased(ModuleProgress)
        after = before if test.same_quiz else aliased(ModuleProgress)
        pre_score = before.first_score
        post_score = before.later_score if test.same_quiz else after.first_score
        query = select(func.count(), func.avg(pre_score), func.avg(post_score),
                       func.sum(case((post_score > pre_score, 1), else_=0))).select_from(before)
        if not test.same_quiz:
            query = query.join(after, and_(after.enrolment_id == before.enrolment_id, after.module == test.post))
        n, pre, post, better = session.execute(query.where(
            before.enrolment_id.in_(ids), before.module == test.pre, pre_score.is_not(None),
            post_score.is_not(None))).one()
        if n:
            pre, post = float(pre), float(post)
            gain = (post - pre) / (1 - pre) if pre < 1 else None
            improved = int(better) / n
        else:
            pre = post = gain = improved = None
        rows.append(KnowledgeFigures(test, hidden(n, n, minimum), hidden(pre, n, minimum), hidden(post, n, minimum),
                                     hidden(gain, n, minimum), hidden(improved, n, minimum)))
    return rows


@dataclass
class QuizFigures:
    module: model.Module
    attempted: Any
    passed: Any
    rate: Any


def pass_rates(session: Session, course: Course, filters: Filters, scope: Scope, minimum: int) -> list[QuizFigures]:
    """Per quiz: learners who made a graded attempt, who passed, and the pass rate."""
    ids = _enrolments(course, filters, scope).subquery()
    figures = dict((slug, (int(a), int(p))) for slug, a, p in session.execute(
        select(ModuleProgress.module, func.count(), func.coalesce(func.sum(case((ModuleProgress.passed, 1), else_=0)), 0))
        .where(ModuleProgress.enrolment_id.in_(select(ids.c.id)), ModuleProgress.attempts > 0)
        .group_by(ModuleProgress.module)))
    rows = []
    for module in course.current.model.modules:
        if module.quiz is None:
            continue
        attempted, passed = figures.get(module.slug, (0, 0))
        rows.append(QuizFigures(module, hidden(attempted, attempted, minimum), hidden(passed, passed, minimum),
                                share(passed, attempted, minimum)))
    return rows


@dataclass
class FollowUpFigures:
    """The follow-up survey: learners for whom it is due, who answered it, and the response rate."""

    due: Any
    answered: Any
    rate: Any


def follow_up(session: Session, course: Course, filters: Filters, scope: Scope, minimum: int,
              today: dt.date | None = None) -> FollowUpFigures | None:
    """The follow-up survey's response: learners who completed the course long enough ago (those erased on request
    since among them: beside reach's completed, a count without them would tell how many), who answered it."""
    declared = course.current.model.follow_up
    if declared is None:
        return None
    today = today or dt.date.today()
    ids = _enrolments(course, filters, scope).subquery()
    cutoff = dt.datetime.combine(today - dt.timedelta(days=declared.after_days), dt.time.max, tzinfo=dt.timezone.utc)
    due = session.scalar(select(func.count()).select_from(CourseProgress).where(
        CourseProgress.enrolment_id.in_(select(ids.c.id)), CourseProgress.completed.is_not(None),
        CourseProgress.completed <= cutoff))
    erased = _erased(course, filters, scope)
    if erased is not None:
        due += int(session.scalar(select(func.coalesce(func.sum(ErasedReach.people), 0)).where(
            *erased, ErasedReach.completed.is_not(None), ErasedReach.completed <= cutoff)))
    answered = session.scalar(select(func.count(distinct(SurveyAnswer.enrolment_id))).where(
        SurveyAnswer.enrolment_id.in_(select(ids.c.id)), SurveyAnswer.follow_up.is_(True)))
    return FollowUpFigures(hidden(due, due, minimum), hidden(answered, answered, minimum),
                           share(answered, due, minimum))


def item_analysis(session: Session, course: Course, module: model.Module, filters: Filters, scope: Scope,
                  minimum: int) -> list[dict]:
    """Per question of a module's quiz, from each learner's first answer: share correct, discrimination (share
    correct in the upper third of first scores minus the lower third) and how often each wrong option was chosen."""
    if module.quiz is None:
        return []
    ids = _enrolments(course, filters, scope).subquery()
    scores = dict(session.execute(select(ModuleProgress.enrolment_id, ModuleProgress.first_score).where(
        ModuleProgress.enrolment_id.in_(select(ids.c.id)), ModuleProgress.module == module.slug,
        ModuleProgress.first_score.is_not(None))).all())
    ranked = sorted(scores, key=lambda e: scores[e])
    third = len(ranked) // 3
    lower, upper = set(ranked[:third]), set(ranked[len(ranked) - third:]) if third else set()
    answers: dict[str, list[tuple[int, bool, str]]] = {}
    for enrolment, question, correct, response in session.execute(
            select(QuestionAnswer.enrolment_id, QuestionAnswer.question, QuestionAnswer.correct, QuestionAnswer.response)
            .where(QuestionAnswer.enrolment_id.in_(select(ids.c.id)), QuestionAnswer.module == module.slug)):
        answers.setdefault(question, []).append((enrolment, correct, response))
    rows = []
    for question in module.quiz.questions:
        given = answers.get(question.id, [])
        n = len(given)
        share = sum(c for _, c, _ in given) / n if n else None
        up = [c for e, c, _ in given if e in upper]
        low = [c for e, c, _ in given if e in lower]
        discrimination = (sum(up) / len(up) - sum(low) / len(low)) if up and low else None
        wrong = {}
        for index, option in enumerate(question.options):
            if not option.correct:
                chosen = sum(str(index) in response.split("[,]") for _, c, response in given)
                wrong[index] = hidden(chosen / n if n else None, n, minimum)
        rows.append({"question": question, "answers": hidden(n, n, minimum), "correct": hidden(share, n, minimum),
                     "discrimination": hidden(discrimination, min(len(up), len(low)) if up and low else 0, minimum),
                     "wrong": wrong})
    return rows


def courses_in_scope(session: Session, scope: Scope) -> list[Course]:
    """The courses a reader reports on: those with a version, and for a trainer those of their cohorts."""
    query = select(Course).order_by(Course.title)
    if scope.cohorts is not None:
        query = query.where(Course.id.in_(select(Cohort.course_id).where(Cohort.id.in_(scope.cohorts or [-1]))))
    return [course for course in session.scalars(query) if course.versions]


def cohorts_in_scope(session: Session, course: Course, scope: Scope) -> list[Cohort]:
    query = select(Cohort).where(Cohort.course_id == course.id).order_by(Cohort.starts_on, Cohort.name)
    if scope.cohorts is not None:
        query = query.where(Cohort.id.in_(scope.cohorts or [-1]))
    return list(session.scalars(query))


__all__ = ["Filters", "Scope", "hidden", "protected", "share", "ERASED", "reach", "breakdowns", "funnel", "reaction",
           "comments", "knowledge", "pass_rates", "follow_up", "item_analysis", "courses_in_scope", "cohorts_in_scope",
           "DIMENSIONS"]


def learners(session: Session, course: Course, filters: Filters, scope: Scope) -> list[dict]:
    """One row per enrolment the report counts: the person's profile and cohort, the course's dates, and per
    module (its slug) the completion and the best score; the pre/post scores of the course's first knowledge test.
    Plain columns are read, not whole records: at ten thousand learners, making objects cost more than the query."""
    ids = select(_enrolments(course, filters, scope).subquery().c.id)
    modules: dict[int, dict[str, Any]] = {}
    for row in session.execute(select(ModuleProgress.enrolment_id, ModuleProgress.module, ModuleProgress.completed,
                                      ModuleProgress.best_score, ModuleProgress.first_score,
                                      ModuleProgress.later_score).where(ModuleProgress.enrolment_id.in_(ids))):
        modules.setdefault(row.enrolment_id, {})[row.module] = row
    test = course.current.model.knowledge[0] if course.current.model.knowledge else None
    rows = []
    for row in session.execute(
            select(Enrolment.id, Enrolment.enrolled, User.actor_id, User.username, User.display_name, User.gender,
                   User.country, User.institution, User.language, Cohort.name.label("cohort"),
                   CourseProgress.trained, CourseProgress.completed)
            .join(User, User.id == Enrolment.user_id)
            .outerjoin(Cohort, Cohort.id == Enrolment.cohort_id)
            .outerjoin(CourseProgress, CourseProgress.enrolment_id == Enrolment.id)
            .where(Enrolment.id.in_(ids)).order_by(Enrolment.id)):
        mine = modules.get(row.id, {})
        pre = post = None
        if test is not None:
            first = mine.get(test.pre)
            pre = first.first_score if first else None
            second = mine.get(test.post)
            post = (second.later_score if test.same_quiz else second.first_score) if second else None
        rows.append({**row._asdict(), "cohort": row.cohort or "", "modules": mine, "pre": pre, "post": post})
    return rows
