"""The demonstration's M&E programme: three cohorts that ran over the past months, about sixty learners of eight
countries, and what each of them did, so that every M&E chart and table shows something on the first run.

Everything is recorded through the same services as the player, the attendance sheet and the surveys, at the
moments it would have happened (:func:`xapi.statements.recorded_at`); the projections follow by themselves.
A seeded random generator makes the programme the same at every run; its cohorts say "(demo)" in their names.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from authoring import model
from xapi import statements as xs
from xapi.models import StatementRecord

from ..accounts import services as accounts
from ..certificates.demo import finish_module, take_quiz
from ..cohorts import services as cohorts
from ..cohorts.models import ATTENDED, Cohort
from ..models import Course, Enrolment, User
from ..services import catalog, learning
from ..sessions import services as sessions

#: What the name of every cohort of the programme ends with: it is demonstration data.
MARK = "(demo)"
SEED = 2026


@dataclass(frozen=True)
class Country:
    """Where learners come from: their time zone, interface languages (with weights), institutions and names."""

    zone: str
    languages: dict[str, int]
    institutions: tuple[str, ...]
    women: tuple[str, ...]
    men: tuple[str, ...]
    surnames: tuple[str, ...]


COUNTRIES = {
    "SN": Country("Africa/Dakar", {"fr": 85, "en": 15},
                  ("Ministry of Foreign Affairs and Senegalese Abroad", "Directorate of Senegalese Abroad",
                   "Consulate General of Senegal, Milan"),
                  ("Fatou", "Aminata", "Mariama", "Khady", "Ndeye", "Coumba", "Aïssatou"),
                  ("Moussa", "Cheikh", "Ibrahima", "Mamadou", "Ousmane", "Abdoulaye", "Pape"),
                  ("Ndiaye", "Fall", "Sow", "Diallo", "Sarr", "Gueye", "Faye", "Ba", "Seck")),
    "GH": Country("Africa/Accra", {"en": 100},
                  ("Ministry of Foreign Affairs and Regional Integration, Ghana", "Ghana Immigration Service",
                   "Embassy of Ghana, Abuja"),
                  ("Ama", "Akosua", "Efua", "Abena", "Adwoa", "Esi", "Yaa"),
                  ("Kwame", "Kofi", "Yaw", "Kwabena", "Kojo", "Kwesi", "Nana"),
                  ("Mensah", "Owusu", "Boateng", "Asante", "Appiah", "Osei", "Agyeman", "Darko")),
    "MA": Country("Africa/Casablanca", {"fr": 60, "ar": 40},
                  ("Ministry of Foreign Affairs, Morocco", "Ministry Delegate for Moroccans Living Abroad",
                   "Consulate General of Morocco, Seville"),
                  ("Fatima Zahra", "Salma", "Khadija", "Imane", "Nadia", "Meryem", "Houda"),
                  ("Youssef", "Mehdi", "Hamza", "Karim", "Omar", "Anas", "Rachid"),
                  ("El Amrani", "Benali", "Tazi", "Alaoui", "Berrada", "Chraibi", "Idrissi", "Bennani")),
    "CR": Country("America/Costa_Rica", {"es": 100},
                  ("Ministry of Foreign Affairs and Worship, Costa Rica",
                   "General Directorate of Migration, Costa Rica",
                   "Consulate of Costa Rica, Managua"),
                  ("María José", "Daniela", "Valeria", "Sofía", "Gabriela", "Natalia", "Adriana"),
                  ("José Pablo", "Andrés", "Luis Diego", "Carlos", "Esteban", "Mauricio", "Fabián"),
                  ("Vargas", "Jiménez", "Rojas", "Solano", "Mora", "Araya", "Chaves", "Quesada")),
    "MD": Country("Europe/Chisinau", {"ru": 80, "en": 20},
                  ("Ministry of Foreign Affairs, Moldova", "Bureau for Migration and Asylum, Moldova",
                   "Embassy of Moldova, Rome"),
                  ("Elena", "Natalia", "Ana", "Cristina", "Olga", "Mariana", "Tatiana"),
                  ("Ion", "Vasile", "Andrei", "Mihai", "Sergiu", "Victor", "Dumitru"),
                  ("Rusu", "Ceban", "Popa", "Lungu", "Ciobanu", "Munteanu", "Cojocaru", "Turcanu")),
    "UA": Country("Europe/Kyiv", {"en": 100},
                  ("Ministry of Foreign Affairs, Ukraine", "State Migration Service, Ukraine",
                   "Consulate General of Ukraine, Kraków"),
                  ("Olena", "Iryna", "Oksana", "Kateryna", "Yuliia", "Nataliia", "Halyna"),
                  ("Andrii", "Oleksandr", "Dmytro", "Serhii", "Taras", "Bohdan", "Yurii"),
                  ("Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko", "Melnyk", "Kravchenko", "Savchuk")),
    "JO": Country("Asia/Amman", {"ar": 75, "en": 25},
                  ("Ministry of Foreign Affairs and Expatriates, Jordan", "National Centre for Security and Crisis "
                   "Management, Jordan", "Embassy of Jordan, Riyadh"),
                  ("Rania", "Lina", "Dana", "Hala", "Noor", "Reem", "Sawsan"),
                  ("Omar", "Khaled", "Ahmad", "Zaid", "Faris", "Tariq", "Yazan"),
                  ("Haddad", "Khoury", "Nasser", "Masri", "Tamimi", "Qasem", "Obeidat", "Zoubi")),
    "TN": Country("Africa/Tunis", {"fr": 55, "ar": 45},
                  ("Ministry of Foreign Affairs, Migration and Tunisians Abroad", "Office of Tunisians Abroad",
                   "Consulate General of Tunisia, Marseille"),
                  ("Amira", "Sarra", "Ines", "Mariem", "Yosra", "Rim", "Olfa"),
                  ("Mohamed Ali", "Sami", "Walid", "Anis", "Hichem", "Karim", "Nizar"),
                  ("Ben Salah", "Trabelsi", "Gharbi", "Jaziri", "Mansouri", "Hammami", "Ayari")),
}


@dataclass(frozen=True)
class Run:
    """A cohort of the programme: its city, zone and language, when it started (days before today), how many days
    it ran, and how many learners each country sent."""

    city: str
    zone: str
    language: str
    started: int
    days: int
    learners: dict[str, int]


RUNS = (
    Run("Dakar", "Africa/Dakar", "fr", 200, 70, {"SN": 7, "GH": 5, "MA": 4, "CR": 4}),
    Run("Chișinău", "Europe/Chisinau", "ru", 150, 65, {"MD": 8, "UA": 6, "GH": 3, "CR": 3}),
    Run("Amman", "Asia/Amman", "ar", 85, 70, {"JO": 8, "TN": 6, "MA": 3, "UA": 3}),
)
#: Where learners stop, as weights: before starting, after the pre-test, after the first, second, third (and any
#: later) self-paced module; or they finish the course.
NEVER, PRE_TEST = "never started", "pre-test"
DROPS = (7, 5, 4)
FINISH = 36
GENDERS = {"female": 50, "male": 44, "another": 3, "prefer_not_to_say": 3}
MARKS = {True: {"present": 68, "late": 10, "excused": 9, "absent": 13},  # learners who keep going
         False: {"present": 20, "late": 5, "excused": 20, "absent": 55}}  # those who stop early
REMARKS = {"late": ("Arrived 20 minutes late", "Connection problems at the start", ""),
           "excused": ("On mission", "Sick leave", "Consular emergency at post", ""), "present": ("",), "absent": ("",)}
#: Free-text answers, in the learner's language: what to change in a module, the next training's topic, and
#: months later what the learner did with the course.
COMMENTS = {
    "change": {
        "en": ("More examples from small missions with two or three staff.",
               "The scenario was good, but the pages are long to read on a phone.",
               "Add a checklist we can print for the crisis cell.",
               "The question about the table was confusing; I had to go back and count.",
               "Too theoretical in places: we need the forms we will really fill in."),
        "fr": ("Plus d'exemples de petites ambassades avec peu de personnel.",
               "Le scénario était bien, mais les pages sont longues à lire sur un téléphone.",
               "Ajouter une liste de contrôle à imprimer pour la cellule de crise.",
               "Trop théorique par endroits : il nous faut les formulaires réels."),
        "es": ("Más ejemplos de consulados pequeños.",
               "El escenario fue realista, pero faltó tiempo para discutirlo.",
               "Incluir modelos de mensajes para las familias."),
        "ru": ("Больше примеров для небольших посольств.",
               "Сценарий хороший, но текст слишком длинный для телефона.",
               "Добавить шаблон плана действий в кризисной ситуации."),
        "ar": ("أمثلة أكثر من البعثات الصغيرة.",
               "السيناريو واقعي لكن النص طويل على الهاتف.",
               "إضافة قائمة مرجعية يمكن طباعتها لخلية الأزمات."),
    },
    "next": {
        "en": ("Working with the media during an evacuation.", "Psychosocial support for families.",
               "Data protection when sharing lists of nationals."),
        "fr": ("La communication avec les médias pendant une évacuation.", "Le soutien psychosocial aux familles."),
        "es": ("Coordinación con otros consulados en una evacuación.", "Protección de datos personales."),
        "ru": ("Работа со СМИ во время эвакуации.", "Психологическая поддержка семей."),
        "ar": ("التواصل مع وسائل الإعلام أثناء الإجلاء.", "الدعم النفسي للعائلات."),
    },
    "follow-up": {
        "en": ("I used the registration template when floods hit the north; say more about keeping it up to date.",
               "We have since tested our contingency plan; a short refresher would help.",
               "Our mission now keeps a list of community leaders, as the module suggests."),
        "fr": ("J'ai utilisé le modèle d'inscription lors des inondations ; un rappel serait utile.",
               "Nous avons testé notre plan de contingence depuis la formation."),
        "es": ("Usamos la plantilla de registro durante las lluvias de octubre.",),
        "ru": ("После курса мы обновили план действий в кризисной ситуации.",),
        "ar": ("استخدمنا نموذج التسجيل خلال الفيضانات.",),
    },
}


@dataclass
class Summary:
    """What the programme holds: its cohorts, their learners and the statements about them."""

    cohorts: list[Cohort]
    learners: int
    statements: int
    created: bool = False

    def __str__(self) -> str:
        return (f"M&E demo: {len(self.cohorts)} cohorts, {self.learners} learners, {self.statements} statements"
                + ("" if self.created else " (already there)"))


@dataclass
class _Journey:
    """One learner's doings, planned before anything is recorded: (moment, what) pairs."""

    enrolment: Enrolment
    course: model.Course  # the edition in the learner's language
    learner: learning.Learner
    keeps_going: bool
    events: list[tuple[dt.datetime, Callable[[], None]]] = field(default_factory=list)


def seed_programme(session: Session, course: Course, trainers: list[User], home_page: str,
                   today: dt.date | None = None) -> Summary:
    """Create the programme's cohorts, learners and their learning over the past months (once: a second run finds
    them and adds nothing); return a summary of what it holds."""
    found = _programme(session, course)
    if found:
        return _summary(session, found, created=False)
    today = today or dt.date.today()
    now = dt.datetime.combine(today, dt.time(), dt.timezone.utc)  # nothing is recorded after the start of today
    rng = random.Random(SEED)
    made, events, number, names = [], [], 0, set()
    for run in RUNS:
        cohort = _cohort(session, course, run, today, trainers)
        made.append(cohort)
        journeys = []
        for country, count in run.learners.items():
            for _ in range(count):
                number += 1
                user = _learner(session, rng, f"demo-{number:03d}", country, names)
                journeys.append(_plan(rng, session, cohort, user, home_page))
        events += [event for journey in journeys for event in journey.events]
        events += _live_sessions(session, rng, cohort, journeys, trainers, home_page)
    # In the order it happened, across learners; what happened at the same moment, in the order it was planned.
    for moment, _, act in sorted((moment, index, act) for index, (moment, act) in enumerate(events)):
        if moment < now:
            with xs.recorded_at(moment):
                act()
    session.flush()
    return _summary(session, made, created=True)


def _programme(session: Session, course: Course) -> list[Cohort]:
    return list(session.scalars(select(Cohort).where(Cohort.course_id == course.id, Cohort.name.endswith(MARK))
                                .order_by(Cohort.starts_on)))


def _summary(session: Session, made: list[Cohort], created: bool) -> Summary:
    registrations = list(session.scalars(select(Enrolment.registration).where(
        Enrolment.cohort_id.in_([cohort.id for cohort in made]))))
    statements = session.scalar(select(func.count()).select_from(StatementRecord).where(
        StatementRecord.registration.in_(registrations))) if registrations else 0
    return Summary(made, len(registrations), statements, created)


def _cohort(session: Session, course: Course, run: Run, today: dt.date, trainers: list[User]) -> Cohort:
    starts = today - dt.timedelta(days=run.started)
    season = ("winter", "spring", "summer", "autumn")[starts.month % 12 // 3]
    return cohorts.create_cohort(session, course, f"{run.city} {starts.year} {season} {MARK}", starts,
                                 starts + dt.timedelta(days=run.days), run.zone, run.language, trainers=trainers)


def _learner(session: Session, rng: random.Random, username: str, code: str, names: set[str]) -> User:
    """The account ``username``, made up for a learner of country ``code`` with a name not in ``names`` (found if
    it exists already)."""
    country = COUNTRIES[code]
    gender = _pick(rng, GENDERS)
    firsts = {"female": country.women, "male": country.men}.get(gender, country.women + country.men)
    name = ""
    while not name or name in names:
        name = f"{rng.choice(firsts)} {rng.choice(country.surnames)}"
    names.add(name)
    institution = rng.choices(country.institutions, weights=(6, 2, 1))[0]  # the ministry sends most
    language = _pick(rng, country.languages)
    return accounts.find_user(session, username) or accounts.create_user(
        session, username, None, "learner", name, country=code, institution=institution, gender=gender,
        language=language, timezone=country.zone, email=f"{username}@example.org")


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _at(rng: random.Random, day: dt.date) -> dt.datetime:
    """A moment of a working day, in UTC."""
    return dt.datetime.combine(day, dt.time(rng.randint(6, 17), rng.randint(0, 59)), dt.timezone.utc)


def _plan(rng: random.Random, session: Session, cohort: Cohort, user: User, home_page: str) -> _Journey:
    """Enrol the learner and plan what they do: a pre-test, the self-paced modules in course order up to where they
    stop, retakes, surveys."""
    enrolment = cohorts.enrol(session, cohort, user)
    # Enrolled before the cohort began, not today: reports of a past period count them.
    enrolment.enrolled = _at(rng, cohort.starts_on - dt.timedelta(days=rng.randint(3, 20)))
    course = catalog.edition(cohort.course.current, user.language)
    learner = learning.enrolled_learner(enrolment, course.text_language, home_page)
    path = [module for module in course.modules if module.type == model.SELF_PACED]
    drops = {module.slug: DROPS[index] if index < len(DROPS) else DROPS[-1] for index, module in enumerate(path[:-1])}
    stop = _pick(rng, {NEVER: 3, PRE_TEST: 5, **drops, None: FINISH})
    journey = _Journey(enrolment, course, learner,
                       keeps_going=stop not in (NEVER, PRE_TEST, path[0].slug if path else None))
    if stop == NEVER:
        return journey
    add = journey.events.append
    knows = rng.uniform(0.2, 0.65)  # chance of answering a question right before studying
    learns = min(0.97, knows + rng.uniform(0.25, 0.45))  # and after
    day = cohort.starts_on + dt.timedelta(days=rng.randint(0, 6))
    test = _knowledge_test(course)
    if test is not None:
        add((_at(rng, day), _quiz(session, journey, test, _mistakes(rng, test, knows))))  # the pre-test
    if stop == PRE_TEST:
        if path and rng.random() < 0.5:  # read a little, then gave up
            add((_at(rng, day + dt.timedelta(days=rng.randint(1, 5))), _read(session, journey, path[0], 1)))
        return journey
    for index, module in enumerate(path):
        day += dt.timedelta(days=rng.randint(2, 10))
        moment = _at(rng, day)
        if module.quiz is None:
            add((moment, _study(session, journey, module, set())))
        elif test is not None and module.slug == test.slug:
            # Studied, then the same quiz again: the post-test, with a third try if need be.
            tries = module.quiz.attempts or 3
            wrong = _mistakes(rng, module, learns)
            add((moment, _study(session, journey, module, wrong)))
            for _ in range(tries - 2):
                if _passes(module.quiz, wrong):
                    break
                wrong = _mistakes(rng, module, min(0.97, learns + 0.1))
                day += dt.timedelta(days=rng.randint(1, 3))
                moment = _at(rng, day)
                add((moment, _quiz(session, journey, module, wrong)))
            if not _passes(module.quiz, wrong):
                return journey  # no attempt left: stuck short of the pass mark
        else:  # a slip or two, then right at once if the quiz allows a second try
            wrong = _mistakes(rng, module, (1 + learns) / 2)
            add((moment, _study(session, journey, module, wrong)))
            if not _passes(module.quiz, wrong):
                if module.quiz.attempts == 1:
                    return journey
                add((moment + dt.timedelta(minutes=rng.randint(5, 90)), _quiz(session, journey, module, set())))
        if module.survey is not None:
            if rng.random() < 0.85:
                add((moment + dt.timedelta(hours=2), _survey(session, journey, module, _answers(rng, module, user))))
            _follow_up(rng, session, journey, module, moment + dt.timedelta(hours=2), user)
        if module.slug == stop:
            if rng.random() < 0.5:  # opened the next module, and went no further
                later = _at(rng, day + dt.timedelta(days=rng.randint(3, 20)))
                add((later, _read(session, journey, path[index + 1], 1)))
            return journey
    return journey


def _knowledge_test(course: model.Course) -> model.Module | None:
    """The module whose quiz is the course's pre-test (and, taken again, its post-test), if any."""
    slugs = [test.pre for test in course.knowledge]
    modules = [course.module(slug) for slug in slugs] or [m for m in course.modules if m.type == model.SELF_PACED]
    return next((module for module in modules if module is not None and module.quiz is not None), None)


def _follow_up(rng: random.Random, session: Session, journey: _Journey, module: model.Module,
               completed: dt.datetime, user: User) -> None:
    """Many who finished the course answer the follow-up survey again once it falls due, some weeks late."""
    follow_up = journey.course.follow_up
    if follow_up is None or follow_up.module != module.slug or rng.random() >= 0.75:
        return
    day = completed.date() + dt.timedelta(days=follow_up.after_days + rng.randint(1, 30))  # a day after it is due
    journey.events.append((_at(rng, day), _survey(session, journey, module, _answers(rng, module, user, later=True))))


def _mistakes(rng: random.Random, module: model.Module, knows: float) -> set[str]:
    """The questions of the module's quiz a learner who knows this much gets wrong."""
    return {question.id for question in module.quiz.questions if rng.random() >= knows}


def _passes(quiz: model.Quiz, wrong: set[str]) -> bool:
    points = sum(question.points for question in quiz.questions if question.id not in wrong)
    return points >= quiz.pass_mark * quiz.max_points - 1e-9


def _answers(rng: random.Random, module: model.Module, user: User, later: bool = False) -> dict[str, str]:
    """A learner's answers to the module's survey: mostly favourable, some not; a comment now and then."""
    answers = {}
    for item in module.survey.items:
        if item.kind == model.LIKERT:
            points = len(item.scale)
            if points == 3:  # too short, about right, too long
                weights = (15, 65, 20)
            elif points == 5:  # from strongly disagree to strongly agree
                weights = (2, 5, 15, 43, 35) if later else (3, 8, 22, 42, 25)
            else:
                weights = range(1, points + 1)
            answers[item.id] = str(rng.choices(range(1, points + 1), weights=weights)[0])
        elif rng.random() < 0.3:
            texts = COMMENTS["follow-up" if later else ("next" if module.type == model.LIVE else "change")]
            answers[item.id] = rng.choice(texts.get(user.language, texts["en"]))
    return answers


def _live_sessions(session: Session, rng: random.Random, cohort: Cohort, journeys: list[_Journey],
                   trainers: list[User], home_page: str) -> list[tuple[dt.datetime, Callable[[], None]]]:
    """Schedule each live module of the course once, in the cohort's past, and plan its attendance sheet and the
    survey of those who came."""
    events = []
    lives = sessions.live_modules(cohort)
    days = (cohort.ends_on - cohort.starts_on).days
    for index, module in enumerate(lives):  # half-way through the cohort, and on from there
        day = cohort.starts_on + dt.timedelta(days=days * (index + 2) // (len(lives) + 2))
        live = sessions.schedule(session, cohort, module.slug, dt.datetime.combine(day, dt.time(9 + 5 * (index % 2))),
                                 place="Diplomatic academy, training room", facilitators=trainers[index % 2:][:1])
        marks, surveys = {}, []
        for journey in journeys:
            status = _pick(rng, MARKS[journey.keeps_going])
            marks[journey.enrolment.user_id] = (status, rng.choice(REMARKS[status]))
            theirs = journey.course.module(module.slug)
            if theirs.survey is not None and status in ATTENDED and rng.random() < 0.75:
                answers = _answers(rng, theirs, journey.enrolment.user)
                after = sessions.ends_at(live) + dt.timedelta(minutes=rng.randint(0, 60))
                surveys.append((after, _survey(session, journey, theirs, answers)))
        events += [(sessions.ends_at(live), _marks(session, live, trainers[0], marks, home_page)), *surveys]
    return events


# -- what is recorded, as closures run at their moment -----------------------------------------------------------

def _quiz(session: Session, journey: _Journey, module: model.Module, wrong: set[str]) -> Callable[[], None]:
    return lambda: take_quiz(session, journey.learner, journey.course, module, wrong)


def _study(session: Session, journey: _Journey, module: model.Module, wrong: set[str]) -> Callable[[], None]:
    return lambda: finish_module(session, journey.learner, journey.course, module, wrong)


def _read(session: Session, journey: _Journey, module: model.Module, pages: int) -> Callable[[], None]:
    def read() -> None:
        for page in module.pages[:pages]:
            learning.record_page_view(session, journey.learner, journey.course, module, page)
    return read


def _survey(session: Session, journey: _Journey, module: model.Module, answers: dict[str, str]) -> Callable[[], None]:
    return lambda: learning.record_survey(session, journey.learner, journey.course, module, answers)


def _marks(session: Session, live, trainer: User, marks: dict, home_page: str) -> Callable[[], None]:
    return lambda: sessions.mark(session, live, trainer, marks, home_page)
