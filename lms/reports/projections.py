"""Keep the M&E projections beside the statements: refreshed in the transaction that stores the statements changing
them (including voiding), and rebuilt from the store on demand.

Each refresh reads the learner's statements about the course once, and folds them with
:func:`lms.services.learning.progress_of` and :func:`~lms.services.learning.completed_at_of`, the one definition of
progress the player and the certificates use too, so a projection never disagrees with them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from authoring import model
from authoring.quiz import is_correct
from xapi import statements as xs
from xapi.models import StatementRecord

from ..cohorts.models import ATTENDED, Attendance, LiveSession
from ..models import Enrolment, User, as_utc, current_model
from ..services import learning
from .models import CourseProgress, ModuleProgress, QuestionAnswer, SurveyAnswer

#: Enrolments rebuilt per transaction: a rebuild of a large store commits as it goes.
REBUILD_BATCH = 200


_UPSERTS: dict[tuple[str, str], object] = {}


def _upsert(session: Session, table, rows: list[dict], keys: tuple[str, ...]) -> None:
    """Insert rows or, where their keys are taken (by this transaction or another), update them: no race loses.
    One statement per table and database, built once: building it anew for each row cost more than running it."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    statement = _UPSERTS.get((dialect, table.name))
    if statement is None:
        insert = {"postgresql": postgresql, "sqlite": sqlite}[dialect].insert(table)
        statement = _UPSERTS[(dialect, table.name)] = insert.on_conflict_do_update(
            index_elements=list(keys), set_={c.name: insert.excluded[c.name] for c in table.columns
                                             if c.name not in keys and not c.primary_key})
    session.execute(statement, rows)


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


#: An enrolment as a refresh needs it: who (their actor id), in which registration, course and cohort.
_ENROLLED = select(Enrolment.id, Enrolment.registration, Enrolment.user_id, Enrolment.cohort_id, Enrolment.course_id,
                   User.actor_id).join(User, User.id == Enrolment.user_id)
#: Locked (on PostgreSQL; SQLite has one writer at a time anyway), in order: two transactions storing statements of
#: one learner at once refresh their projections one after the other, the second reading what the first committed,
#: where each would otherwise write what it alone saw, and the last to commit would win.
_BY_REGISTRATION = _ENROLLED.where(Enrolment.registration.in_(bindparam("registrations", expanding=True))) \
    .order_by(Enrolment.id).with_for_update(of=Enrolment)
#: When each learner first attended a live session of their cohort.
_ATTENDED = select(Attendance.user_id, LiveSession.cohort_id, func.min(LiveSession.starts_at)) \
    .join(Attendance, Attendance.session_id == LiveSession.id) \
    .where(Attendance.user_id.in_(bindparam("users", expanding=True)), Attendance.status.in_(ATTENDED),
           LiveSession.cohort_id.in_(bindparam("cohorts", expanding=True))) \
    .group_by(Attendance.user_id, LiveSession.cohort_id)
#: Enrolments refreshed together (what they need read at once) when a rebuild walks the store.
REFRESH_GROUP = 50


def on_stored(session: Session, records: list[dict], voided: list[str], home_page: str) -> None:
    """Refresh the projections the stored statements change: the modules they are about, and the course."""
    found = touched(session, records, voided)
    if found:
        session.flush()  # what the transaction holds unwritten (attendance marks being recorded) is read too
        enrolments = session.connection().execute(_BY_REGISTRATION, {"registrations": sorted(found)}).all()
        refresh(session, enrolments, home_page, found)


def refresh(session: Session, enrolments: list, home_page: str, ids: dict[str, set[str]] | None = None) -> int:
    """Recompute enrolments' projections (``enrolments``: rows of :data:`_ENROLLED`) from the store: the modules
    that ``ids`` (registration -> activity ids) touch, all if None, and the course.

    What they need is read once for all: each course's learners' statements about it, the rows kept, when each
    first attended a live session.  Each projection is what :mod:`learning` reads from a learner's statements,
    and only the rows that differ from those kept are written, in one statement per table.  Returns how many
    were refreshed (those whose course has a version).
    """
    by_course: dict[int, list] = {}
    for enrolled in enrolments:
        by_course.setdefault(enrolled.course_id, []).append(enrolled)
    kept = _Kept(session, [enrolled.id for enrolled in enrolments])
    cohorts = {enrolled.cohort_id for enrolled in enrolments} - {None}
    attended = {} if not cohorts else {(user, cohort): first for user, cohort, first in session.connection().execute(
        _ATTENDED, {"users": sorted({e.user_id for e in enrolments}), "cohorts": sorted(cohorts)})}
    done = 0
    for course_id, group in by_course.items():
        course = current_model(session, course_id)
        if course is None:
            continue
        learners = {enrolled.id: learning.Learner(actor_id=enrolled.actor_id, registration=enrolled.registration,
                                                  language=course.text_language, home_page=home_page)
                    for enrolled in group}
        statements = learning.learners_statements(session, learners.values(), course.iri)
        for enrolled in group:
            learner = learners[enrolled.id]
            _refresh(kept.of(enrolled.id), learner, course, statements.get(learner.key, []),
                     None if ids is None else ids[enrolled.registration],
                     attended.get((enrolled.user_id, enrolled.cohort_id)))
            done += 1
    kept.write()
    return done


def _refresh(kept: _KeptEnrolment, learner: learning.Learner, course: model.Course, statements: list,
             ids: set[str] | None, attended: dt.datetime | None) -> None:
    """Compute an enrolment's projections from the learner's statements about the course."""
    completed = learning.completed_at_of(statements, learner, course)
    for module in course.modules:
        if ids is not None and not any(i == module.iri or i.startswith(module.iri + "/") for i in ids):
            continue
        kept.module(module.slug, _module_row(learning.progress_of(statements, learner, module)))
        if module.survey is not None and (ids is None or any(i.startswith(module.survey_iri) for i in ids)):
            kept.answers(SurveyAnswer, module.slug, _survey_rows(statements, learner, course, module, completed))
        if module.quiz is not None and (ids is None or any(i.startswith(module.quiz_iri) for i in ids)):
            kept.answers(QuestionAnswer, module.slug, _question_rows(statements, learner, module))
    # Trained: the first module completed or live session attended; completed: as course_status says.
    firsts = [row["completed"] for row in kept.modules.values() if row["completed"] is not None]
    firsts += [attended] if attended is not None else []
    kept.course({"trained": min(firsts, key=as_utc), "completed": completed} if firsts or completed else None)


def _module_row(state: learning.Progress) -> dict | None:
    """A module's projection, or None where nothing (or nothing left, once voided) is about it: no row then, as
    a rebuild would leave none."""
    if state.started_at is None and state.completed_at is None and not state.attempts and not state.surveyed:
        return None
    return {"started": state.started_at, "completed": state.completed_at, "attempts": state.attempts,
            "passed": state.passed, "best_score": state.best_score, "first_score": state.first_score,
            "later_score": state.later_score, "surveyed": state.surveyed}


def _in_registration(statements: list, learner: learning.Learner, verb: str, iris) -> Iterator:
    """The learner's statements in their registration with ``verb`` about ``iris``, not voided, oldest first."""
    verb_id = xs.VERBS[verb]
    for row in statements:
        if row.verb_id == verb_id and row.object_id in iris and row.registration == learner.registration \
                and not row.voided:
            yield row


def _survey_rows(statements: list, learner: learning.Learner, course: model.Course, module: model.Module,
                 completed: dt.datetime | None) -> dict[tuple, dict]:
    """Each item's latest answer, before and after the follow-up fell due: a survey is never graded, so what
    the learner's device sent counts."""
    due = None
    if completed is not None and course.follow_up and course.follow_up.module == module.slug:
        due = completed + dt.timedelta(days=course.follow_up.after_days)
    items = {module.survey_item_iri(item): item for item in module.survey.items}
    latest = {}
    for row in _in_registration(statements, learner, "responded", items):
        response = (json.loads(row.data).get("result") or {}).get("response")
        if isinstance(response, str) and response.strip():
            when = learning.statement_time(row.data, row.stored)
            later = due is not None and when >= due
            latest[(items[row.object_id].id, later)] = (items[row.object_id], response.strip(), when)
    rows = {}
    for (item_id, later), (item, response, answered) in latest.items():
        value = None
        if item.kind == model.LIKERT:
            value = int(response) if response.isdigit() and 1 <= int(response) <= len(item.scale) else None
            if value is None:
                continue  # not a point of the scale: kept in the store, counted nowhere
        rows[(item_id, later)] = {"value": value, "text": "" if value is not None else response[:4000],
                                  "answered": answered}
    return rows


def _question_rows(statements: list, learner: learning.Learner, module: model.Module) -> dict[tuple, dict]:
    """Each question's first answer, graded here against the key the server holds, whoever sent it."""
    questions = {module.question_iri(question): question for question in module.quiz.questions}
    rows = {}
    for row in _in_registration(statements, learner, "answered", questions):
        question = questions[row.object_id]
        if (question.id,) not in rows:
            response = learning.sent_response(question, json.loads(row.data))
            rows[(question.id,)] = {"response": "[,]".join(response)[:1000],
                                    "correct": bool(is_correct(question, response)),
                                    "answered": learning.statement_time(row.data, row.stored)}
    return rows


class _Kept:
    """Enrolments' projection rows as kept, read for all at once (the answers when first needed), and the writes
    that make them what was just read from the store: only rows that differ are written (most statements, pages
    read again, change nothing), each table's in one statement."""

    #: Each answers table: its columns that key a row within an enrolment's module.
    ANSWER_KEYS = {SurveyAnswer: ("item", "follow_up"), QuestionAnswer: ("question",)}

    def __init__(self, session: Session, enrolment_ids: list[int]):
        self.session, self.ids = session, sorted(set(enrolment_ids))
        self.connection = session.connection()
        self.enrolments = {n: _KeptEnrolment(self, n) for n in self.ids}
        self.answers: dict[type, dict[tuple, dict[tuple, dict]]] = {}
        if not self.ids:
            return
        for row in self.connection.execute(_KEPT_MODULES, {"enrolments": self.ids}):
            self.enrolments[row.enrolment_id].modules[row.module] = _values(row, MODULE_COLUMNS)
        for row in self.connection.execute(_KEPT_COURSE, {"enrolments": self.ids}):
            self.enrolments[row.enrolment_id].kept_course = dict(trained=row.trained, completed=row.completed)

    def of(self, enrolment_id: int) -> _KeptEnrolment:
        return self.enrolments[enrolment_id]

    def answers_kept(self, table, enrolment_id: int, slug: str) -> dict[tuple, dict]:
        """The answers kept of an enrolment's module: key -> row (the table's answers of all read at once)."""
        if table not in self.answers:
            keys = self.ANSWER_KEYS[table]
            columns = [c.name for c in table.__table__.columns if c.name not in ("id", "enrolment_id", "module", *keys)]
            found = self.answers[table] = {}
            for row in self.connection.execute(_KEPT_ANSWERS[table], {"enrolments": self.ids}):
                found.setdefault((row.enrolment_id, row.module), {})[tuple(getattr(row, k) for k in keys)] = \
                    _values(row, columns)
        return self.answers[table].get((enrolment_id, slug), {})

    def write(self) -> None:
        session = self.session
        modules, answers, courses = [], {}, []
        for enrolment_id, kept in self.enrolments.items():
            gone = [slug for slug, row in kept.module_writes.items() if row is None]
            if gone:
                session.execute(delete(ModuleProgress).where(ModuleProgress.enrolment_id == enrolment_id,
                                                             ModuleProgress.module.in_(gone)))
            modules += [dict(row, enrolment_id=enrolment_id, module=slug)
                        for slug, row in kept.module_writes.items() if row is not None]
            for table, slug, keys, gone, changed in kept.answer_writes:
                for key in gone:
                    session.execute(delete(table).where(table.enrolment_id == enrolment_id, table.module == slug,
                                                        *(getattr(table, k) == v for k, v in zip(keys, key))))
                answers.setdefault(table, []).extend(changed)
            write, row = kept.course_write
            if write and row is None:
                session.execute(delete(CourseProgress).where(CourseProgress.enrolment_id == enrolment_id))
            elif write:
                courses.append(dict(row, enrolment_id=enrolment_id))
        _upsert(session, ModuleProgress.__table__, modules, ("enrolment_id", "module"))
        for table, rows in answers.items():
            _upsert(session, table.__table__, rows, ("enrolment_id", "module", *self.ANSWER_KEYS[table]))
        _upsert(session, CourseProgress.__table__, courses, ("enrolment_id",))


class _KeptEnrolment:
    """An enrolment's projection rows as kept, and the writes that make them what was read from the store."""

    def __init__(self, kept: _Kept, enrolment_id: int):
        self.kept, self.enrolment_id = kept, enrolment_id
        self.modules: dict[str, dict] = {}
        self.kept_course: dict | None = None
        self.module_writes: dict[str, dict | None] = {}
        self.answer_writes: list[tuple] = []
        self.course_write: tuple[bool, dict | None] = (False, None)

    def module(self, slug: str, row: dict | None) -> None:
        if _differ(self.modules.get(slug), row):
            self.module_writes[slug] = row
        if row is None:
            self.modules.pop(slug, None)
        else:
            self.modules[slug] = row

    def answers(self, table, slug: str, rows: dict[tuple, dict]) -> None:
        keys = _Kept.ANSWER_KEYS[table]
        kept = self.kept.answers_kept(table, self.enrolment_id, slug)
        gone = [key for key in kept if key not in rows]
        changed = [dict(zip(keys, key), **row, enrolment_id=self.enrolment_id, module=slug)
                   for key, row in rows.items() if _differ(kept.get(key), row)]
        if gone or changed:
            self.answer_writes.append((table, slug, keys, gone, changed))

    def course(self, row: dict | None) -> None:
        if _differ(self.kept_course, row):
            self.course_write = (True, row)


MODULE_COLUMNS = ("started", "completed", "attempts", "passed", "best_score", "first_score", "later_score",
                  "surveyed")
_KEPT_MODULES = select(ModuleProgress.enrolment_id, ModuleProgress.module,
                       *(getattr(ModuleProgress, c) for c in MODULE_COLUMNS)).where(
    ModuleProgress.enrolment_id.in_(bindparam("enrolments", expanding=True)))
_KEPT_ANSWERS = {table: select(table.__table__).where(table.enrolment_id.in_(bindparam("enrolments", expanding=True)))
                 for table in (SurveyAnswer, QuestionAnswer)}
_KEPT_COURSE = select(CourseProgress.enrolment_id, CourseProgress.trained, CourseProgress.completed).where(
    CourseProgress.enrolment_id.in_(bindparam("enrolments", expanding=True)))


def _values(row, columns) -> dict:
    return {column: getattr(row, column) for column in columns}


def _differ(kept: dict | None, row: dict | None) -> bool:
    """Whether a row kept differs from one read from the store (times compared in UTC: SQLite keeps them naive)."""
    if kept is None or row is None:
        return kept is not row
    return any(as_utc(value) != as_utc(kept[key]) if isinstance(value, dt.datetime) and kept[key] is not None
               else value != kept[key] for key, value in row.items())


def rebuild(session: Session, home_page: str) -> int:
    """Recompute every projection from the store, committing as it goes; return the enrolments done."""
    for table in (QuestionAnswer, SurveyAnswer, ModuleProgress, CourseProgress):
        session.execute(delete(table))
    session.commit()
    done = 0
    ids = list(session.scalars(select(Enrolment.id).order_by(Enrolment.id)))
    for start in range(0, len(ids), REBUILD_BATCH):
        enrolments = session.execute(_ENROLLED.where(Enrolment.id.in_(ids[start:start + REBUILD_BATCH]))
                                     .order_by(Enrolment.id)).all()
        for group in range(0, len(enrolments), REFRESH_GROUP):
            done += refresh(session, enrolments[group:group + REFRESH_GROUP], home_page)
        session.commit()
    return done
