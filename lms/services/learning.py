"""What learners do in a module, graded on the server and recorded as xAPI statements."""

from __future__ import annotations

import datetime as dt
import json
from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass, field

from blinker import Namespace
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from authoring import model
from authoring.quiz import MAX_RESPONSE, is_answered, is_correct, whole_number
from xapi import statements as xs
from xapi.models import StatementRecord
from xapi.store import ABOUT, about_params, agent_key, store_statements

from ..cohorts.services import cohort_iri
from ..models import Course, Enrolment, as_utc
from .catalog import edition

LMS_ACCOUNT = "lms"

#: Sent once per learner and course, in the transaction that records the course's completion, with the
#: database's engine as sender: ``send(engine, session=…, learner=…, course=…)``.  The domains above learning
#: (certificates) act on a completion without learning knowing them.
course_completed = Namespace().signal("course-completed")


@dataclass
class Learner:
    """Who is learning, in which registration and language, on which platform."""

    actor_id: str
    registration: str
    language: str
    home_page: str
    cohort: str | None = None  # the IRI of the learner's cohort (lms.cohorts.services.cohort_iri), if in one
    cohort_name: str = ""

    @property
    def agent(self):
        return xs.account_agent(self.home_page, self.actor_id)

    @property
    def key(self) -> str:
        return agent_key({"account": {"homePage": self.home_page, "name": self.actor_id}})


def enrolled_learner(enrolment: Enrolment, language: str, home_page: str) -> Learner:
    """The learner of an enrolment, in its registration and cohort, seeing the course in ``language``."""
    cohort = enrolment.cohort
    return Learner(actor_id=enrolment.user.actor_id, registration=enrolment.registration, language=language,
                   home_page=home_page, cohort=cohort_iri(home_page, cohort) if cohort else None,
                   cohort_name=cohort.name if cohort else "")


@dataclass
class QuizResult:
    """A graded quiz: points, the pass decision and each question's outcome."""

    points: int
    max_points: int
    passed: bool
    correct: dict[str, bool] = field(default_factory=dict)

    @property
    def scaled(self) -> float:
        return self.points / self.max_points if self.max_points else 0.0


@dataclass
class Progress:
    """Where a learner stands in a module, read back from their statements."""

    pages_seen: set[str] = field(default_factory=set)
    scenarios_done: set[str] = field(default_factory=set)
    surveyed: bool = False
    attempts: int = 0
    passed: bool = False
    completed: bool = False
    best_score: float | None = None
    first_score: float | None = None  # the first attempt the LMS graded: a pre-test's score
    later_score: float | None = None  # the best of the attempts after the first: the same quiz as a post-test
    started_at: dt.datetime | None = None  # when the learner started the module (the statement's timestamp)
    completed_at: dt.datetime | None = None  # when the LMS recorded the module's completion (its timestamp)

    @property
    def started(self) -> bool:
        return bool(self.pages_seen or self.scenarios_done) or self.best_score is not None or self.completed


def attempts_left(quiz: model.Quiz, state: Progress) -> int | None:
    """Return how many attempts the learner has left, or None if there is no limit."""
    return None if not quiz.attempts else max(quiz.attempts - state.attempts, 0)


class MissingAnswers(ValueError):
    """Some questions were not answered."""

    def __init__(self, question_ids: list[str]) -> None:
        self.question_ids = question_ids
        super().__init__(f"{len(question_ids)} questions have no answer")


#: The columns reading a learner's progress takes of each statement (plain rows: loading whole records as
#: objects cost more than the query).
STATEMENT_COLUMNS = (StatementRecord.seq, StatementRecord.object_id, StatementRecord.verb_id,
                     StatementRecord.authority_key, StatementRecord.voided, StatementRecord.registration,
                     StatementRecord.data, StatementRecord.stored)


_LEARNERS_STATEMENTS = select(StatementRecord.actor_key, *STATEMENT_COLUMNS).where(
    StatementRecord.actor_key.in_(bindparam("actors", expanding=True)), ABOUT).order_by(StatementRecord.seq)


def authority(home_page: str) -> dict:
    """The authority of statements the LMS records for its learners."""
    return {"objectType": "Agent", "name": "Passerelle LMS",
            "account": {"homePage": home_page, "name": LMS_ACCOUNT}}


def vouched(home_page: str):
    """Filter statements to those the LMS vouches for: what it graded or recorded itself, under its authority.

    What a device or any other client says (a quiz it graded, a module it calls complete) is kept in
    the store under the sender's authority, and earns nothing.
    """
    return StatementRecord.authority_key == agent_key(authority(home_page))


def page_view(learner: Learner, course: model.Course, module: model.Module, page: model.Page) -> dict:
    """Return the statement that the learner experienced a page (the player sends it with an id of its own)."""
    page_activity = xs.activity(module.page_iri(page), "page", page.title, course.text_language)
    return _statement(learner, "experienced", page_activity, parents=[module_activity(course, module)],
                      grouping=[course_activity(course)])


def record_page_view(session: Session, learner: Learner, course: model.Course, module: model.Module,
                     page: model.Page) -> None:
    """Record that the learner experienced a page."""
    store_statements(session, [page_view(learner, course, module, page)], authority(learner.home_page))
    _record_completion_if_earned(session, learner, course, module)


def grade_quiz(quiz: model.Quiz, responses: dict[str, list[str]]) -> QuizResult:
    """Grade responses per question id; raise :class:`MissingAnswers` if any is blank."""
    missing = [q.id for q in quiz.questions if not is_answered(responses.get(q.id, []))]
    if missing:
        raise MissingAnswers(missing)
    return _score(quiz, responses)


def _score(quiz: model.Quiz, responses: dict[str, list[str]]) -> QuizResult:
    """Grade a response to every question against the key the server holds (a blank one is wrong)."""
    correct = {q.id: is_correct(q, responses[q.id]) for q in quiz.questions}
    points = sum(q.points for q in quiz.questions if correct[q.id])
    max_points = quiz.max_points
    return QuizResult(points, max_points, points >= quiz.pass_mark * max_points - 1e-9, correct)


def record_quiz(session: Session, learner: Learner, course: model.Course, module: model.Module,
                responses: dict[str, list[str]], result: QuizResult) -> None:
    """Record each answer, the passed/failed outcome and, when earned, the module's completion."""
    batch = [quiz_answer(learner, course, module, question, xs.answer_result(
        "[,]".join(responses[question.id]), result.correct[question.id])) for question in module.quiz.questions]
    batch.append(graded_outcome(learner, course, module, result))
    store_statements(session, batch, authority(learner.home_page))
    _record_completion_if_earned(session, learner, course, module)


def graded_outcome(learner: Learner, course: model.Course, module: model.Module, result: QuizResult) -> dict:
    """The statement of the LMS's grading of an attempt: passed or failed, with its score."""
    return quiz_outcome(learner, course, module, result.passed, xs.score_result(
        result.points, result.max_points, success=result.passed, completion=True))


def grade_sent_answers(held: Derived, module: model.Module) -> QuizResult | None:
    """Grade the answers a device sent to the module's quiz, once they make an attempt; record the outcome.

    A device sends one ``answered`` statement per question (the player does so for a quiz taken with
    the network off, or graded on the server), then, for a practice quiz, the outcome it graded
    itself, which is kept as what the device said and earns nothing.  The answers that make an
    attempt are the learner's latest answer to each question in the registration since the last
    outcome the LMS recorded for the quiz; once every question has one, the server grades them
    against the key it holds, and records its own ``passed`` or ``failed`` under its authority.
    Answers beyond the attempts the quiz allows are kept, and not graded.

    The outcome joins what the LMS is recording of the learner's course (``held``), stored with it.
    """
    learner, course, quiz, rows = held.learner, held.course, module.quiz, held.rows
    ours, outcomes, answered = agent_key(authority(learner.home_page)), (xs.VERBS["passed"], xs.VERBS["failed"]), \
        xs.VERBS["answered"]
    last = max((row.seq for row in rows if row.object_id == module.quiz_iri and row.verb_id in outcomes
                and row.authority_key == ours), default=0)
    questions = {module.question_iri(q): q for q in quiz.questions}
    responses = {questions[row.object_id].id: sent_response(questions[row.object_id], json.loads(row.data))
                 for row in rows if row.seq > last and row.verb_id == answered and row.object_id in questions
                 and row.registration == learner.registration and not row.voided}  # oldest first: the latest wins
    if len(responses) < len(quiz.questions) or attempts_left(quiz, progress_of(rows, learner, module)) == 0:
        return None
    result = _score(quiz, responses)
    held.add(graded_outcome(learner, course, module, result))
    return result


def sent_response(question: model.Question, statement: dict) -> list[str]:
    """A response as an ``answered`` statement gives it: option indexes joined by ``[,]``, or one text."""
    response = (statement.get("result") or {}).get("response")
    if not isinstance(response, str):
        return []
    if question.kind in model.CHOICE_KINDS:
        return [value for value in response.split("[,]") if whole_number(value, len(question.options)) is not None]
    return [response.strip()[:MAX_RESPONSE]]


def quiz_answer(learner: Learner, course: model.Course, module: model.Module, question: model.Question,
                result=None) -> dict:
    """The statement that the learner answered a question (without a result: the player grades on the device)."""
    question_activity = xs.activity(module.question_iri(question), "question", question.prompt, course.text_language)
    return _statement(learner, "answered", question_activity, parents=[quiz_activity(course, module)],
                      grouping=[course_activity(course), module_activity(course, module)], result=result)


def quiz_outcome(learner: Learner, course: model.Course, module: model.Module, passed: bool, result=None) -> dict:
    """The statement that the learner passed or failed the module's quiz."""
    return _statement(learner, "passed" if passed else "failed", quiz_activity(course, module),
                      parents=[module_activity(course, module)], grouping=[course_activity(course)], result=result)


def record_survey(session: Session, learner: Learner, course: model.Course, module: model.Module,
                  responses: dict[str, str]) -> None:
    """Record each answered survey item as ``responded``, then the survey as completed.

    ``responses`` maps item ids to a scale point (1-based, as text) or free text;
    blank items are left out: a survey is never graded and never required.
    """
    batch = [survey_response(learner, course, module, item, xs.answer_result(responses[item.id]))
             for item in module.survey.items if responses.get(item.id)]
    batch.append(survey_completed(learner, course, module))
    store_statements(session, batch, authority(learner.home_page))


def survey_response(learner: Learner, course: model.Course, module: model.Module, item: model.SurveyItem,
                    result=None) -> dict:
    """The statement that the learner responded to a survey item (a Likert interaction, or free text)."""
    lang = course.text_language
    if item.kind == model.LIKERT:
        scale = [(str(n), label) for n, label in enumerate(item.scale, start=1)]
        item_activity = xs.interaction(module.survey_item_iri(item), item.prompt, lang, "likert", scale)
    else:
        item_activity = xs.interaction(module.survey_item_iri(item), item.prompt, lang, "long-fill-in")
    return _statement(learner, "responded", item_activity, parents=[survey_activity(course, module)],
                      grouping=[course_activity(course), module_activity(course, module)], result=result)


def survey_completed(learner: Learner, course: model.Course, module: model.Module) -> dict:
    """The statement that the learner finished the module's survey."""
    return _statement(learner, "completed", survey_activity(course, module), parents=[module_activity(course, module)],
                      grouping=[course_activity(course)], result=xs.completion_result(success=None))


def record_scenario(session: Session, learner: Learner, course: model.Course, module: model.Module,
                    scenario: model.Scenario, path: list[str]) -> None:
    """Record a scenario played to an end, with the path taken (step ids) as the response."""
    end = scenario.step(path[-1])
    success = {model.SUCCESS: True, model.FAILURE: False}.get(end.outcome)
    scenario_activity = xs.activity(module.scenario_iri(scenario), "scenario", scenario.title,
                                    course.text_language)
    statement = _statement(learner, "completed", scenario_activity, parents=[module_activity(course, module)],
                           grouping=[course_activity(course)],
                           result=xs.completion_result(success=success, response="[,]".join(path)))
    store_statements(session, [statement], authority(learner.home_page))
    _record_completion_if_earned(session, learner, course, module)


def record_earned_completions(session: Session, statements: list[dict], home_page: str) -> None:
    """Grade the quiz answers that statements a module sent itself hold, and record the completions earned.

    A module played in the browser sends its statements straight to the LRS,
    sometimes days later from a device that was offline; the rules that decide
    completion are the same as for what the LMS records itself, and live here.
    What the LMS records of the learners' courses (the outcomes it graded, the
    modules and the courses completed) is stored together, in one go.
    """
    sent: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for statement in statements:
        account = (statement.get("actor") or {}).get("account") or {}
        context = statement.get("context") or {}
        registration, object_id = context.get("registration"), (statement.get("object") or {}).get("id", "")
        if account.get("homePage") != home_page or not registration:
            continue
        key = (registration, str(account.get("name")), str(context.get("language") or ""))
        sent.setdefault(key, []).append((statement["verb"]["id"], object_id))
    if not sent:
        return
    enrolments = {enrolment.registration: enrolment for enrolment in session.scalars(
        select(Enrolment).where(Enrolment.registration.in_(sorted({key[0] for key in sent}))).options(
            joinedload(Enrolment.user), joinedload(Enrolment.cohort),
            joinedload(Enrolment.course).selectinload(Course.versions))).unique()}
    touched: list[tuple[Learner, model.Course, list]] = []
    for (registration, actor_id, language), said in sent.items():
        enrolment = enrolments.get(registration)
        if enrolment is None or enrolment.user.actor_id != actor_id or not enrolment.course.versions:
            continue
        course = edition(enrolment.course.current, language)
        touched.append((enrolled_learner(enrolment, course.text_language, home_page), course, said))
    # Each course's learners' statements about it, read at once for all.
    read: dict[tuple[str, str], list] = {}
    for iri in {course.iri for _, course, _ in touched}:
        found = learners_statements(session, [learner for learner, course, _ in touched if course.iri == iri], iri)
        read.update({(iri, key): rows for key, rows in found.items()})
    derived: list[Derived] = []
    deriving: set[str] = set()  # the registrations whose statements were read to derive from
    for learner, course, said in touched:
        rows = read.get((course.iri, learner.key), [])
        if learner.registration in deriving:
            # The same course in another language: what was derived is stored, then read with the rest.
            if any(held.learner.registration == learner.registration for held in derived):
                Derived.store_together(derived)
                derived = []
            rows = None
        held = None
        for module in course.modules:
            if not any(object_id.startswith(module.iri + "/") for _, object_id in said):
                continue
            held = held or Derived(session, learner, course, rows)
            if module.quiz is not None and any(verb == xs.VERBS["answered"] and object_id.startswith(
                    module.quiz_iri + "/questions/") for verb, object_id in said):
                grade_sent_answers(held, module)
            _record_completion_if_earned(session, learner, course, module, held)
        if held is not None:
            derived.append(held)
            deriving.add(learner.registration)
    Derived.store_together(derived)


#: A learner's statement as :func:`learner_statements` reads it (the columns of :data:`STATEMENT_COLUMNS`).
StatementRow = namedtuple("StatementRow", [column.key for column in STATEMENT_COLUMNS])


class Derived:
    """What the LMS records of a learner's course as it grades and checks completion rules, stored together.

    The learner's statements about the course are read once; each statement the LMS derives joins them at
    once (after every stored one, as it will be stored), so that the next rule reads it, and all are stored
    in one call by :meth:`store`, which then tells of the course's completion (:data:`course_completed`).
    """

    def __init__(self, session: Session, learner: Learner, course: model.Course, rows: list | None = None) -> None:
        """``rows``: the learner's statements about the course (:func:`learner_statements`), if already read."""
        self.session, self.learner, self.course = session, learner, course
        self.rows = list(rows if rows is not None else learner_statements(session, learner, course.iri))
        self.statements: list[dict] = []
        self.course_completed = False

    def add(self, statement: dict) -> None:
        obj = statement["object"]
        self.rows.append(StatementRow(
            seq=(self.rows[-1].seq if self.rows else 0) + 1, object_id=obj.get("id", ""),
            verb_id=statement["verb"]["id"], authority_key=agent_key(authority(self.learner.home_page)),
            voided=False, registration=(statement.get("context") or {}).get("registration"),
            data=json.dumps(statement), stored=dt.datetime.now(dt.timezone.utc)))
        self.statements.append(statement)

    def store(self) -> None:
        Derived.store_together([self])

    @staticmethod
    def store_together(derived: list[Derived]) -> None:
        """Store what the LMS recorded of several learners' courses in one call (their statements in order,
        under the LMS's authority), then tell of each course completed."""
        statements = [statement for held in derived for statement in held.statements]
        if statements:
            store_statements(derived[0].session, statements, authority(derived[0].learner.home_page))
        for held in derived:
            held.statements = []
            if held.course_completed:
                held.course_completed = False
                course_completed.send(held.session.get_bind(), session=held.session, learner=held.learner,
                                      course=held.course)


def _record_completion_if_earned(session: Session, learner: Learner, course: model.Course,
                                 module: model.Module, held: Derived | None = None) -> None:
    """Record the module's completion once every page is read, every scenario played and the quiz passed, and
    the course's if that earns it.  ``held``: what the caller is recording of the learner's course, which the
    completions join; without it, they are stored at once."""
    if module.type == model.LIVE:  # completed by attendance only, never by statements about it
        return
    state = progress_of(held.rows, learner, module) if held is not None else progress(session, learner, module)
    if state.completed or any(page.id not in state.pages_seen for page in module.pages):
        return
    if module.quiz is not None and not state.passed:
        return
    if any(s.id not in state.scenarios_done for s in module.scenarios):
        return
    result = xs.score_result(state.best_score, 1.0, success=True, completion=True) \
        if state.best_score is not None else xs.completion_result()
    own = held is None
    held = held or Derived(session, learner, course)
    held.add(_statement(learner, "completed", module_activity(course, module), parents=[course_activity(course)],
                        grouping=[], result=result))
    _record_course_completion_if_earned(held)
    if own:
        held.store()


def record_live_completion(session: Session, learner: Learner, course: model.Course, module: model.Module) -> None:
    """Record that the learner completed a live module by attending a session of it (once), then the course if earned.

    The trainer's attendance mark is the evidence (``lms.sessions``); the LMS records the completion itself.
    """
    held = Derived(session, learner, course)
    if progress_of(held.rows, learner, module).completed:
        return
    held.add(_statement(learner, "completed", module_activity(course, module), parents=[course_activity(course)],
                        grouping=[], result=xs.completion_result()))
    _record_course_completion_if_earned(held)
    held.store()


def course_complete(session: Session, learner: Learner, course: model.Course, rows: list | None = None) -> bool:
    """Tell whether the learner meets the course's completion rules (``rows``: the learner's statements about the
    course, :func:`learner_statements`, if the caller has them)."""
    rows = rows if rows is not None else learner_statements(session, learner, course.iri)
    for rule in course.completion:
        module = course.module(rule.module)
        state = progress_of(rows, learner, module)
        if not state.completed:
            return False
        if rule.min_score is not None and (state.best_score or 0.0) < rule.min_score - 1e-9:
            return False
    return bool(course.completion)


def _record_course_completion_if_earned(held: Derived) -> None:
    learner, course = held.learner, held.course
    if completed_at_of(held.rows, learner, course) is None and course_complete(held.session, learner, course,
                                                                               held.rows):
        held.add(_statement(learner, "completed", course_activity(course), parents=[], grouping=[],
                            result=xs.completion_result()))
        held.course_completed = True


@dataclass
class CourseStatus:
    """Where a learner stands in a course: when they completed it, or the completion rules still to meet."""

    completed: dt.datetime | None
    remaining: list[tuple[model.Module, float | None]]  # each rule not met: its module, and the score it asks
    follow_up: model.Module | None = None  # the module whose survey is due again (the course's follow-up), if so


def course_completed_at(session: Session, learner: Learner, course: model.Course) -> dt.datetime | None:
    """When the LMS recorded the learner's completion of the course, or None."""
    rows = session.execute(select(*STATEMENT_COLUMNS).where(
        StatementRecord.actor_key == learner.key, StatementRecord.voided.is_(False), vouched(learner.home_page),
        StatementRecord.object_id == course.iri, StatementRecord.verb_id == xs.VERBS["completed"],
    ).order_by(StatementRecord.seq).limit(1))
    return completed_at_of(rows, learner, course)


def completed_at_of(rows: Iterable, learner: Learner, course: model.Course) -> dt.datetime | None:
    """:func:`course_completed_at` read from the learner's statements (:data:`STATEMENT_COLUMNS`), oldest first."""
    ours, completed = agent_key(authority(learner.home_page)), xs.VERBS["completed"]
    for row in rows:
        if row.object_id == course.iri and row.verb_id == completed and row.authority_key == ours and not row.voided:
            return statement_time(row.data, row.stored)
    return None


def _follow_up_waiting(session: Session, learner: Learner, course: model.Course,
                       completed: dt.datetime) -> model.Module | None:
    """The follow-up survey's module, once it is due and until the learner answers it again."""
    if course.follow_up is None:
        return None
    due = completed + dt.timedelta(days=course.follow_up.after_days)
    module = course.module(course.follow_up.module)
    if module is None or module.survey is None or dt.datetime.now(dt.timezone.utc) < due:
        return None
    answers = session.execute(select(StatementRecord.data, StatementRecord.stored).where(
        StatementRecord.actor_key == learner.key, StatementRecord.registration == learner.registration,
        StatementRecord.verb_id == xs.VERBS["completed"], StatementRecord.object_id == module.survey_iri,
        StatementRecord.voided.is_(False)))
    return None if any(statement_time(data, stored) >= due for data, stored in answers) else module


def follow_up_due(session: Session, learner: Learner, course: model.Course) -> dt.datetime | None:
    """When the course's follow-up survey falls due for the learner (their completion plus its days), or None."""
    if course.follow_up is None:
        return None
    completed = course_completed_at(session, learner, course)
    return completed + dt.timedelta(days=course.follow_up.after_days) if completed else None


def course_status(session: Session, learner: Learner, course: model.Course) -> CourseStatus:
    """Tell when the learner completed the course (as the LMS recorded it), or which of its rules remain."""
    completed = course_completed_at(session, learner, course)
    if completed is not None:
        return CourseStatus(completed=completed, remaining=[], follow_up=_follow_up_waiting(session, learner, course,
                                                                                           completed))
    remaining = []
    for rule in course.completion:
        module = course.module(rule.module)
        state = progress(session, learner, module)
        if not state.completed or (rule.min_score is not None and (state.best_score or 0.0) < rule.min_score - 1e-9):
            remaining.append((module, rule.min_score))
    return CourseStatus(completed=None, remaining=remaining)


def statement_time(data: str, stored: dt.datetime) -> dt.datetime:
    """When a statement says it happened (its timestamp; a device offline sets it when the learner acted), else when
    it was stored."""
    try:
        moment = dt.datetime.fromisoformat(json.loads(data)["timestamp"].replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError):
        moment = stored
    return as_utc(moment)


def progress(session: Session, learner: Learner, module: model.Module) -> Progress:
    """Read a learner's progress in a module from their statements.

    Scores, attempts, scenarios played and the module's completion count only what the LMS
    vouches for (:func:`vouched`): its grading of the learner's answers, the scenarios played
    through its pages, the completion it recorded.  A page view counts from the learner's device
    too: it is the learner saying they read the page, which is all the evidence reading has; so
    does a survey answered, never graded.  Every attempt the LMS graded counts, even voided:
    voiding an outcome gives no attempt back.
    """
    return progress_of(learner_statements(session, learner, module.iri), learner, module)


def learner_statements(session: Session, learner: Learner, iri: str) -> list:
    """The learner's statements (:data:`STATEMENT_COLUMNS`) about ``iri`` and what is under it, oldest first,
    voided ones included: a course's hold its modules' and its own completion."""
    return learners_statements(session, [learner], iri).get(learner.key, [])


def learners_statements(session: Session, learners: Iterable[Learner], iri: str) -> dict[str, list]:
    """:func:`learner_statements` of several learners, read at once: each learner's key -> their statements."""
    found: dict[str, list] = {}
    actors = sorted({learner.key for learner in learners})
    for row in session.connection().execute(_LEARNERS_STATEMENTS, {"actors": actors, **about_params(iri)}):
        found.setdefault(row.actor_key, []).append(row)
    return found


def progress_of(rows: Iterable, learner: Learner, module: model.Module) -> Progress:
    """:func:`progress` read from the learner's statements about the module (as :func:`learner_statements` gives
    them; statements about anything else are passed over)."""
    state = Progress()
    page_prefix = module.iri + "/pages/"
    scenario_prefix = module.iri + "/scenarios/"
    ours = agent_key(authority(learner.home_page))
    outcomes = (xs.VERBS["passed"], xs.VERBS["failed"])
    under = module.iri + "/"
    for row in rows:
        if row.object_id != module.iri and not row.object_id.startswith(under):
            continue
        vouched_for = row.authority_key == ours
        if vouched_for and row.verb_id in outcomes and row.object_id == module.quiz_iri:
            state.attempts += 1
        if row.voided:
            continue
        started = state.started
        if row.verb_id == xs.VERBS["experienced"] and row.object_id.startswith(page_prefix):
            state.pages_seen.add(row.object_id[len(page_prefix):])
        elif row.verb_id == xs.VERBS["completed"] and row.object_id == module.survey_iri:
            state.surveyed = True
        elif not vouched_for:
            continue
        elif row.verb_id == xs.VERBS["completed"] and row.object_id.startswith(scenario_prefix):
            state.scenarios_done.add(row.object_id[len(scenario_prefix):])
        elif row.verb_id == xs.VERBS["completed"] and row.object_id == module.iri:
            state.completed = True
            state.completed_at = state.completed_at or statement_time(row.data, row.stored)
        elif row.verb_id in outcomes and row.object_id == module.quiz_iri:
            state.passed = state.passed or row.verb_id == xs.VERBS["passed"]
            scaled = quiz_score(json.loads(row.data))
            if scaled is not None and (state.best_score is None or scaled > state.best_score):
                state.best_score = scaled
            if scaled is not None and state.first_score is None:
                state.first_score = scaled
            elif scaled is not None and (state.later_score is None or scaled > state.later_score):
                state.later_score = scaled
        if state.started and not started:
            state.started_at = statement_time(row.data, row.stored)
    return state


def missing_prerequisites(session: Session, learner: Learner, course: model.Course,
                          module: model.Module) -> list[model.Module]:
    """The modules to complete before ``module`` that the learner has not completed, in course order.

    Completed as :func:`progress` counts it: only what the LMS vouches for.
    """
    return [m for m in course.modules
            if m.slug in module.prerequisites and not progress(session, learner, m).completed]


def quiz_score(statement: dict) -> float | None:
    """Return a statement's scaled score, if it has one."""
    score = (statement.get("result") or {}).get("score") or {}
    scaled = score.get("scaled")
    return float(scaled) if isinstance(scaled, (int, float)) else None


def course_activity(course: model.Course):
    return xs.activity(course.iri, "course", course.title, course.text_language)


def module_activity(course: model.Course, module: model.Module):
    return xs.activity(module.iri, "module", module.title, course.text_language)


def survey_activity(course: model.Course, module: model.Module):
    return xs.activity(module.survey_iri, "survey", module.survey.title, course.text_language)


def quiz_activity(course: model.Course, module: model.Module):
    return xs.activity(module.quiz_iri, "assessment", module.quiz.title, course.text_language)


def cohort_activity(learner: Learner):
    """The learner's cohort as a grouping activity, or None outside a cohort: how an LRS reader tells cohorts apart."""
    if not learner.cohort:
        return None
    return xs.Activity(id=learner.cohort, definition=xs.ActivityDefinition(
        type=cohort_type(learner.home_page), name=xs.LanguageMap({learner.language: learner.cohort_name or "cohort"})))


def cohort_type(home_page: str) -> str:
    """The activity type of a cohort, in the platform's own vocabulary: ADL's has no word for one."""
    return f"{home_page}xapi-vocabulary/activity-types/cohort"


def course_statement(learner: Learner, verb: str, obj, course: model.Course) -> dict:
    """A statement about something of the course's (its parent), in the learner's registration and cohort."""
    return _statement(learner, verb, obj, parents=[course_activity(course)], grouping=[])


def _statement(learner: Learner, verb: str, obj, parents: list, grouping: list, result=None) -> dict:
    cohort = cohort_activity(learner)
    return xs.build(learner.agent, verb, obj, language=learner.language, registration=learner.registration,
                    parents=parents, grouping=[*grouping, cohort] if cohort else grouping, result=result)
