"""Live sessions on the web: scheduling, the learner's sessions and calendars, attendance sheets, what trainers delivered."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from authoring.locales import N_

from ..cohorts import services as cohorts
from ..cohorts.models import ATTENDANCE, LiveSession
from ..db import get_db
from ..i18n import format_in_zone, user_zone
from ..models import User
from ..services import NotFound
from ..views.common import valid_form_or_400
from . import importing, services
from .forms import ScheduleForm, ScheduleImportForm

bp = Blueprint("sessions", __name__, url_prefix="/sessions", template_folder="templates")

#: The attendance statuses as trainers read them.
STATUS_LABELS = {"present": N_("Present"), "late": N_("Late"), "excused": N_("Excused"), "absent": N_("Absent")}


def _cohort_to_run(cohort_id: int):
    """The cohort, if the signed-in user is one of its trainers or an admin: else 404 or 403."""
    try:
        cohort = cohorts.get_cohort(get_db(), cohort_id)
    except NotFound:
        abort(404, description=_("There is no such cohort."))
    if not cohorts.is_trainer(cohort, current_user):
        abort(403, description=_("Only the trainers of this cohort and admins can do this."))
    return cohort


def _session_or_404(session_id: int) -> LiveSession:
    try:
        return services.get_session(get_db(), session_id)
    except NotFound:
        abort(404, description=_("There is no such live session."))


def _me() -> User:
    """The signed-in user itself, not the proxy: the proxy stored in a row would follow whoever signs in next."""
    return current_user._get_current_object()


def _error(exc: services.SessionError) -> str:
    return _(exc.message, **exc.params)


def _who_may_facilitate(cohort, me: User) -> list[User]:
    """The people a session of the cohort may name as facilitators: its trainers, and the admin scheduling it."""
    return list(dict.fromkeys([*cohort.trainers, *([me] if me.has_role("admin") else [])]))


def module_link(live: LiveSession, external: bool = False) -> str:
    """The address of a session's live module: its agenda and materials."""
    return url_for("player.module", slug=live.cohort.course.slug, module_slug=live.module, _external=external)


@bp.route("/cohorts/<int:cohort_id>/schedule", methods=["GET", "POST"])
@login_required
def schedule(cohort_id: int):
    """List a cohort's sessions and schedule another, its time typed as the cohort's clocks show it."""
    cohort = _cohort_to_run(cohort_id)
    session = get_db()
    modules = services.live_modules(cohort)
    me = _me()
    people = _who_may_facilitate(cohort, me)
    form = _schedule_form(cohort, modules, people)
    if request.method == "GET":
        form.facilitators.data = [me.id] if me in people else []
    error, ambiguous = None, False
    if request.method == "POST":
        if form.validate_on_submit():
            chosen = {p.id: p for p in people}
            try:
                live = services.schedule(
                    session, cohort, form.module.data, dt.datetime.combine(form.date.data, form.time.data),
                    duration=form.duration.data, place=form.place.data or "",
                    meeting_url=form.meeting_url.data or "",
                    facilitators=[chosen[i] for i in form.facilitators.data or [] if i in chosen],
                    fold=int(form.fold.data) if form.fold.data in ("0", "1") else None)
            except services.SessionError as exc:
                session.rollback()
                error, ambiguous = _error(exc), isinstance(exc, services.AmbiguousTime)
            else:
                session.commit()
                flash(_("Scheduled: %(module)s, %(time)s.", module=_title(live),
                        time=format_in_zone(live.starts_at, cohort.timezone)))
                return redirect(url_for("sessions.schedule", cohort_id=cohort.id), 303)
        else:
            error = "; ".join(f"{form[name].label.text}: {messages[0]}" for name, messages in form.errors.items())
    return _schedule_page(cohort, modules, form, ScheduleImportForm(formdata=None), error=error,
                          ambiguous=ambiguous), 400 if error else 200


def _schedule_form(cohort, modules, people) -> ScheduleForm:
    form = ScheduleForm()
    form.module.choices = [SelectChoice(m.slug, m.title) for m in modules]
    form.facilitators.choices = [SelectChoice(p.id, p.display_name) for p in people]
    return form


def _schedule_page(cohort, modules, form, import_form, **page) -> str:
    return render_template("sessions/schedule.html", cohort=cohort, form=form, import_form=import_form,
                           modules=modules, title_of=_title, module_link=module_link, utc=services.utc,
                           import_columns=importing.COLUMNS, **page)


@bp.post("/cohorts/<int:cohort_id>/schedule/import")
@login_required
def schedule_import(cohort_id: int):
    """Check a CSV file of sessions ("check"), or schedule them all or none ("import")."""
    cohort = _cohort_to_run(cohort_id)
    session = get_db()
    modules = services.live_modules(cohort)
    me = _me()
    people = _who_may_facilitate(cohort, me)
    form = _schedule_form(cohort, modules, people)
    form.process(formdata=None)
    form.facilitators.data = [me.id] if me in people else []
    import_form = ScheduleImportForm()
    if not import_form.validate_on_submit():
        error = "; ".join(messages[0] for messages in import_form.errors.values())
        return _schedule_page(cohort, modules, form, import_form, import_error=error), 400
    dry_run = request.form.get("action") != "import"
    try:
        plan = importing.import_schedule(session, cohort, import_form.file.data.stream.read(importing.MAX_BYTES + 1),
                                         dry_run=dry_run)
    except services.SessionError as exc:
        session.rollback()
        return _schedule_page(cohort, modules, form, import_form, import_error=_error(exc)), 400
    problems = [(problem.line, _(problem.message, **problem.params)) for problem in plan.problems]
    if problems or dry_run:
        session.rollback()
        return _schedule_page(cohort, modules, form, import_form, plan=plan, problems=problems,
                              checked=True), 400 if problems else 200
    session.commit()
    flash(_("Imported: %(count)s sessions scheduled.", count=len(plan.sessions)))
    return redirect(url_for("sessions.schedule", cohort_id=cohort.id), 303)


@bp.get("/")
@login_required
def mine():
    """The signed-in learner's sessions, in their time zone and their cohort's, with calendar links."""
    sessions = services.sessions_for_calendar(get_db(), current_user)
    now = dt.datetime.now(dt.timezone.utc)
    feed = url_for("sessions.feed", token=services.feed_token(current_app.config["SECRET_KEY"], current_user),
                   _external=True)
    return render_template("sessions/mine.html", upcoming=[s for s in sessions if services.ends_at(s) > now],
                           past=[s for s in sessions if services.ends_at(s) <= now], feed=feed,
                           **_session_helpers())


def _session_helpers() -> dict:
    """What ``sessions/_session.html`` needs besides the session and the reader's zone."""
    return {"module_link": module_link, "title_of": _title, "utc": services.utc, "zone": user_zone(current_user),
            "can_run": lambda live: cohorts.is_trainer(live.cohort, current_user)}


def module_panel(course_id: int, module_slug: str) -> dict:
    """What a live module's page shows the signed-in learner: attended, missed or the next session."""
    return {"status": services.live_status(get_db(), current_user, course_id, module_slug), **_session_helpers()}


def _title(live: LiveSession) -> str:
    module = services.edition_for(live.cohort).module(live.module)
    return module.title if module else live.module


@bp.get("/<int:session_id>.ics")
@login_required
def ics(session_id: int):
    """One session as an iCalendar file, for a calendar app."""
    live = _session_or_404(session_id)
    if not services.may_see(get_db(), live, current_user):
        abort(403, description=_("This session is not one of yours."))
    return _calendar([live], f"session-{live.id}.ics")


@bp.get("/feed/<token>.ics")
def feed(token: str):
    """A person's calendar feed: no log-in, the secret is in the address a calendar app subscribes to."""
    session = get_db()
    try:
        user = services.user_for_feed(session, current_app.config["SECRET_KEY"], token)
    except NotFound:
        abort(404, description=_("There is no calendar at this address."))
    return _calendar(services.sessions_for_calendar(session, user), "passerelle.ics")


def _calendar(sessions: list[LiveSession], name: str) -> Response:
    body = services.calendar(sessions, current_app.config["PUBLIC_URL"], lambda s: module_link(s, external=True))
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-cache"})


@bp.route("/<int:session_id>/attendance", methods=["GET", "POST"])
@login_required
def sheet(session_id: int):
    """The attendance sheet: every learner with four choices and a remark, saved in one form post.

    Each row carries the status and remark it showed (``ws``/``wr`` fields), so only what this trainer
    changed is saved: a mark another trainer made meanwhile stays, unless this one changed it too.
    """
    live = _session_or_404(session_id)
    if not cohorts.is_trainer(live.cohort, current_user):
        abort(403, description=_("Only the trainers of this cohort and admins can take its attendance."))
    session = get_db()
    saved = None
    if request.method == "POST":
        valid_form_or_400()
        marks = {}
        for row in services.sheet(session, live):
            uid = row.learner.id
            status = request.form.get(f"s{uid}", "")
            remark = request.form.get(f"r{uid}", "")
            if not status:
                continue
            if status not in ATTENDANCE:
                abort(400, description=_("“%(status)s” is not an attendance status.", status=status[:20]))
            if (status, remark.strip()) != (request.form.get(f"ws{uid}", ""), request.form.get(f"wr{uid}", "")):
                marks[uid] = (status, remark)
        try:
            saved = services.mark(session, live, _me(), marks, current_app.config["PUBLIC_URL"])
        except services.SessionError as exc:
            session.rollback()
            abort(400, description=_error(exc))
        session.commit()
    return render_template("sessions/sheet.html", live=live, rows=services.sheet(session, live), saved=saved,
                           status=STATUS_LABELS, statuses=ATTENDANCE, title=_title(live),
                           zone=user_zone(current_user))


@bp.get("/delivered")
@login_required
def delivered():
    """The sessions the signed-in trainer facilitated, and how many learners they trained."""
    if not current_user.has_role("trainer", "admin"):
        abort(403, description=_("This page is for trainers."))
    return _delivered(_me())


@bp.get("/delivered/<int:user_id>")
@login_required
def delivered_by(user_id: int):
    """What another trainer delivered, for admins judging a pool of trainers."""
    if not current_user.has_role("admin"):
        abort(403, description=_("Only admins see what other trainers delivered."))
    user = get_db().get(User, user_id)
    if user is None:
        abort(404, description=_("There is no such account."))
    return _delivered(user)


def _delivered(user: User):
    report = services.delivered(get_db(), user)
    return render_template("sessions/delivered.html", trainer=user, report=report, title_of=_title,
                           zone=user_zone(current_user))
