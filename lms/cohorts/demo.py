"""The demonstration's programme: a cohort with two trainers, learners of varied profiles, a live session
held last week with its attendance taken and one to come, so that each screen shows something."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts import services as accounts
from ..models import Course, User
from ..sessions import services as sessions
from . import services
from .models import Cohort

COHORT = "Demo cohort"
#: Learners beside the demo's own: username, name, country, institution, gender, language, time zone.
LEARNERS = (
    ("awa.diop", "Awa Diop", "SN", "Ministry of Foreign Affairs, Senegal", "female", "fr", "Africa/Dakar"),
    ("ion.rusu", "Ion Rusu", "MD", "Ministry of Foreign Affairs, Moldova", "male", "ru", "Europe/Chisinau"),
    ("ana.mora", "Ana Mora", "CR", "Consulate General, San José", "female", "es", "America/Costa_Rica"),
    ("kofi.mensah", "Kofi Mensah", "GH", "Diplomatic academy, Accra", "another", "en", "Africa/Accra"),
    ("layla.haddad", "Layla Haddad", "JO", "Crisis unit, Amman", "prefer_not_to_say", "ar", "Asia/Amman"),
)
#: How the demo's learners were marked at last week's session, with a remark for some.
MARKS = {"learner": ("present", ""), "awa.diop": ("present", ""), "ion.rusu": ("late", "Arrived at 09:40"),
         "ana.mora": ("excused", "On mission"), "kofi.mensah": ("present", ""), "layla.haddad": ("absent", "")}


def demo_programme(session: Session, course: Course, trainers: list[User], home_page: str,
                   today: dt.date | None = None) -> Cohort:
    """Create the demo cohort of ``course`` (once: a second run finds it) and return it."""
    cohort = session.scalar(select(Cohort).where(Cohort.course_id == course.id, Cohort.name == COHORT))
    if cohort is not None:
        return cohort
    today = today or dt.date.today()
    cohort = services.create_cohort(session, course, COHORT, today - dt.timedelta(days=30),
                                    today + dt.timedelta(days=60), "Africa/Dakar", "en", trainers=trainers)
    people = [accounts.find_user(session, "learner")]
    for username, name, country, institution, gender, language, zone in LEARNERS:
        user = accounts.find_user(session, username) or accounts.create_user(
            session, username, None, "learner", name, country=country, institution=institution, gender=gender,
            language=language, timezone=zone)
        people.append(user)
    for user in people:
        services.enrol(session, cohort, user)
    past = sessions.schedule(session, cohort, "earthquake-tabletop",
                             dt.datetime.combine(today - dt.timedelta(days=7), dt.time(9)),
                             place="Diplomatic academy, room 2", facilitators=trainers)
    sessions.schedule(session, cohort, "debrief-action-planning",
                      dt.datetime.combine(today + dt.timedelta(days=14), dt.time(14)),
                      place="Diplomatic academy, room 2", meeting_url="https://meet.example.org/demo-debrief",
                      facilitators=trainers[:1])
    sessions.mark(session, past, trainers[0], {user.id: MARKS[user.username] for user in people}, home_page)
    session.flush()
    return cohort
