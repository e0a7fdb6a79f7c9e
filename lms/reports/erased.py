"""What erased learners had reached, kept as anonymous counts (:class:`~lms.reports.models.ErasedReach`).

Erasing an account deletes its enrolments and their projections; before that, each enrolment is folded in
here as one more person of its course and cohort who enrolled, was trained and completed the course on such
days (UTC, without the time of day).  The reports add these counts back, so that a programme's reach does not
shrink when someone asks to be forgotten.  Nothing about the person is kept: no account, profile or answer,
and a row counts everyone who shares its course, cohort and days.  Rebuilding the projections from the store
leaves these counts alone: the statements they came from are gone.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import Enrolment, as_utc
from .models import CourseProgress, ErasedReach


def day(moment: dt.datetime | None) -> dt.datetime | None:
    """The UTC midnight that starts ``moment``'s day: the time of day is not kept."""
    if moment is None:
        return None
    return dt.datetime.combine(as_utc(moment).date(), dt.time(), tzinfo=dt.timezone.utc)


def fold(session: Session, user_id: int) -> int:
    """Count each enrolment of the account ``user_id`` among the erased learners of its course and cohort, in
    the caller's transaction, before the enrolments are deleted; return how many were folded.

    A row with the same course, cohort and days gets one more person; otherwise a row of one is added.
    """
    enrolments = session.execute(
        select(Enrolment.course_id, Enrolment.cohort_id, Enrolment.enrolled, CourseProgress.trained,
               CourseProgress.completed)
        .outerjoin(CourseProgress, CourseProgress.enrolment_id == Enrolment.id)
        .where(Enrolment.user_id == user_id).order_by(Enrolment.id)).all()
    for enrolment in enrolments:
        key = {"course_id": enrolment.course_id, "cohort_id": enrolment.cohort_id, "enrolled": day(enrolment.enrolled),
               "trained": day(enrolment.trained), "completed": day(enrolment.completed)}
        # IS NOT DISTINCT FROM: a missing cohort or day matches a missing one.
        same = session.scalar(select(ErasedReach.id).where(
            *(getattr(ErasedReach, column).is_not_distinct_from(value) for column, value in key.items()))
            .order_by(ErasedReach.id).limit(1))
        if same is None:
            session.add(ErasedReach(**key, people=1))
        else:  # added in the database, so that two erasures at once both count
            session.execute(update(ErasedReach).where(ErasedReach.id == same)
                            .values(people=ErasedReach.people + 1).execution_options(synchronize_session=False))
    session.flush()
    return len(enrolments)
