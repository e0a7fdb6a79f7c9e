"""Cohorts: create and change runs of a course, enrol learners in them, tell who trains which.

Messages of :class:`CohortError` are marked for translation and formatted with
their parameters, so the web interface shows them in the reader's language
(``gettext(exc.message, **exc.params)``) beside the field they are about, and
the CLI in English.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from authoring.locales import INTERFACE_LANGUAGES, N_

from ..accounts import importing
from ..models import Course, Enrolment, User
from ..services import NotFound, by_id
from .models import Cohort, cohort_trainer

#: The roles that may train a cohort.
TRAINER_ROLES = ("trainer", "admin")
#: Longest cohort name (the column's size).
NAME_LIMIT = 200


class CohortError(ValueError):
    """A cohort cannot be created, changed or joined as asked; the message says why.

    ``message`` is the untranslated sentence with ``%(name)s`` placeholders, ``params`` their values,
    ``field`` the form field it is about ("" when about none).
    """

    def __init__(self, message: str, field: str = "", **params) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params, self.field = message, params, field


def create_cohort(session: Session, course: Course, name: str, starts_on: dt.date, ends_on: dt.date,
                  timezone: str, language: str, self_enrol: bool = False, trainers: Iterable[User] = ()) -> Cohort:
    """Create a cohort of a course after checking every value; raise :class:`CohortError` for the first wrong one."""
    cohort = Cohort(course=course, name="", starts_on=starts_on, ends_on=ends_on)
    update_cohort(session, cohort, name=name, starts_on=starts_on, ends_on=ends_on, timezone=timezone,
                  language=language, self_enrol=self_enrol, trainers=trainers)
    session.add(cohort)
    session.flush()
    return cohort


def update_cohort(session: Session, cohort: Cohort, name: str, starts_on: dt.date, ends_on: dt.date,
                  timezone: str, language: str, self_enrol: bool = False,
                  trainers: Iterable[User] = ()) -> Cohort:
    """Change a cohort's name, dates, zone, language, self-enrolment and trainers; nothing changes if one is refused."""
    name = (name or "").strip()
    trainers = list(dict.fromkeys(trainers))
    check(name, starts_on, ends_on, timezone, language, trainers)
    cohort.name, cohort.starts_on, cohort.ends_on = name, starts_on, ends_on
    cohort.timezone, cohort.language, cohort.self_enrol = timezone, language, bool(self_enrol)
    cohort.trainers = trainers
    session.flush()
    return cohort


def check(name: str, starts_on: dt.date | None, ends_on: dt.date | None, timezone: str, language: str,
          trainers: Iterable[User] = ()) -> None:
    """Raise :class:`CohortError` for the first value a cohort cannot have."""
    if not name:
        raise CohortError(N_("A name is required."), field="name")
    if len(name) > NAME_LIMIT:
        raise CohortError(N_("At most %(limit)s characters."), field="name", limit=NAME_LIMIT)
    if not isinstance(starts_on, dt.date):
        raise CohortError(N_("A start date is required."), field="starts_on")
    if not isinstance(ends_on, dt.date):
        raise CohortError(N_("An end date is required."), field="ends_on")
    if ends_on < starts_on:
        raise CohortError(N_("The cohort cannot end (%(ends)s) before it starts (%(starts)s)."), field="ends_on",
                          ends=ends_on.isoformat(), starts=starts_on.isoformat())
    if timezone not in zoneinfo.available_timezones():
        raise CohortError(N_("%(value)s is not a time zone; write it as Region/City, e.g. Africa/Accra."),
                          field="timezone", value=timezone)
    if language not in INTERFACE_LANGUAGES:
        raise CohortError(N_("Unknown language %(value)s; choose from %(choices)s."), field="language",
                          value=language, choices=", ".join(INTERFACE_LANGUAGES))
    for user in trainers:
        if user.role not in TRAINER_ROLES:
            raise CohortError(N_("%(name)s cannot train a cohort: only trainers and admins can."), field="trainers",
                              name=user.display_name)
        if not user.is_active:
            raise CohortError(N_("%(name)s's account is deactivated."), field="trainers", name=user.display_name)


def enrol(session: Session, cohort: Cohort, user: User) -> Enrolment:
    """Enrol a user in the cohort's course, in this cohort.

    A user already enrolled in the course moves into this cohort and keeps their
    registration, so the statements they made so far stay theirs.
    """
    if not user.is_active:
        raise CohortError(N_("%(name)s's account is deactivated."), name=user.display_name)
    enrolment = session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                       Enrolment.course_id == cohort.course_id))
    if enrolment is None:
        enrolment = Enrolment(user=user, course=cohort.course)
        session.add(enrolment)
    enrolment.cohort = cohort
    session.flush()
    return enrolment


def import_people(session: Session, plan: importing.Plan, cohort: Cohort | None = None) -> list[tuple[User, bool]]:
    """Create or update the accounts of a checked CSV file and enrol them in ``cohort``, if one is given.

    Nothing is committed: the caller commits once, so the import is all or nothing.
    """
    done = importing.apply(session, plan)
    if cohort is not None:
        for user, _created in done:
            enrol(session, cohort, user)
    return done


def join(session: Session, cohort: Cohort, user: User, today: dt.date | None = None) -> Enrolment:
    """Let a learner enrol themselves in a cohort open to self-enrolment that has not ended."""
    if not is_open(cohort, today):
        raise CohortError(N_("%(cohort)s is not open to enrolment; ask the academy to enrol you."),
                          cohort=cohort.name)
    return enrol(session, cohort, user)


def may_enrol_in_course(session: Session, course: Course) -> bool:
    """Tell whether a learner may enrol in the course itself, outside any cohort: only while it has no cohort.

    Once a course runs in cohorts, learners join an open cohort or are enrolled by an admin.
    """
    return session.scalar(select(Cohort.id).where(Cohort.course_id == course.id).limit(1)) is None


def is_open(cohort: Cohort, today: dt.date | None = None) -> bool:
    """Tell whether learners may join the cohort by themselves now: self-enrolment is on and it has not ended."""
    return cohort.self_enrol and cohort.ends_on >= (today or dt.date.today())


def cohort_iri(home_page: str, cohort: Cohort) -> str:
    """The cohort's stable IRI, the grouping activity of its learners' statements."""
    return f"{home_page}cohorts/{cohort.uuid}"


def is_trainer(cohort: Cohort, user: User) -> bool:
    """Tell whether the user trains the cohort; admins count as trainers of every cohort."""
    if not getattr(user, "is_authenticated", True) or not user.is_active:
        return False
    return user.role == "admin" or any(trainer.id == user.id for trainer in cohort.trainers)


def cohorts_for_trainer(session: Session, user: User) -> list[Cohort]:
    """The cohorts the user trains (every cohort for an admin), latest first."""
    query = select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.name)
    if user.role != "admin":
        query = query.join(cohort_trainer, cohort_trainer.c.cohort_id == Cohort.id).where(
            cohort_trainer.c.user_id == user.id)
    return list(session.scalars(query))


def cohorts_of_course(session: Session, course: Course) -> list[Cohort]:
    """The cohorts of a course, latest first."""
    return list(session.scalars(select(Cohort).where(Cohort.course_id == course.id)
                                .order_by(Cohort.starts_on.desc(), Cohort.name)))


def open_cohorts(session: Session, course: Course, today: dt.date | None = None) -> list[Cohort]:
    """The cohorts of a course a learner may join by themselves now, soonest first."""
    today = today or dt.date.today()
    return list(session.scalars(select(Cohort).where(Cohort.course_id == course.id, Cohort.self_enrol.is_(True),
                                                     Cohort.ends_on >= today)
                                .order_by(Cohort.starts_on, Cohort.name)))


def list_cohorts(session: Session) -> list[Cohort]:
    """Every cohort, by course then latest first."""
    return list(session.scalars(select(Cohort).join(Course).order_by(Course.title, Cohort.starts_on.desc(),
                                                                     Cohort.name)))


def get_cohort(session: Session, cohort_id: int) -> Cohort:
    """The cohort with this id; raise :class:`lms.services.NotFound` when there is none."""
    cohort = by_id(session, Cohort, cohort_id)
    if cohort is None:
        raise NotFound(f"no cohort {cohort_id}")
    return cohort


def learners(session: Session, cohort: Cohort) -> list[User]:
    """The users enrolled in the cohort, by display name."""
    return list(session.scalars(select(User).join(Enrolment, Enrolment.user_id == User.id)
                                .where(Enrolment.cohort_id == cohort.id).order_by(User.display_name, User.username)))


def enrolments(session: Session, cohort: Cohort) -> list[Enrolment]:
    """The cohort's enrolments, by learner's display name."""
    return list(session.scalars(select(Enrolment).join(User, Enrolment.user_id == User.id)
                                .where(Enrolment.cohort_id == cohort.id).order_by(User.display_name, User.username)))
