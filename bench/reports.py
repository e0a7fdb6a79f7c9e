"""M&E reports over a large store: each page and export read from the projections, against the same figures
recomputed from the statements, and ingest with the projections kept in the transaction and without.

Usage: .venv/bin/python bench/reports.py [--learners 10000] [--statements 1000000] [--cohorts 20]
                                         [--repeats 20] [--sample 1000] [--ingest 5000] [--served 20000]
                                         [--profile]
                                         [--analyze-sqlite] [--databases sqlite,postgresql]
                                         [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

For each database, in a new empty one:

1. set up: the sample course built and imported; ``--cohorts`` cohorts that started over the past months; and
   ``--learners`` learners enrolled in them, with the profiles of the demonstration's programme (eight
   countries, their institutions and interface languages, sex), each cohort drawing on four countries;
2. fill: each learner's journey, planned as the demonstration plans its own (a pre-test; the self-paced
   modules in order up to where they stop, with retakes; the satisfaction survey; the live modules attended;
   the course's completion and, months later, the follow-up survey), then pages read again until the store
   holds ``--statements``.  Every statement is made by :mod:`lms.services.learning`'s builders (once per shape
   and cohort, then copied with the learner's account, registration, id and time), and stored under the LMS's
   authority through the LRS's storage code in batches of 1,000, a learner's statements together, with the
   projections kept in the same transaction: time and statements/s;
3. ingest: the journeys of the last learners (about ``--ingest`` statements each way) stored in batches of 50,
   a transaction each as a request has, in-process, one at a time, with the projections on and off in turns of
   10 batches so that neither meets a fuller store: statements/s each way and the ratio.  Then as in production
   (as ``bench/lrs.py`` measures the LRS): the journeys of other learners (about ``--served`` statements each
   way) posted to ``/xapi/statements`` in batches of 50 by 8 clients at once, each posting its learners'
   statements in order under an LRS key (what a device sends: the LMS grades and records the rest itself), to
   the LMS under gunicorn as the README's production command runs it (4 sync workers), with the projections
   on, then off
   (``bench/reports_wsgi.py``): statements/s each way and the ratio, target >= 2,000/s with them on;
4. rebuild: what ``passerelle reports rebuild`` does (:func:`lms.reports.projections.rebuild`), timed, and
   checked to give back the projections kept in the transactions (but for the learners ingested with the
   projections off, who had none);
5. baseline: the course's figures straight from the statements.  The Reports page before the projections ran
   one aggregate query over the store per module and figure (enrolled, started, completed, mean best score):
   the median of 3.  Then the reach and module funnel the projections hold, recomputed learner by learner
   with :func:`lms.services.learning.course_status` and :func:`~lms.services.learning.progress`, the one
   definition of progress (which profile filters need): for ``--sample`` enrolments spread over all,
   extrapolated to all, and checked against the projections;
6. pages: every M&E page and export as an analyst logged in through the Flask test client (in-process, no
   HTTP server), ``--repeats`` times each with the filters varied: p50 and p95, target p95 <= 1 s, and the
   unfiltered course page against the baselines.  ``--profile`` prints where the time of a page that misses
   its target goes (cProfile, one request);
7. per-learner exports, as an analyst asks for them (written in the background, :mod:`lms.reports.jobs`): for
   CSV and XLSX, ``--repeats`` times each, the POST that asks for one, the time until the app server's thread has
   written it (a figure: no one waits on a page for it), and its download: p50 and p95 of asking and of
   downloading, and of the exports page listing them, target p95 <= 1 s.

PostgreSQL's tables are analysed as the store grows tenfold during the fill (10,000, 100,000... statements),
after it and after the rebuild, as autovacuum does on a live server.  SQLite's are not, as nothing analyses them
in production, unless ``--analyze-sqlite`` asks: SQLite's planner then works from the statistics the migration
gave it (:data:`xapi.models.SQLITE_STATISTICS`); the bench prints how it reads a learner's course completion.
Needs the ``prod`` extra (gunicorn), which ``make`` installs.  ``--postgres``
names the database to run on, which is emptied first; given the server's own ``postgres`` database, a database
``passerelle_bench`` is made beside it instead (as in ``bench/lrs.py``).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import os
import pstats
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import distinct, func, select  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from authoring import model  # noqa: E402
from authoring.build import build_course  # noqa: E402
from lms import create_app  # noqa: E402
from lms.accounts import services as accounts  # noqa: E402
from lms.certificates.demo import first_walk, right_answer, wrong_answer  # noqa: E402
from lms.cohorts import services as cohorts  # noqa: E402
from lms.db import get_db, make_engine, migrate  # noqa: E402
from lms.models import Course, Enrolment  # noqa: E402
from lms.reports import projections  # noqa: E402
from lms.reports.demo import COMMENTS, COUNTRIES, GENDERS  # noqa: E402
from lms.reports.models import CourseProgress, ModuleProgress, QuestionAnswer, SurveyAnswer  # noqa: E402
from lms.services.learning import _statement as recorded  # noqa: E402  (the LMS's own statements, as it builds them)
from lms.services import catalog, learning  # noqa: E402
from lrs import Server, analyze as analyze_postgres, fresh_postgres  # noqa: E402  (bench/lrs.py, beside this script)
from xapi import statements as xs  # noqa: E402
from xapi.models import StatementRecord  # noqa: E402
from xapi.store import about_activity, statements_stored, store_statements  # noqa: E402

HOME = "https://learning.academy.example.org/"
SEED = 2026
PAGE_TARGET = 1.0  # seconds, p95 of each page and export
EXPORT_WAIT = 600  # seconds a per-learner export may take to be written before the bench gives up on it
INGEST_TARGET = 2000  # statements/s in batches, projections on
FILL_BATCH, INGEST_BATCH, TURN = 1000, 50, 10  # statements a fill batch, an ingest batch; ingest batches a turn
CLIENTS = 8  # clients posting at once to the LMS under gunicorn, as bench/lrs.py has them
WORKERS = 4  # gunicorn's sync workers, as the README's production command runs the LMS
PASSWORD = "analyst-bench-password"
#: Where learners stop, as weights: before starting, after the pre-test, after the first, second or third
#: self-paced module; or they finish the course (the demonstration's programme has the same).
NEVER, PRE_TEST, FINISH = "never", "pre-test", "finish"
STOPS = {NEVER: 3, PRE_TEST: 5, 0: 7, 1: 5, 2: 4, FINISH: 36}
#: The weights of the four countries a cohort draws its learners from, the first sending most.
SENDS = (7, 5, 4, 4)
CITIES = ("Dakar", "Chișinău", "Amman", "San José", "Tunis", "Accra", "Rabat", "Kyiv", "Geneva", "Vienna")
IN_PROCESS, SERVED = "in-process", "served"  # how the last learners are ingested
#: The course's tables, as their exports are named.
TABLES = ("reach", "by-sex", "by-country", "by-institution", "by-language", "by-cohort", "funnel", "reaction",
          "knowledge", "quizzes", "follow-up", "follow-up-answers")

#: An event of a journey: when, the statement's shape (what its builder depends on but the learner) and builder.
Event = tuple[dt.datetime, tuple, Callable[[learning.Learner], dict]]


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def percentiles(times: list[float]) -> tuple[float, float]:
    """p50 and p95, as bench/lrs.py counts them."""
    times = sorted(times)
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)]


def analyze(database_url: str, sqlite: bool) -> None:
    """Give the query planner its statistics: PostgreSQL's, as autovacuum does on a live server; SQLite's only
    with ``--analyze-sqlite``, since nothing runs SQLite's ANALYZE (or ``PRAGMA optimize``) in production."""
    if not database_url.startswith("sqlite"):
        analyze_postgres(database_url)
    elif sqlite:
        engine = make_engine(database_url)
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        engine.dispose()


# -- the programme: cohorts and learners, planned from the seed before anything is stored ------------------------

@dataclass
class CohortPlan:
    name: str
    starts: dt.date
    ends: dt.date
    zone: str
    language: str
    countries: tuple[str, ...]
    id: int = 0
    iri: str = ""


@dataclass
class Person:
    """A learner of the bench: their profile and cohort, then their enrolment once stored."""

    number: int
    name: str
    country: str
    institution: str
    gender: str
    language: str
    cohort: int  # index into the cohorts
    enrolled: dt.datetime
    enrolment: int = 0
    actor_id: str = ""
    registration: str = ""


def plan_programme(learners: int, cohort_count: int, today: dt.date) -> tuple[list[CohortPlan], list[Person]]:
    """Cohorts that started between about 19 and 9 months ago, and learners spread over them unevenly."""
    rng = random.Random(SEED)
    codes = list(COUNTRIES)
    plans = []
    for n in range(cohort_count):
        starts = today - dt.timedelta(days=560 - n * 285 // max(cohort_count - 1, 1))
        countries = tuple(codes[(n + k) % len(codes)] for k in range(len(SENDS)))
        home = COUNTRIES[countries[0]]
        language = max(home.languages, key=home.languages.get)
        plans.append(CohortPlan(f"{CITIES[n % len(CITIES)]} {starts:%Y-%m} ({n + 1})", starts,
                                starts + dt.timedelta(days=70), home.zone, language, countries))
    sizes = [rng.uniform(0.5, 1.5) for _ in plans]
    people = []
    for number in range(learners):
        cohort = rng.choices(range(len(plans)), weights=sizes)[0]
        plan = plans[cohort]
        code = rng.choices(plan.countries, weights=SENDS)[0]
        country = COUNTRIES[code]
        gender = rng.choices(list(GENDERS), weights=(50, 44, 3, 3))[0]
        firsts = {"female": country.women, "male": country.men}.get(gender, country.women + country.men)
        institution = rng.choices(country.institutions + ("",), weights=(60, 20, 10, 2))[0]  # a few not recorded
        language = rng.choices(list(country.languages), weights=list(country.languages.values()))[0]
        day = plan.starts - dt.timedelta(days=rng.randint(3, 20))
        people.append(Person(number, f"{rng.choice(firsts)} {rng.choice(country.surnames)}", code, institution,
                             gender, language, cohort, _at(rng, day)))
    return plans, people


def _at(rng: random.Random, day: dt.date) -> dt.datetime:
    """A moment of a working day, in UTC."""
    return dt.datetime.combine(day, dt.time(rng.randint(6, 17), rng.randint(0, 59)), dt.timezone.utc)


def set_up(session, course: Course, plans: list[CohortPlan], people: list[Person]) -> None:
    """Create the cohorts and the learners' accounts, and enrol them, through the services the app uses."""
    made = []
    for plan in plans:
        cohort = cohorts.create_cohort(session, course, plan.name, plan.starts, plan.ends, plan.zone, plan.language)
        plan.id, plan.iri = cohort.id, cohorts.cohort_iri(HOME, cohort)
        made.append(cohort)
    # Learners never log in here: a cheap hash of their random password saves 0.16 s each (27 minutes for 10,000).
    cheap = lambda password: generate_password_hash(password, method="pbkdf2:sha256:1")  # noqa: E731
    with mock.patch.object(accounts, "generate_password_hash", cheap):
        for person in people:
            user = accounts.create_user(session, f"learner{person.number:05d}", None, "learner", person.name,
                                        country=person.country, institution=person.institution,
                                        gender=person.gender, language=person.language,
                                        timezone=COUNTRIES[person.country].zone)
            enrolment = cohorts.enrol(session, made[person.cohort], user)
            enrolment.enrolled = person.enrolled
            session.flush()
            person.enrolment, person.actor_id, person.registration = enrolment.id, user.actor_id, enrolment.registration
            if person.number % 500 == 499:
                session.commit()
    session.commit()


# -- journeys: what each learner does, and the statements that records ----------------------------------------

class Journeys:
    """Each learner's journey, planned from the seed and their number: the same at every run."""

    def __init__(self, version, plans: list[CohortPlan], now: dt.datetime):
        self.version, self.plans, self.now = version, plans, now
        self.editions: dict[str, model.Course] = {}

    def edition(self, language: str) -> model.Course:
        if language not in self.editions:
            self.editions[language] = catalog.edition(self.version, language)
        return self.editions[language]

    def plan(self, person: Person, revisits: int = 0) -> list[Event]:
        """The learner's events in the order they happen; ``revisits`` pages read again on top."""
        rng = random.Random(f"{SEED}-{person.number}")
        course = self.edition(person.language)
        cohort = self.plans[person.cohort]
        events: list[Event] = []
        clock = [cohort.starts]

        def add(moment: dt.datetime, shape: tuple, build) -> None:
            events.append((moment, shape, build))

        def session_at(day: dt.date) -> Callable[[], dt.datetime]:
            """Moments of one sitting: a minute or so apart."""
            clock[0] = _at(rng, day)

            def tick() -> dt.datetime:
                clock[0] += dt.timedelta(seconds=rng.randint(20, 240))
                return clock[0]
            return tick

        read: list[tuple[dt.datetime, model.Module, model.Page]] = []

        def read_page(tick, module, page):
            moment = tick()
            read.append((moment, module, page))
            add(moment, ("page", module.slug, page.id), lambda l: learning.page_view(l, course, module, page))

        def attempt(tick, module, wrong: set[str]) -> learning.QuizResult:
            responses = {q.id: wrong_answer(q) if q.id in wrong else right_answer(q) for q in module.quiz.questions}
            result = learning.grade_quiz(module.quiz, responses)
            for question in module.quiz.questions:
                response, correct = "[,]".join(responses[question.id]), result.correct[question.id]
                add(tick(), ("answer", module.slug, question.id, response, correct),
                    lambda l, q=question, r=response, c=correct: learning.quiz_answer(
                        l, course, module, q, xs.answer_result(r, c)))
            add(tick(), ("outcome", module.slug, result.points),
                lambda l: learning.graded_outcome(l, course, module, result))
            return result

        def complete(moment, module, best: float | None):
            result = xs.score_result(best, 1.0, success=True, completion=True) if best is not None \
                else xs.completion_result()
            add(moment, ("completed", module.slug, best), lambda l: recorded(
                l, "completed", learning.module_activity(course, module), [learning.course_activity(course)], [],
                result))

        def survey(tick, module, later: bool = False):
            texts = COMMENTS["follow-up" if later else ("next" if module.type == model.LIVE else "change")]
            for item in module.survey.items:
                if item.kind == model.LIKERT:
                    points = len(item.scale)
                    weights = {3: (15, 65, 20), 5: (2, 5, 15, 43, 35) if later else (3, 8, 22, 42, 25)}.get(
                        points, range(1, points + 1))
                    answer = str(rng.choices(range(1, points + 1), weights=weights)[0])
                elif rng.random() < 0.3:
                    answer = rng.choice(texts.get(person.language, texts["en"]))
                else:
                    continue
                add(tick(), ("survey", module.slug, item.id, answer), lambda l, i=item, a=answer:
                    learning.survey_response(l, course, module, i, xs.answer_result(a)))
            add(tick(), ("survey-completed", module.slug), lambda l: learning.survey_completed(l, course, module))

        def mistakes(module, knows: float) -> set[str]:
            return {q.id for q in module.quiz.questions if rng.random() >= knows}

        path = [m for m in course.modules if m.type == model.SELF_PACED]
        test = course.module(course.knowledge[0].pre) if course.knowledge else None
        stop = rng.choices(list(STOPS), weights=list(STOPS.values()))[0]
        if stop != NEVER:
            knows = rng.uniform(0.2, 0.65)  # the chance of answering a question right before studying
            learns = min(0.97, knows + rng.uniform(0.25, 0.45))  # and after
            day = cohort.starts + dt.timedelta(days=rng.randint(0, 6))
            tries: dict[str, int] = {}
            best: dict[str, float] = {}

            def take(tick, module, wrong) -> bool:
                result = attempt(tick, module, wrong)
                tries[module.slug] = tries.get(module.slug, 0) + 1
                best[module.slug] = max(best.get(module.slug, 0.0), result.scaled)
                return result.passed

            if test is not None and test.quiz is not None:
                take(session_at(day), test, mistakes(test, knows))  # the pre-test
            finished = None
            if stop == PRE_TEST:
                if rng.random() < 0.5:  # read a little, then gave up
                    read_page(session_at(day + dt.timedelta(days=rng.randint(1, 5))), path[0], path[0].pages[0])
            else:
                for index, module in enumerate(path):
                    day += dt.timedelta(days=rng.randint(2, 10))
                    tick = session_at(day)
                    for page in module.pages:
                        read_page(tick, module, page)
                    for scenario in module.scenarios:
                        walk = first_walk(scenario)
                        success = {model.SUCCESS: True, model.FAILURE: False}.get(scenario.step(walk[-1]).outcome)
                        add(tick(), ("scenario", module.slug, scenario.id), lambda l, s=scenario, w=walk, o=success:
                            recorded(l, "completed", xs.activity(module.scenario_iri(s), "scenario", s.title,
                                                                 course.text_language),
                                     [learning.module_activity(course, module)], [learning.course_activity(course)],
                                     xs.completion_result(success=o, response="[,]".join(w))))
                    if module.quiz is not None:
                        allowed = module.quiz.attempts or 99
                        if module is test:  # studied, then the same quiz again: the post-test, retaken if need be
                            passed = take(tick, module, mistakes(module, learns))
                            while not passed and tries[module.slug] < allowed:
                                day += dt.timedelta(days=rng.randint(1, 3))
                                tick = session_at(day)
                                passed = take(tick, module, mistakes(module, min(0.97, learns + 0.1)))
                        else:  # a slip or two, then right at once if the quiz allows a second try
                            passed = take(tick, module, mistakes(module, (1 + learns) / 2))
                            if not passed and tries[module.slug] < allowed:
                                passed = take(tick, module, set())
                        if not passed:
                            break  # no attempt left: stuck short of the pass mark
                    completed = tick()
                    complete(completed, module, best.get(module.slug))
                    if module.survey is not None and rng.random() < 0.85:
                        survey(session_at(day + dt.timedelta(days=1)), module)
                    if index == stop:
                        if rng.random() < 0.5:  # opened the next module, and went no further
                            following = path[index + 1]
                            read_page(session_at(day + dt.timedelta(days=rng.randint(3, 20))), following,
                                      following.pages[0])
                        break
                else:
                    finished = completed + dt.timedelta(seconds=1)  # recorded with the last module's
                    add(finished, ("course",), lambda l: recorded(l, "completed", learning.course_activity(course),
                                                                  [], [], xs.completion_result()))
            if finished is not None and course.follow_up is not None and rng.random() < 0.75:
                module = course.module(course.follow_up.module)
                later = finished.date() + dt.timedelta(days=course.follow_up.after_days + rng.randint(1, 30))
                survey(session_at(later), module, later=True)
            self._live(rng, course, cohort, stop, add, session_at, survey)
        if revisits:
            again = random.Random(f"{SEED}-{person.number}-again")
            for _ in range(revisits):
                moment, module, page = again.choice(read)
                moment = min(moment + dt.timedelta(hours=again.randint(1, 60 * 24)), self.now)
                add(moment, ("page", module.slug, page.id),
                    lambda l, m=module, p=page: learning.page_view(l, course, m, p))
        events.sort(key=lambda event: event[0])  # stable: what happened at one moment stays in planned order
        return events

    @staticmethod
    def _live(rng, course, cohort, stop, add, session_at, survey) -> None:
        """The live modules, half-way through the cohort and on: those who keep going mostly come."""
        lives = [m for m in course.modules if m.type == model.LIVE]
        keeps_going = stop not in (NEVER, PRE_TEST, 0)
        days = (cohort.ends - cohort.starts).days
        for index, module in enumerate(lives):
            if rng.random() >= (0.78 if keeps_going else 0.25):
                continue
            day = cohort.starts + dt.timedelta(days=days * (index + 2) // (len(lives) + 2))
            tick = session_at(day)
            add(tick(), ("completed", module.slug, None), lambda l, m=module: recorded(
                l, "completed", learning.module_activity(course, m), [learning.course_activity(course)], [],
                xs.completion_result()))
            if module.survey is not None and rng.random() < 0.75:
                survey(tick, module)


class Shapes:
    """Statements made by learning's builders once per shape, cohort and language for a stand-in learner, then
    copied for each learner with their account, registration, id and time (building each anew costs 0.4 ms)."""

    ACTOR = "bench-stand-in-learner"
    REGISTRATION = "00000000-0000-4000-8000-00000000beec"

    def __init__(self, journeys: Journeys, plans: list[CohortPlan]):
        self.journeys, self.plans = journeys, plans
        self.made: dict[tuple, str] = {}

    def statements(self, person: Person, events: list[Event]) -> list[dict]:
        ids = random.Random(f"{SEED}-{person.number}-ids")
        out = []
        for moment, shape, build in events:
            key = (person.cohort, person.language, shape)
            template = self.made.get(key)
            if template is None:
                cohort = self.plans[person.cohort]
                stand_in = learning.Learner(actor_id=self.ACTOR, registration=self.REGISTRATION,
                                            language=self.journeys.edition(person.language).text_language,
                                            home_page=HOME, cohort=cohort.iri, cohort_name=cohort.name)
                template = self.made[key] = json.dumps(build(stand_in), ensure_ascii=False)
            data = json.loads(template.replace(self.ACTOR, person.actor_id)
                              .replace(self.REGISTRATION, person.registration))
            data["id"] = str(uuid.UUID(int=ids.getrandbits(128), version=4))
            data["timestamp"] = moment.isoformat()
            out.append(data)
        return out


def revisits(journeys: Journeys, people: list[Person], target: int) -> tuple[list[int], list[int]]:
    """Each learner's statements without revisits, and the pages they read again so that all make ``target``:
    shared by the pages each has read, unevenly."""
    core, weights = [], []
    for person in people:
        events = journeys.plan(person)
        core.append(len(events))
        pages = sum(1 for _, shape, _ in events if shape[0] == "page")
        weights.append(pages * random.Random(f"{SEED}-{person.number}-weight").uniform(0.3, 1.7))
    extra, total = target - sum(core), sum(weights)
    if extra < 0 or (extra and not total):
        raise SystemExit(f"--statements must be at least {sum(core):,} for these learners: their journeys alone "
                         "make that many")
    shares = [extra * w / total if total else 0 for w in weights]
    counts = [int(share) for share in shares]
    left = extra - sum(counts)
    for n in sorted(range(len(people)), key=lambda n: (counts[n] - shares[n], n))[:left]:
        counts[n] += 1
    return core, counts


# -- measuring ---------------------------------------------------------------------------------------------

def completion_plan(database_url: str) -> str:
    """How SQLite reads a learner's course completion (the query of learning.course_completed_at): through the
    actor's index, unless the statistics it was given or measured say otherwise."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT data, stored FROM xapi_statement WHERE actor_key = ? AND voided IS 0 "
            "AND authority_key = ? AND object_id = ? AND verb_id = ? ORDER BY seq LIMIT 1", ("", "", "", "")).all()
    engine.dispose()
    return "; ".join(row[-1] for row in rows)


def fill(session, shapes: Shapes, journeys: Journeys, people: list[Person], extra: list[int],
         grown: Callable[[], None]) -> tuple[int, float]:
    """Store the learners' statements in batches of 1,000 with the projections on, calling ``grown`` each time
    the store reaches 10,000, 100,000, 1,000,000... statements; return the count and the seconds spent storing
    (and committing)."""
    authority = learning.authority(HOME)
    buffer: list[dict] = []
    stored, storing, reported, analysed = 0, 0.0, 0, 10_000

    def store(batch):
        nonlocal stored, storing, reported, analysed
        started = time.perf_counter()
        store_statements(session, batch, authority)
        session.commit()
        storing += time.perf_counter() - started
        stored += len(batch)
        if stored // 100_000 > reported:
            reported = stored // 100_000
            print(f"    stored {stored:,} ({stored / storing:,.0f}/s)", flush=True)
        if stored >= analysed:
            grown()  # as autovacuum would, after the tables grew tenfold
            analysed *= 10

    for person in people:
        buffer += shapes.statements(person, journeys.plan(person, extra[person.number]))
        while len(buffer) >= FILL_BATCH:
            store(buffer[:FILL_BATCH])
            buffer = buffer[FILL_BATCH:]
    if buffer:
        store(buffer)
    return stored, storing


def ingest(app, session, sides: dict[bool, list[list[dict]]]) -> dict[bool, float]:
    """Statements/s storing each side's batches, a transaction each, with the projections on (True) and off,
    in turns of ``TURN`` batches; the projections are left on."""
    receiver, engine = app.extensions["reports.projections"], app.extensions["db.engine"]
    authority = learning.authority(HOME)
    seconds, counts, at = {True: 0.0, False: 0.0}, {True: 0, False: 0}, {True: 0, False: 0}
    turn = 0
    while any(at[side] < len(batches) for side, batches in sides.items()):
        for on in ((True, False) if turn % 2 == 0 else (False, True)):
            if on:
                statements_stored.connect(receiver, sender=engine)
            else:
                statements_stored.disconnect(receiver, sender=engine)
            for batch in sides[on][at[on]:at[on] + TURN]:
                started = time.perf_counter()
                store_statements(session, batch, authority)
                session.commit()
                seconds[on] += time.perf_counter() - started
                counts[on] += len(batch)
            at[on] += TURN
        turn += 1
    statements_stored.connect(receiver, sender=engine)
    return {on: counts[on] / seconds[on] if seconds[on] else 0.0 for on in sides}


def post(database_url: str, folder: Path, projections_on: bool, clients: list[list[list[dict]]]) -> float:
    """Statements/s posting each client's batches, all clients at once, to the LMS under gunicorn (served by
    ``bench/reports_wsgi.py``, with the projections on or off), through an LRS key of its own.

    Each request comes on a connection of its own, as a reverse proxy in front of gunicorn sends it (nginx
    keeps no connection to gunicorn open unless told to), so that every worker takes requests.  On 8
    connections kept open from the start, one gthread worker accepted nearly all of them and served with one
    core while the other idled."""
    server = Server(database_url, folder, app="reports_wsgi:app()", chdir=Path(__file__).resolve().parent,
                    workers=WORKERS, threads=1,
                    env={"PASSERELLE_PUBLIC_URL": HOME, "PASSERELLE_BENCH_PROJECTIONS": "on" if projections_on else "off"})
    counts = [0] * len(clients)

    def work(n: int) -> None:
        for batch in clients[n]:
            server.request("POST", "/xapi/statements", batch)  # a connection each, as from a reverse proxy
            counts[n] += len(batch)

    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(len(clients))]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    finally:
        server.stop()
    if sum(counts) != sum(len(batch) for batches in clients for batch in batches):
        raise SystemExit("a client stopped before posting all its statements")
    return sum(counts) / seconds


def snapshot(session, leave_out: set[int]) -> dict[str, set[tuple]]:
    """Every projection row but its surrogate id, the enrolments ``leave_out`` aside."""
    found = {}
    for table in (ModuleProgress, CourseProgress, SurveyAnswer, QuestionAnswer):
        columns = [column for column in table.__table__.columns if column.name != "id"]
        found[table.__tablename__] = {tuple(row) for row in session.execute(select(*columns))
                                      if row.enrolment_id not in leave_out}
    return found


def old_module_figures(session, course: Course) -> list[tuple]:
    """The Reports page's figures before the projections: per module, learners enrolled, who made any statement
    about it, whose completion the LMS recorded, and the mean of each learner's best quiz score, each an
    aggregate query over the store."""
    enrolled = session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.course_id == course.id))
    ours, live = learning.vouched(HOME), StatementRecord.voided.is_(False)
    rows = []
    for module in course.current.model.modules:
        started = session.scalar(select(func.count(distinct(StatementRecord.actor_key))).where(
            live, about_activity(module.iri)))
        completed = session.scalar(select(func.count(distinct(StatementRecord.actor_key))).where(
            live, ours, StatementRecord.object_id == module.iri, StatementRecord.verb_id == xs.VERBS["completed"]))
        best: dict[str, float] = {}
        if module.quiz is not None:
            for actor, data in session.execute(select(StatementRecord.actor_key, StatementRecord.data).where(
                    live, ours, StatementRecord.object_id == module.quiz_iri,
                    StatementRecord.verb_id.in_([xs.VERBS["passed"], xs.VERBS["failed"]]))):
                scaled = learning.quiz_score(json.loads(data))
                if scaled is not None:
                    best[actor] = max(scaled, best.get(actor, 0.0))
        rows.append((module.slug, enrolled, started, completed, sum(best.values()) / len(best) if best else None))
    return rows


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=dt.timezone.utc) if moment is not None and moment.tzinfo is None else moment


def recompute(session, course: Course, enrolment_ids: list[int]) -> tuple[float, int]:
    """Reach and the module funnel of ``enrolment_ids`` from their statements, learner by learner; return the
    seconds it took and the enrolments whose figures differ from the projections'."""
    edition = course.current.model
    started = time.perf_counter()
    figures = {}
    for enrolment_id in enrolment_ids:
        enrolment = session.get(Enrolment, enrolment_id)
        learner = learning.enrolled_learner(enrolment, edition.text_language, HOME)
        status = learning.course_status(session, learner, edition)
        states = {module.slug: learning.progress(session, learner, module) for module in edition.modules}
        completions = [state.completed_at for state in states.values() if state.completed_at is not None]
        figures[enrolment_id] = (
            min(completions) if completions else None, status.completed,
            {slug: (state.started_at, state.completed_at, state.best_score) for slug, state in states.items()
             if state.started_at or state.completed_at or state.attempts or state.surveyed})
    seconds = time.perf_counter() - started
    kept = {enrolment_id: (None, None, {}) for enrolment_id in enrolment_ids}
    for row in session.scalars(select(CourseProgress).where(CourseProgress.enrolment_id.in_(enrolment_ids))):
        kept[row.enrolment_id] = (_utc(row.trained), _utc(row.completed), {})
    for row in session.scalars(select(ModuleProgress).where(ModuleProgress.enrolment_id.in_(enrolment_ids))):
        kept[row.enrolment_id][2][row.module] = (_utc(row.started), _utc(row.completed), row.best_score)
    differ = sum(figures[enrolment_id] != kept[enrolment_id] for enrolment_id in enrolment_ids)
    return seconds, differ


def log_in(client) -> None:
    form = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)[1]
    client.post("/auth/login", data={"username": "analyst", "password": PASSWORD, "csrf_token": token})


def pages(slug: str, plans: list[CohortPlan], quizzes: list[str], today: dt.date) -> list[tuple[str, list[str]]]:
    """Each page and export to time, with the addresses its requests take in turn (the filters varied)."""
    course = f"/reports/{slug}/"
    quarters = [(today - dt.timedelta(days=90 * (q + 1)), today - dt.timedelta(days=90 * q)) for q in range(6)]
    rows = [("programme /reports/", ["/reports/"]),
            ("course /reports/<course>/", [course]),
            ("course ?cohort=", [f"{course}?cohort={plan.id}" for plan in plans]),
            ("course ?country=", [f"{course}?country={code}" for code in COUNTRIES]),
            ("course ?sex=", [f"{course}?sex={sex}" for sex in GENDERS]),
            ("course ?start=&end= (a quarter)", [f"{course}?start={a}&end={b}" for a, b in quarters]),
            ("course ?cohort=&sex=", [f"{course}?cohort={plan.id}&sex={sex}" for plan in plans
                                      for sex in ("female", "male")])]
    rows += [(f"item analysis modules/{module}/", [f"{course}modules/{module}/"]) for module in quizzes]
    rows += [(f"export {table}.{extension}", [f"{course}{table}.{extension}"])
             for table in TABLES for extension in ("csv", "xlsx")]
    rows += [("export all.xlsx", [f"{course}all.xlsx"]),
             ("learners' exports page exports/", [f"{course}exports/"])]
    return rows


def timed_get(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    response.get_data()
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"GET {url}: HTTP {response.status_code}")
    return seconds


def learner_exports(app, client, slug: str, repeats: int) -> list[tuple[str, float]]:
    """Per-learner exports as an analyst asks for them: each format ``repeats`` times, asked for (a POST, timed),
    waited for while the app server's thread writes it, then downloaded (timed).  Print p50/p95 of each step;
    return (step, p95) of the steps a page answers, asking and downloading."""
    from lms.reports.models import ReportExport

    page, answered = f"/reports/{slug}/exports/", []
    for extension in ("csv", "xlsx"):
        asking, writing, downloading, size = [], [], [], 0
        for _ in range(repeats):
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(page).get_data(
                as_text=True))[1]
            started = time.perf_counter()
            response = client.post(page, data={"csrf_token": token, "format": extension})
            asked = time.perf_counter()
            asking.append(asked - started)
            if response.status_code != 303:
                raise SystemExit(f"POST {page} ({extension}): HTTP {response.status_code}")
            with app.extensions["db"]() as session:
                export_id = session.scalar(select(func.max(ReportExport.id)))
            status = ""
            while status not in ("ready", "failed"):
                if time.perf_counter() - asked > EXPORT_WAIT:
                    raise SystemExit(f"the export {export_id} was not written in {EXPORT_WAIT} s")
                time.sleep(0.02)
                with app.extensions["db"]() as session:
                    status, error = session.execute(select(ReportExport.status, ReportExport.error).where(
                        ReportExport.id == export_id)).one()
            writing.append(time.perf_counter() - started)
            if status == "failed":
                raise SystemExit(f"the export {export_id} failed: {error}")
            started = time.perf_counter()
            response = client.get(f"{page}{export_id}")
            size = len(response.get_data())
            downloading.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"GET {page}{export_id}: HTTP {response.status_code}")
        for step, times, target in ((f"ask learners.{extension} (POST)", asking, True),
                                    ("  written in the background (asked to ready)", writing, False),
                                    (f"download learners.{extension} ({size / 1e6:,.1f} MB)", downloading, True)):
            p50, p95 = percentiles(times)
            print(f"  {step:<48} {p50 * 1000:8,.0f} {p95 * 1000:8,.0f}   "
                  f"{verdict(p95 <= PAGE_TARGET) if target else '(no target: no page waits for it)'}", flush=True)
            if target:
                answered.append((step, p95))
    listed = [timed_get(client, page) for _ in range(repeats)]
    p50, p95 = percentiles(listed)
    step = f"exports page, {2 * repeats} exports listed"
    print(f"  {step:<48} {p50 * 1000:8,.0f} {p95 * 1000:8,.0f}   {verdict(p95 <= PAGE_TARGET)}", flush=True)
    return answered + [(step, p95)]


def profile(client, url: str) -> None:
    """Where one request's time goes: the functions of the app, its libraries and the database driver."""
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url).get_data()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(r"lms/|openpyxl|execute", 14)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next((n for n, line in enumerate(lines) if "ncalls" in line), 0)
    print("\n".join("      " + line for line in lines[start:]))


def run(name: str, database_url: str, args, package: Path) -> None:
    analysed = "" if not database_url.startswith("sqlite") else \
        " (analysed, --analyze-sqlite)" if args.analyze_sqlite else " (never analysed, as in production)"
    print(f"\n== {name}{analysed} ==", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="passerelle-bench-"))
    today = dt.date.today()
    now = dt.datetime.combine(today, dt.time(), dt.timezone.utc)
    try:
        app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench",
                          "PUBLIC_URL": HOME})
        migrate(app.extensions["db.engine"])
        plans, people = plan_programme(args.learners, args.cohorts, today)
        with app.app_context():
            session = get_db()
            with open(package, "rb") as stream:
                version, _ = catalog.import_package(session, stream, app.config["PACKAGE_DIR"])
            course = version.course
            accounts.create_user(session, "analyst", PASSWORD, "analyst", display_name="M&E analyst")
            session.commit()
            journeys = Journeys(version, plans, now)
            core, extra = revisits(journeys, people, args.statements)
            started = time.perf_counter()
            set_up(session, course, plans, people)
            print(f"set up: {len(plans)} cohorts, {len(people):,} learners enrolled ({len(COUNTRIES)} countries, "
                  f"{len({p.institution for p in people} - {''})} institutions, {len({p.language for p in people})} "
                  f"languages, {len({p.gender for p in people})} sexes): {time.perf_counter() - started:.1f} s; their "
                  f"journeys make {sum(core):,} statements, and {sum(extra):,} pages are read again", flush=True)

            # The last learners are ingested in batches of 50, with the projections on and off: in-process by
            # turns, then posted to the LMS under gunicorn by 8 clients at once.
            wanted = {(IN_PROCESS, True): args.ingest, (IN_PROCESS, False): args.ingest,
                      (SERVED, True): args.served, (SERVED, False): args.served}
            groups: dict[tuple[str, bool], list[Person]] = {side: [] for side in wanted}
            made = dict.fromkeys(wanted, 0)
            for person in reversed(people):
                open_ = [side for side in wanted if made[side] < wanted[side] and len(groups[side]) < len(people) // 8]
                if not open_:
                    break
                side = min(open_, key=lambda side: made[side] / wanted[side])
                groups[side].append(person)
                made[side] += core[person.number] + extra[person.number]
            sides = {on: groups[(IN_PROCESS, on)] for on in (True, False)}
            later = {p.number for group in groups.values() for p in group}
            shapes = Shapes(journeys, plans)
            started = time.perf_counter()
            stored, storing = fill(session, shapes, journeys, [p for p in people if p.number not in later], extra,
                                   lambda: analyze(database_url, args.analyze_sqlite))
            print(f"fill: {stored:,} statements of {len(people) - len(later):,} learners in batches of "
                  f"{FILL_BATCH:,}, projections on: {time.perf_counter() - started:.1f} s, of which storing "
                  f"{storing:.1f} s ({stored / storing:,.0f}/s); {len(shapes.made):,} shapes built", flush=True)
            analyze(database_url, args.analyze_sqlite)
            if database_url.startswith("sqlite"):
                print(f"  a learner's course completion is read with: {completion_plan(database_url)}")

            batches = {}
            for on, side in sides.items():
                statements = [s for person in side
                              for s in shapes.statements(person, journeys.plan(person, extra[person.number]))]
                batches[on] = [statements[n:n + INGEST_BATCH] for n in range(0, len(statements), INGEST_BATCH)]
            rates = ingest(app, session, batches)
            total = session.scalar(select(func.count()).select_from(StatementRecord))
            print(f"ingest in batches of {INGEST_BATCH}, a transaction each (in-process), by turns of {TURN} "
                  f"batches, into a store of {stored:,} growing to {total:,}:")
            print(f"  projections on   {rates[True]:8,.0f} statements/s   ({made[(IN_PROCESS, True)]:,} statements of "
                  f"{len(sides[True])} learners)")
            print(f"  projections off  {rates[False]:8,.0f} statements/s   ({made[(IN_PROCESS, False)]:,} statements of "
                  f"{len(sides[False])} learners)")
            print(f"  on / off {rates[True] / rates[False]:.2f}; target >= {INGEST_TARGET:,}/s with projections on: "
                  f"{verdict(rates[True] >= INGEST_TARGET)}", flush=True)
            session.commit()
            served = {}
            for on in (True, False):
                journeys_of = [[s for person in groups[(SERVED, on)][n::CLIENTS]
                                for s in shapes.statements(person, journeys.plan(person, extra[person.number]))]
                               for n in range(CLIENTS)]
                served[on] = post(database_url, folder, on, [[statements[n:n + INGEST_BATCH] for n in range(
                    0, len(statements), INGEST_BATCH)] for statements in journeys_of])
            total = session.scalar(select(func.count()).select_from(StatementRecord))
            print(f"ingest as in production: POST /xapi/statements in batches of {INGEST_BATCH} by {CLIENTS} clients "
                  f"at once (a learner's statements in order, by one client), gunicorn with {WORKERS} sync "
                  f"workers (the README's production command), into a store growing to {total:,}:")
            for on in (True, False):
                print(f"  projections {'on ' if on else 'off'}  {served[on]:8,.0f} statements/s   "
                      f"({made[(SERVED, on)]:,} statements of {len(groups[(SERVED, on)])} learners)")
            print(f"  on / off {served[True] / served[False]:.2f}; target >= {INGEST_TARGET:,}/s with projections "
                  f"on: {verdict(served[True] >= INGEST_TARGET)}", flush=True)

            off = {p.enrolment for p in sides[False] + groups[(SERVED, False)]}
            before = snapshot(session, off)
            session.commit()
            started = time.perf_counter()
            done = projections.rebuild(session, HOME)
            rebuilt = time.perf_counter() - started
            after = snapshot(session, off)
            differ = {table: len(before[table] ^ after[table]) for table in before}
            compared = len({row[0] for row in before["lms_module_progress"] | before["lms_course_progress"]})
            print(f"rebuild (passerelle reports rebuild): {done:,} enrolments from {total:,} statements in "
                  f"{rebuilt:.1f} s ({rebuilt / done * 1000:.1f} ms an enrolment)")
            print(f"  gives back the projections kept in the transactions: "
                  f"{'yes' if not any(differ.values()) else 'NO, rows differing: ' + str(differ)} "
                  f"({sum(map(len, before.values())):,} rows of {compared:,} enrolments; the {len(off)} "
                  "ingested with projections off had none)", flush=True)
            analyze(database_url, args.analyze_sqlite)
            session.commit()

            old = []
            for _ in range(3):
                started = time.perf_counter()
                old_module_figures(session, course)
                old.append(time.perf_counter() - started)
                session.commit()
            old_page = statistics.median(old)
            ids = [p.enrolment for p in people]
            chosen = ids[::max(1, len(ids) // args.sample)][:args.sample] if args.sample < len(ids) else ids
            seconds, wrong = recompute(session, course, chosen)
            everyone = seconds / len(chosen) * len(ids)
            print("baseline: the course's figures straight from the statements")
            print(f"  the old Reports page's queries (per module: started, completed, mean best score): "
                  f"{old_page * 1000:,.0f} ms (median of 3)")
            label = "all" if len(chosen) == len(ids) else f"{len(chosen):,} of {len(ids):,}"
            print(f"  reach and funnel learner by learner (course_status, progress): {label} enrolments in "
                  f"{seconds:.1f} s ({seconds / len(chosen) * 1000:.1f} ms each)"
                  + ("" if len(chosen) == len(ids) else f", {everyone:,.0f} s for all (extrapolated)"))
            print(f"  same figures as the projections for those enrolments: "
                  f"{'yes' if not wrong else f'NO, {wrong} differ'}", flush=True)

        del batches, before, after  # the bench's own data, out of the way of the pages' garbage collections
        gc.collect()
        client = app.test_client()
        log_in(client)
        print(f"pages and exports as an analyst, in-process (Flask test client), {args.repeats} times each (ms)")
        print(f"  {'':<48} {'p50':>8} {'p95':>8}   target p95 <= {PAGE_TARGET * 1000:,.0f}")
        quizzes = [m.slug for m in version.model.modules if m.quiz is not None]
        missed = []
        for label, urls in pages(course.slug, plans, quizzes, today):
            times = [timed_get(client, urls[n % len(urls)]) for n in range(args.repeats)]
            p50, p95 = percentiles(times)
            note = ""
            if label.startswith("course /"):
                note = (f"   old page's queries / p50 {old_page / p50:,.1f}; learner by learner / p50 "
                        f"{everyone / p50:,.0f}")
            print(f"  {label:<48} {p50 * 1000:8,.0f} {p95 * 1000:8,.0f}   {verdict(p95 <= PAGE_TARGET)}{note}",
                  flush=True)
            if p95 > PAGE_TARGET:
                missed.append((label, urls[0]))
        print(f"per-learner exports as an analyst asks for them, {args.repeats} times each (ms)")
        late = [step for step, p95 in learner_exports(app, client, course.slug, args.repeats) if p95 > PAGE_TARGET]
        print(f"  pages and exports missing the target: {len(missed) + len(late)}")
        if args.profile:
            for label, url in missed:
                print(f"  profile of {label} ({url}), one request:")
                profile(client, url)
        app.extensions["db.engine"].dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--statements", type=int, default=1_000_000, help="statements in the store in the end")
    parser.add_argument("--cohorts", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=20, help="requests to each page and export")
    parser.add_argument("--sample", type=int, default=1000,
                        help="enrolments whose figures the baseline recomputes learner by learner")
    parser.add_argument("--ingest", type=int, default=5000, help="statements ingested each way in batches of 50")
    parser.add_argument("--served", type=int, default=20000,
                        help="statements posted each way to the LMS under gunicorn, in batches of 50")
    parser.add_argument("--profile", action="store_true", help="profile a request to each page missing its target")
    parser.add_argument("--analyze-sqlite", action="store_true",
                        help="analyse SQLite's tables too, when PostgreSQL's are (nothing does in production)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"),
                        help="the PostgreSQL database to run on, emptied first (given the server's postgres "
                             "database, a database passerelle_bench is made beside it)")
    args = parser.parse_args()
    if min(args.learners, args.cohorts, args.repeats, args.sample, args.ingest, args.served) < 1:
        parser.error("--learners, --cohorts, --repeats, --sample, --ingest and --served must be at least 1")
    if args.learners < 32:
        parser.error("--learners must be at least 32: up to an eighth each of four ways is ingested in batches of 50")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        package = build_course(ROOT / "courses" / "crisis-management", Path(tmp) / "dist").path
        print(f"sample course built: {time.perf_counter() - started:.1f} s; {args.learners:,} learners in "
              f"{args.cohorts} cohorts, {args.statements:,} statements")
        for name in args.databases.split(","):
            if name == "sqlite":
                run("SQLite", f"sqlite:///{Path(tmp) / 'reports.db'}", args, package)
            elif name == "postgresql":
                run("PostgreSQL", fresh_postgres(args.postgres), args, package)
            else:
                parser.error(f"unknown database {name!r}: sqlite or postgresql")


if __name__ == "__main__":
    main()
