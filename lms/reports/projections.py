"""Keep the M&E projections beside the statements: refreshed in the transaction that stores the statements changing
them (including voiding), and rebuilt from the store on demand.

Each refresh reads the learner's statements about one module through :func:`lms.services.learning.progress`, the
one definition of progress the player and the certificates use too, so a projection never disagrees with them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from authoring import model
from authoring.quiz import is_correct
from xapi import statements as xs
from xapi.models import StatementRecord

from ..cohorts.models import ATTENDED, Attendance, LiveSession
from ..models import Enrolment
from ..services import learning
from .models import CourseProgress, ModuleProgress, QuestionAnswer, SurveyAnswer

#: Enrolments rebuilt per transaction: a rebuild of a large store commits as it goes.
REBUILD_BATCH = 200


def _upsert(session: Session, table, values: dict, keys: tuple[str, ...]) -> None:
    """Insert a row or, where its keys are taken (by this transaction or another), update it: no race loses."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[session.get_bind().dialect.name]
    insert = dialect.insert(table).values(**values)
    session.execute(insert.on_conflict_do_update(
        index_elements=list(keys), set_={k: v for k, v in values.items() if k not in keys}))


def activity_ids(statement: dict) -> set[str]:
    """The activities a statement is about: its object and its context's parents and groupings."""
    ids = set()
    obj = statement.get("object") or {}
    if obj.get("objectType", "Activity") == "Activity" and isinstance(obj.get("id"), str):
        ids.add(obj["id"])
    activities = (statement.get("context") or {}).get("contextActivities") or {}
    for kind in ("parent", "grouping"):
        group = activities.get(kind) or []
        for activity in group if isinstance(group, list) else [group]:
            if isinstance(activity, dict) and isinstance(activity.get("id"), str):
                ids.add(activity["id"])
    return ids


def touched(session: Session, records: list[dict], voided: list[str]) -> dict[str, set[str]]:
    """Registration -> the activity ids that new statements (and the statements they voided) are about."""
    statements = list(records)
    if voided:
        statements += [json.loads(data) for data in session.scalars(
            select(StatementRecord.data).where(StatementRecord.id.in_(voided)))]
    found: dict[str, set[str]] = {}
    for statement in statements:
        registration = (statement.get("context") or {}).get("registration")
        if isinstance(registration, str):
            found.setdefault(registration.lower(), set()).update(activity_ids(statement))
    return found


def on_stored(session: Session, records: list[dict], voided: list[str], home_page: str) -> None:
    """Refresh the projections the stored statements change: the modules they are about, and the course."""
    for registration, ids in touched(session, records, voided).items():
        enrolment = session.scalar(select(Enrolment).where(Enrolment.registration == registration))
        if enrolment is not None and enrolment.course.versions:
            refresh(session, enrolment, home_page, ids)


def refresh(session: Session, enrolment: Enrolment, home_page: str, ids: set[str] | None = None) -> None:
    """Recompute an enrolment's projections from the store: the modules ``ids`` touch (all if None), the course."""
    course = enrolment.course.current.model
    learner = learning.enrolled_learner(enrolment, course.text_language, home_page)
    for module in course.modules:
        if ids is not None and not any(i == module.iri or i.startswith(module.iri + "/") for i in ids):
            continue
        _refresh_module(session, enrolment, learner, module)
        if module.survey is not None and (ids is None or any(i.startswith(module.survey_iri) for i in ids)):
            _refresh_survey(session, enrolment, learner, course, module)
        if module.quiz is not None and (ids is None or any(i.startswith(module.quiz_iri) for i in ids)):
            _refresh_answers(session, enrolment, learner, module)
    _refresh_course(session, enrolment, learner, course)


def _refresh_module(session: Session, enrolment: Enrolment, learner: learning.Learner, module: model.Module) -> None:
    state = learning.progress(session, learner, module)
    if state.started_at is None and state.completed_at is None and not state.attempts and not state.surveyed:
        # Nothing (or nothing left, once voided) about the module: no row, as a rebuild would leave none.
        session.execute(delete(ModuleProgress).where(ModuleProgress.enrolment_id == enrolment.id,
                                                     ModuleProgress.module == module.slug))
        return
    _upsert(session, ModuleProgress.__table__, {
        "enrolment_id": enrolment.id, "module": module.slug, "started": state.started_at,
        "completed": state.completed_at, "attempts": state.attempts, "passed": state.passed,
        "best_score": state.best_score, "first_score": state.first_score, "later_score": state.later_score,
        "surveyed": state.surveyed,
    }, ("enrolment_id", "module"))


def _refresh_course(session: Session, enrolment: Enrolment, learner: learning.Learner, course: model.Course) -> None:
    """Trained: the first module completed or live session attended; completed: as :func:`course_status` says."""
    session.flush()  # the module rows just written, and attendance marks being recorded
    firsts = [session.scalar(select(func.min(ModuleProgress.completed)).where(
        ModuleProgress.enrolment_id == enrolment.id)),
        session.scalar(select(func.min(LiveSession.starts_at)).join(Attendance, Attendance.session_id == LiveSession.id)
                       .where(Attendance.user_id == enrolment.user_id, Attendance.status.in_(ATTENDED),
                              LiveSession.cohort_id == enrolment.cohort_id))
        if enrolment.cohort_id is not None else None]
    firsts = [moment for moment in firsts if moment is not None]
    completed = learning.course_completed_at(session, learner, course)
    if not firsts and completed is None:  # neither trained nor completed: no row, as a rebuild would leave none
        session.execute(delete(CourseProgress).where(CourseProgress.enrolment_id == enrolment.id))
        return
    _upsert(session, CourseProgress.__table__, {
        "enrolment_id": enrolment.id, "trained": min(firsts, key=_utc) if firsts else None, "completed": completed,
    }, ("enrolment_id",))


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)  # SQLite gives times back naive


def _statements(session: Session, learner: learning.Learner, verb: str, iris: Iterable[str]) -> Iterator:
    """The learner's statements in their registration with ``verb`` about ``iris``, not voided, oldest first."""
    return session.execute(select(StatementRecord.object_id, StatementRecord.data, StatementRecord.stored).where(
        StatementRecord.actor_key == learner.key, StatementRecord.registration == learner.registration,
        StatementRecord.verb_id == xs.VERBS[verb], StatementRecord.object_id.in_(list(iris)),
        StatementRecord.voided.is_(False)).order_by(StatementRecord.seq))


def _refresh_survey(session: Session, enrolment: Enrolment, learner: learning.Learner, course: model.Course,
                    module: model.Module) -> None:
    """Each item's latest answer, before and after the follow-up fell due: a survey is never graded, so what
    the learner's device sent counts."""
    due = learning.follow_up_due(session, learner, course) \
        if course.follow_up and course.follow_up.module == module.slug else None
    items = {module.survey_item_iri(item): item for item in module.survey.items}
    latest = {}
    for iri, data, stored in _statements(session, learner, "responded", items):
        response = (json.loads(data).get("result") or {}).get("response")
        if isinstance(response, str) and response.strip():
            when = learning.statement_time(data, stored)
            later = due is not None and when >= due
            latest[(items[iri].id, later)] = (items[iri], response.strip(), when)
    session.execute(delete(SurveyAnswer).where(SurveyAnswer.enrolment_id == enrolment.id,
                                               SurveyAnswer.module == module.slug))
    for (item_id, later), (item, response, stored) in latest.items():
        value = None
        if item.kind == model.LIKERT:
            value = int(response) if response.isdigit() and 1 <= int(response) <= len(item.scale) else None
            if value is None:
                continue  # not a point of the scale: kept in the store, counted nowhere
        _upsert(session, SurveyAnswer.__table__, {
            "enrolment_id": enrolment.id, "module": module.slug, "item": item_id, "follow_up": later,
            "value": value, "text": "" if value is not None else response[:4000], "answered": stored,
        }, ("enrolment_id", "module", "item", "follow_up"))


def _refresh_answers(session: Session, enrolment: Enrolment, learner: learning.Learner, module: model.Module) -> None:
    """Each question's first answer, graded here against the key the server holds, whoever sent it."""
    questions = {module.question_iri(question): question for question in module.quiz.questions}
    first = {}
    for iri, data, stored in _statements(session, learner, "answered", questions):
        question = questions[iri]
        if question.id not in first:
            response = learning.sent_response(question, json.loads(data))
            first[question.id] = ("[,]".join(response), is_correct(question, response),
                                  learning.statement_time(data, stored))
    session.execute(delete(QuestionAnswer).where(QuestionAnswer.enrolment_id == enrolment.id,
                                                 QuestionAnswer.module == module.slug,
                                                 QuestionAnswer.question.not_in(list(first) or [""])))
    for question_id, (response, correct, stored) in first.items():
        _upsert(session, QuestionAnswer.__table__, {
            "enrolment_id": enrolment.id, "module": module.slug, "question": question_id,
            "response": response[:1000], "correct": bool(correct), "answered": stored,
        }, ("enrolment_id", "module", "question"))


def rebuild(session: Session, home_page: str) -> int:
    """Recompute every projection from the store, committing as it goes; return the enrolments done."""
    for table in (QuestionAnswer, SurveyAnswer, ModuleProgress, CourseProgress):
        session.execute(delete(table))
    session.commit()
    done = 0
    ids = list(session.scalars(select(Enrolment.id).order_by(Enrolment.id)))
    for start in range(0, len(ids), REBUILD_BATCH):
        for enrolment in session.scalars(select(Enrolment).where(Enrolment.id.in_(ids[start:start + REBUILD_BATCH]))):
            if enrolment.course.versions:
                refresh(session, enrolment, home_page)
                done += 1
        session.commit()
    return done
