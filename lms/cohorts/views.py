"""Cohorts in the web interface: admins create and edit them, enrol learners and assign trainers; trainers
see their cohorts' rosters, schedules and materials; learners join the cohorts open to them."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from authoring import model
from authoring.locales import INTERFACE_LANGUAGES

from ..accounts import services as accounts
from ..db import get_db
from ..i18n import select_language
from ..models import Enrolment, User
from ..services import NotFound, catalog, learning
from ..views.auth import role_required
from ..views.common import edition_of, valid_form_or_400
from . import services
from .forms import CohortForm, EnrolForm
from .models import ATTENDED, Attendance, Cohort, LiveSession

bp = Blueprint("cohorts", __name__, template_folder="templates")

#: Accounts listed at once on the enrolment page; a search narrows them.
PER_PAGE = 50


def explain(exc: services.CohortError) -> str:
    """A message of the cohorts service in the reader's language."""
    return _(exc.message, **exc.params)


def _cohort_or_404(cohort_id: int) -> Cohort:
    try:
        return services.get_cohort(get_db(), cohort_id)
    except NotFound:
        abort(404, description=_("There is no such cohort."))


def _trained_or_403(cohort_id: int) -> Cohort:
    """The cohort, if the current user trains it (admins train every cohort); 403 otherwise."""
    cohort = _cohort_or_404(cohort_id)
    if not services.is_trainer(cohort, current_user):
        abort(403, description=_("This cohort is not one of yours: only its trainers and admins see it."))
    return cohort


@bp.get("/cohorts/")
@role_required("trainer", "admin")
def index():
    """My cohorts: those the trainer trains; every cohort for admins, by course, with a course filter."""
    session = get_db()
    cohorts = services.cohorts_for_trainer(session, current_user)
    course_slug = request.args.get("course", "")
    if course_slug:
        cohorts = [c for c in cohorts if c.course.slug == course_slug]
    courses = [c for c in catalog.list_courses(session) if c.versions]
    counts = dict(session.execute(select(Enrolment.cohort_id, func.count(Enrolment.id))
                                  .where(Enrolment.cohort_id.in_([c.id for c in cohorts]))
                                  .group_by(Enrolment.cohort_id)).all()) if cohorts else {}
    return render_template("cohorts/index.html", cohorts=cohorts, counts=counts, courses=courses,
                           course_slug=course_slug, titles={c.id: edition_of(c).title for c in courses})


def _choices(form: CohortForm, cohort: Cohort | None) -> None:
    language = select_language()
    session = get_db()
    form.course.choices = [(c.slug, edition_of(c).title) for c in catalog.list_courses(session) if c.versions]
    zones = accounts.timezones(language)
    form.timezone.choices = list(zones.items())
    if form.timezone.data and form.timezone.data not in zones:
        form.timezone.choices.append((form.timezone.data, form.timezone.data))
    form.language.choices = list(INTERFACE_LANGUAGES.items())
    people = session.scalars(select(User).where(User.role.in_(services.TRAINER_ROLES), User.active.is_(True))
                             .order_by(func.lower(User.display_name), User.id)).all()
    kept = [t for t in (cohort.trainers if cohort else []) if t not in people]  # deactivated since: still shown
    form.trainers.choices = [(u.id, f"{u.display_name} ({u.username})") for u in [*people, *kept]]


def _save(form: CohortForm, cohort: Cohort | None):
    """Create or change the cohort from a posted form; the response, or None to show the form again."""
    session = get_db()
    if not form.validate():
        return None
    trainers = [session.get(User, user_id) for user_id in form.trainers.data or []]
    values = dict(name=form.name.data or "", starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                  timezone=form.timezone.data or "", language=form.language.data or "",
                  self_enrol=form.self_enrol.data, trainers=[t for t in trainers if t is not None])
    try:
        if cohort is None:
            course = catalog.get_course(session, form.course.data or "")
            cohort = services.create_cohort(session, course, **values)
        else:
            services.update_cohort(session, cohort, **values)
    except NotFound:
        session.rollback()
        form.course.errors = [_("Choose a course.")]
        return None
    except services.CohortError as exc:
        session.rollback()
        getattr(form, exc.field or "name").errors = [explain(exc)]
        return None
    session.commit()
    flash(_("The cohort %(name)s is saved.", name=cohort.name))
    return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))


@bp.route("/cohorts/new", methods=["GET", "POST"])
@role_required("admin")
def create():
    """Create a cohort of a course."""
    form = CohortForm()
    if request.method == "GET":
        form.course.data = request.args.get("course", "")
        form.timezone.data = current_app.config["TIMEZONE"]
        form.language.data = select_language()
    _choices(form, None)
    if request.method == "POST":
        done = _save(form, None)
        if done is not None:
            return done
    return render_template("cohorts/edit.html", form=form, cohort=None), 400 if request.method == "POST" else 200


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit(cohort_id: int):
    """Change a cohort's name, dates, zone, language, self-enrolment and trainers."""
    cohort = _cohort_or_404(cohort_id)
    form = CohortForm(obj=cohort) if request.method == "GET" else CohortForm()
    if request.method == "GET":
        form.trainers.data = [t.id for t in cohort.trainers]
    form.course.data = cohort.course.slug
    _choices(form, cohort)
    if request.method == "POST":
        done = _save(form, cohort)
        if done is not None:
            return done
    return render_template("cohorts/edit.html", form=form, cohort=cohort), 400 if request.method == "POST" else 200


@dataclass
class RosterRow:
    """A learner of the cohort and how far they are."""

    user: User
    completed: int
    best_score: float | None
    attended: int


def roster(session, cohort: Cohort, edition: model.Course, home_page: str) -> list[RosterRow]:
    """Each learner's modules completed and best quiz score (as the LMS vouches for them), and sessions attended."""
    attended = dict(session.execute(
        select(Attendance.user_id, func.count(Attendance.id)).join(LiveSession)
        .where(LiveSession.cohort_id == cohort.id, Attendance.status.in_(ATTENDED))
        .group_by(Attendance.user_id)).all())
    rows = []
    for enrolment in services.enrolments(session, cohort):
        learner = learning.enrolled_learner(enrolment, edition.text_language, home_page)
        states = [learning.progress(session, learner, module) for module in edition.modules]
        scores = [s.best_score for s in states if s.best_score is not None]
        rows.append(RosterRow(enrolment.user, sum(s.completed for s in states), max(scores) if scores else None,
                              attended.get(enrolment.user_id, 0)))
    return rows


@bp.get("/cohorts/<int:cohort_id>/")
@role_required("trainer", "admin")
def cohort(cohort_id: int):
    """A cohort's page for its trainers: the roster with progress, the schedule, the live modules' materials."""
    cohort = _trained_or_403(cohort_id)
    edition = edition_of(cohort.course)
    session = get_db()
    return render_template("cohorts/cohort.html", cohort=cohort, model=edition,
                           rows=roster(session, cohort, edition, current_app.config["PUBLIC_URL"]),
                           live=[m for m in edition.modules if m.type == model.LIVE],
                           titles={m.slug: m.title for m in edition.modules})


@bp.route("/cohorts/<int:cohort_id>/enrol", methods=["GET", "POST"])
@role_required("admin")
def enrol(cohort_id: int):
    """Enrol accounts in the cohort: search them by username or name, tick them, enrol them."""
    cohort = _cohort_or_404(cohort_id)
    session = get_db()
    form = EnrolForm()
    if request.method == "POST":
        if not form.validate():
            abort(400, description=_("The form has expired; reload the page and try again."))
        chosen = [session.get(User, user_id) for user_id in form.users.data or []]
        if not chosen or None in chosen:
            abort(400, description=_("Tick the accounts to enrol."))
        try:
            for user in chosen:
                services.enrol(session, cohort, user)
        except services.CohortError as exc:
            session.rollback()
            abort(400, description=explain(exc))
        session.commit()
        flash(_("%(count)s enrolled in %(cohort)s.", count=len(chosen), cohort=cohort.name))
        return redirect(url_for("cohorts.enrol", cohort_id=cohort.id, q=request.args.get("q", "")))
    text = request.args.get("q", "")[:200]
    found, total = accounts.search_users(session, text, active=True, per_page=PER_PAGE)
    enrolled = {u.id for u in services.learners(session, cohort)}
    form.users.choices = [(u.id, f"{u.display_name} ({u.username})") for u in found if u.id not in enrolled]
    return render_template("cohorts/enrol.html", cohort=cohort, form=form, text=text, total=total,
                           shown=len(found), learners=services.learners(session, cohort))


@bp.post("/cohorts/<int:cohort_id>/join")
@login_required
def join(cohort_id: int):
    """Join a cohort open to self-enrolment."""
    cohort = _cohort_or_404(cohort_id)
    valid_form_or_400()
    session = get_db()
    try:
        services.join(session, cohort, current_user)
    except services.CohortError as exc:
        session.rollback()
        abort(403, description=explain(exc))
    session.commit()
    flash(_("You are enrolled in %(course)s, in the cohort %(cohort)s.", course=edition_of(cohort.course).title,
            cohort=cohort.name))
    return redirect(url_for("catalog.course", slug=cohort.course.slug))
