"""M&E on the web: a course's indicators, filtered by period and profile with the filters in the address, each
table beside its chart and downloadable as CSV or XLSX; item analysis per quiz."""

from __future__ import annotations

import datetime as dt

from flask import (Blueprint, Response, abort, current_app, flash, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from authoring.locales import INTERFACE_LANGUAGES, N_, is_rtl

from ..accounts import services as accounts
from ..db import get_db
from ..i18n import select_language
from ..models import Course, utcnow
from ..services import NotFound, catalog
from ..views.auth import role_required
from ..views.common import valid_form_or_400
from . import charts, exports, indicators, jobs
from .indicators import DIMENSIONS, Filters, Scope
from .models import ReportExport
from .tables import Column, Table

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")

#: Sex as the accounts record it, for the filter's choices.
SEXES = accounts.GENDERS
#: The title of each breakdown's table.
BREAKDOWN_TITLES = {"sex": N_("Reach by sex"), "country": N_("Reach by country"),
                    "institution": N_("Reach by institution"), "language": N_("Reach by language"),
                    "cohort": N_("Reach by cohort")}


def _minimum() -> int:
    return current_app.config["REPORTS_MIN_GROUP"]


def _scope() -> Scope:
    return Scope.of(get_db(), current_user)


def _course_or_404(slug: str, scope: Scope) -> Course:
    try:
        course = catalog.get_course(get_db(), slug)
    except NotFound:
        abort(404, description=_("There is no course called “%(slug)s”.", slug=slug))
    if course not in indicators.courses_in_scope(get_db(), scope):
        abort(404, description=_("There is no course called “%(slug)s”.", slug=slug))
    return course


def course_tables(course: Course, filters: Filters, scope: Scope, only: str | None = None) -> dict[str, Table]:
    """Every table of a course's report (or ``only`` the one named so), by the name in its address, in the
    reader's language: an export of one table computes that table alone."""
    session, minimum = get_db(), _minimum()
    edition = catalog.edition(course.current, select_language())
    titles = {m.slug: m.title for m in edition.modules}
    tables = {}

    def wanted(name: str) -> bool:
        return only is None or only == name

    if wanted("reach"):
        reach = indicators.reach(session, course, filters, scope, minimum)
        tables["reach"] = Table(_("Reach"), [Column("step", _("Step")), Column("people", _("Learners"), "count")],
                            [[_("Enrolled"), reach.enrolled], [_("Trained"), reach.trained],
                             [_("Completed the course"), reach.completed]],
                            description=_("Learners enrolled, trained (a module completed or a live session "
                                          "attended) and who completed the course."), name="reach")
    countries = accounts.countries(select_language())
    languages = dict(INTERFACE_LANGUAGES)
    dimensions = [dimension for dimension in DIMENSIONS if wanted(f"by-{dimension}")]
    found_by = indicators.breakdowns(session, course, dimensions, filters, scope, minimum) if dimensions else {}
    for dimension in dimensions:
        found = found_by[dimension]
        label = DIMENSIONS[dimension][0]
        names = {"sex": lambda v: _(SEXES[v]) if v in SEXES else (v or _("Not recorded")),
                 "country": lambda v: countries.get(v, v) or _("Not recorded"),
                 "language": lambda v: languages.get(v, v), }.get(dimension, lambda v: v or _("Not recorded"))
        tables[f"by-{dimension}"] = Table(
            _(BREAKDOWN_TITLES[dimension]),
            [Column("value", _(label)), Column("enrolled", _("Enrolled"), "count"),
             Column("trained", _("Trained"), "count"), Column("completed", _("Completed the course"), "count")],
            [[_("Erased on request") if value is indicators.ERASED else names(value), *counts]
             for value, *counts in found.rows],
            description=_("Learners enrolled, trained and who completed the course, in each group."),
            name=f"reach-by-{dimension}")
    if wanted("funnel"):
        tables["funnel"] = Table(
            _("Modules"), [Column("module", _("Module")), Column("enrolled", _("Enrolled"), "count"),
                           Column("started", _("Started"), "count"), Column("completed", _("Completed"), "count"),
                           Column("score", _("Mean quiz score"), "score"), Column("scored", _("Scored"), "count")],
            [[titles.get(r.module.slug, r.module.title), r.enrolled, r.started, r.completed, r.mean_score, r.scored]
             for r in indicators.funnel(session, course, filters, scope, minimum)],
            description=_("Per module: learners enrolled, who started it and who completed it; the mean of each "
                          "learner's best quiz score."), name="modules")
    for follow_up in (False, True):
        if not wanted("follow-up-answers" if follow_up else "reaction") or (
                follow_up and course.current.model.follow_up is None):
            continue
        rows = indicators.reaction(session, course, filters, scope, minimum, follow_up=follow_up)
        tables["follow-up-answers" if follow_up else "reaction"] = Table(
            _("Follow-up survey") if follow_up else _("Satisfaction"),
            [Column("item", _("Statement")), Column("module", _("Module")), Column("answers", _("Answers"), "count"),
             Column("mean", _("Mean on the scale"), "number"), Column("agree", _("Agree"), "share")],
            [[r.item.prompt, titles.get(r.module.slug, r.module.title), r.answers, r.mean, r.agree] for r in rows],
            description=_("Each survey statement: the number of answers, their mean on the scale and the share "
                          "who agree (the points above its middle)."),
            name="follow-up" if follow_up else "satisfaction")
    if wanted("knowledge"):
        tables["knowledge"] = Table(
            _("Knowledge gain"),
            [Column("test", _("Test")), Column("learners", _("Learners with both"), "count"),
             Column("pre", _("Pre-test"), "score"), Column("post", _("Post-test"), "score"),
             Column("gain", _("Normalised gain"), "score"), Column("improved", _("Improved"), "share")],
            [[titles.get(k.test.pre, k.test.pre) if k.test.same_quiz else
              f"{titles.get(k.test.pre, k.test.pre)} → {titles.get(k.test.post, k.test.post)}",
              k.learners, k.pre, k.post, k.gain, k.improved]
             for k in indicators.knowledge(session, course, filters, scope, minimum)],
            description=_("Mean pre-test and post-test scores of the learners who took both, the normalised gain "
                          "(post − pre) / (1 − pre) and the share who improved."), name="knowledge-gain")
    if wanted("quizzes"):
        tables["quizzes"] = Table(
            _("Quizzes"), [Column("module", _("Module")), Column("attempted", _("Attempted"), "count"),
                           Column("passed", _("Passed"), "count"), Column("rate", _("Pass rate"), "share")],
            [[titles.get(q.module.slug, q.module.title), q.attempted, q.passed, q.rate]
             for q in indicators.pass_rates(session, course, filters, scope, minimum)],
            description=_("Per quiz: learners who made a graded attempt, who passed, and the pass rate."),
            name="pass-rates")
    due = indicators.follow_up(session, course, filters, scope, minimum) if wanted("follow-up") else None
    if due is not None:
        tables["follow-up"] = Table(
            _("Follow-up response"), [Column("due", _("Due"), "count"), Column("answered", _("Answered"), "count"),
                                      Column("rate", _("Response rate"), "share")],
            [[due.due, due.answered, due.rate]],
            description=_("Learners whose follow-up survey is due (%(days)s days after completing the course), who "
                          "answered it, and the response rate.", days=course.current.model.follow_up.after_days),
            name="follow-up-response")
    return tables


def _charts(tables: dict[str, Table]) -> dict[str, object]:
    language = select_language()
    rtl = is_rtl(language)
    drawn = {"reach": charts.funnel(tables["reach"], "step", "people", rtl=rtl, language=language),
             "funnel": charts.bars(tables["funnel"], "module", "completed", rtl=rtl, language=language),
             "knowledge": charts.paired(tables["knowledge"], "test", "pre", "post", rtl=rtl, language=language),
             "reaction": charts.bars(tables["reaction"], "item", "agree", rtl=rtl, language=language)}
    for dimension in DIMENSIONS:
        drawn[f"by-{dimension}"] = charts.bars(tables[f"by-{dimension}"], "value", "trained", rtl=rtl,
                                               language=language)
    return drawn


@bp.get("/")
@role_required("analyst", "admin", "trainer")
def index():
    """The programme: each course the reader may report on, with its headline figures."""
    session, scope, filters = get_db(), _scope(), Filters.from_args(request.args)
    courses = indicators.courses_in_scope(session, scope)
    rows = []
    for course in courses:
        reach = indicators.reach(session, course, filters, scope, _minimum())
        rows.append((course, catalog.edition(course.current, select_language()), reach))
    return render_template("reports/index.html", rows=rows, filters=filters)


@bp.get("/<slug>/")
@role_required("analyst", "admin", "trainer")
def course(slug: str):
    """A course's indicators, filtered as the address says, each table with its chart and its downloads."""
    scope = _scope()
    course = _course_or_404(slug, scope)
    filters = Filters.from_args(request.args)
    tables = course_tables(course, filters, scope)
    comments = indicators.comments(get_db(), course, filters, scope, _minimum())
    return render_template("reports/course.html", course=course, edition=catalog.edition(course.current,
                                                                                         select_language()),
                           tables=tables, charts=_charts(tables), filters=filters, comments=comments,
                           cohorts=indicators.cohorts_in_scope(get_db(), course, scope),
                           sexes=[(code, _(name)) for code, name in SEXES.items()],
                           countries=accounts.countries(select_language()), languages=INTERFACE_LANGUAGES,
                           minimum=_minimum())


# -- per-learner exports: asked for here, written in the background (jobs), then downloaded ----------------------

#: Each export's state, as its page says it.
EXPORT_STATES = {jobs.QUEUED: N_("Queued"), jobs.RUNNING: N_("Being written"), jobs.READY: N_("Ready"),
                 jobs.FAILED: N_("Failed")}
#: Seconds after which the exports page reloads itself while an export is being written.
EXPORTS_REFRESH = 5


@bp.get("/<slug>/learners.<extension>")
@role_required("analyst", "admin")
def learners(slug: str, extension: str):
    """The address the per-learner export had (bookmarks keep it): it now goes to the exports page, with the
    format and filters it named, where the export is asked for and then downloaded."""
    course = _course_or_404(slug, _scope())
    if extension not in jobs.MIMETYPES:
        abort(404, description=_("There is no such table to download."))
    flash(_("Per-learner exports are now prepared in the background: ask for one below, then download it here "
            "once it is ready."))
    args = {**Filters.from_args(request.args).args(), "format": extension}
    if request.args.get("identified") == "1" and current_user.has_role("admin"):
        args["identified"] = "1"
    return redirect(url_for("reports.learner_exports", slug=course.slug, **args), 303)


@bp.get("/<slug>/exports/")
@role_required("analyst", "admin")
def learner_exports(slug: str):
    """The reader's per-learner exports of the course, newest first, and a form to ask for another; the page
    reloads itself while one is queued or being written."""
    course = _course_or_404(slug, _scope())
    return _exports_page(course, Filters.from_args(request.args))


@bp.post("/<slug>/exports/")
@role_required("analyst", "admin")
def ask_learner_export(slug: str):
    """Ask for the course's learners as CSV or XLSX with the report's filters: queued, written in the background
    (unless PASSERELLE_EXPORTS_IN_BACKGROUND is off), then the exports page."""
    valid_form_or_400()
    course = _course_or_404(slug, _scope())
    extension = request.form.get("format", "")
    if extension not in jobs.MIMETYPES:
        abort(400, description=_("Choose the format of the export: CSV or XLSX."))
    identified = request.form.get("identified") == "1"
    if identified and not current_user.has_role("admin"):
        abort(403, description=_("Only admins download learners' names; analysts get them pseudonymised."))
    filters, session = Filters.from_args(request.form), get_db()
    _resume_lost()
    try:
        export = jobs.ask(session, course, current_user, extension=extension, filters=filters, identified=identified,
                          language=select_language())
    except jobs.TooManyPending:
        session.commit()  # the old exports it deleted stay deleted
        return _exports_page(course, filters, error=_(
            "You already wait for %(count)s exports: ask for another once one of them is ready.",
            count=jobs.MAX_PENDING), status=429)
    session.commit()
    if jobs.in_background(current_app.config):
        jobs.start(current_app._get_current_object(), export.id)
    flash(_("Your export is being prepared: it can be downloaded here once it is ready."))
    return redirect(url_for("reports.learner_exports", slug=course.slug, **filters.args()), 303)


@bp.get("/<slug>/exports/<int(max=2147483647):export_id>")
@role_required("analyst", "admin")
def learner_export_file(slug: str, export_id: int):
    """A ready export's file, for whoever asked for it (and, if it names learners, while they are an admin)."""
    course = _course_or_404(slug, _scope())
    export = get_db().get(ReportExport, export_id, populate_existing=True)  # as written since, by another session
    if export is None or export.course_id != course.id or export.requested_by_id != current_user.id:
        abort(404, description=_("There is no such export."))
    if export.identified and not current_user.has_role("admin"):
        abort(403, description=_("Only admins download learners' names; analysts get them pseudonymised."))
    if export.status != jobs.READY or export.data is None:
        abort(409, description=_("This export is not ready yet: the exports page says when it is."))
    return Response(export.data, mimetype=jobs.MIMETYPES[export.extension],
                    headers={"Content-Disposition": f'attachment; filename="{export.filename}"',
                             "Cache-Control": "no-store"})


def _exports_page(course: Course, filters: Filters, error: str | None = None, status: int = 200) -> Response:
    """The exports page: the reader's exports of ``course`` and the form to ask for one with ``filters``."""
    _resume_lost()
    session, now = get_db(), utcnow()
    cohorts = {cohort.id: cohort.name for cohort in indicators.cohorts_in_scope(session, course, _scope())}
    rows = []
    for export, size in jobs.of_requester(session, course, current_user):
        cut_short = export.status == jobs.RUNNING and not jobs.pending(export, now)
        rows.append({"export": export, "size": size, "state": _(EXPORT_STATES.get(export.status, N_("Queued"))),
                     "cut_short": cut_short, "pending": jobs.pending(export, now),
                     "filters": _filters_in_words(jobs.filters_of(export), cohorts)})
    waiting = any(row["pending"] for row in rows)
    chosen = request.args.get("format") if request.args.get("format") in jobs.MIMETYPES else "csv"
    response = make_response(render_template(
        "reports/exports.html", course=course, edition=catalog.edition(course.current, select_language()),
        rows=rows, filters=filters, asked_filters=_filters_in_words(filters, cohorts), waiting=waiting,
        refresh=EXPORTS_REFRESH, background=jobs.in_background(current_app.config), kept=jobs.KEPT.days,
        chosen=chosen, identified=request.args.get("identified") == "1", error=error), status)
    if waiting:
        response.headers["Refresh"] = str(EXPORTS_REFRESH)  # as the page's meta element says, for any browser
    response.headers["Cache-Control"] = "no-store"
    return response


def _resume_lost() -> None:
    """Where the app's threads write exports, write again those of the reader's that a restarted server left queued
    or cut short, which no command may be running to pick up."""
    if jobs.in_background(current_app.config):
        jobs.resume(current_app._get_current_object(), get_db(), current_user)


def _filters_in_words(filters: Filters, cohorts: dict[int, str]) -> str:
    """The report's filters as a reader says them: "From: 1 Mar 2026; Sex: Female", or "All learners"."""
    countries, languages, parts = accounts.countries(select_language()), dict(INTERFACE_LANGUAGES), []

    def say(label: str, value: str) -> None:
        parts.append(_("%(label)s: %(value)s", label=label, value=value))

    if filters.start:
        say(_("From"), format_date(filters.start))
    if filters.end:
        say(_("To"), format_date(filters.end))
    if filters.cohort:
        say(_("Cohort"), cohorts.get(filters.cohort, str(filters.cohort)))
    if filters.sex:
        say(_("Sex"), _(SEXES[filters.sex]))
    if filters.country:
        say(_("Country"), countries.get(filters.country, filters.country))
    if filters.institution:
        say(_("Institution"), filters.institution)
    if filters.language:
        say(_("Language"), languages.get(filters.language, filters.language))
    return "; ".join(parts) or _("All learners")

def _download(course: Course, table: Table | list[Table], extension: str) -> Response:
    """A table (or several, as one workbook) as a CSV or XLSX download."""
    tables = table if isinstance(table, list) else [table]
    day = dt.date.today()
    name = f"{course.slug}-{'report' if len(tables) > 1 else tables[0].name}"
    if extension == "csv":
        data, mimetype = exports.to_csv(tables[0]), "text/csv; charset=utf-8"
    else:
        data = exports.to_xlsx(tables, rtl=is_rtl(select_language()), about=exports.About().translated(_))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    filename = exports.filename(name, extension, day)
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                                      "Cache-Control": "no-store"})


@bp.get("/<slug>/<name>.<extension>")
@role_required("analyst", "admin", "trainer")
def download(slug: str, name: str, extension: str):
    """One table of the course's report (or ``all``, as a workbook), as CSV or XLSX, with the page's filters."""
    scope = _scope()
    course = _course_or_404(slug, scope)
    tables = course_tables(course, Filters.from_args(request.args), scope, only=None if name == "all" else name)
    if extension not in ("csv", "xlsx") or (name not in tables and not (name == "all" and extension == "xlsx")):
        abort(404, description=_("There is no such table to download."))
    return _download(course, list(tables.values()) if name == "all" else tables[name], extension)


@bp.get("/<slug>/modules/<module_slug>/")
@role_required("analyst", "admin", "trainer")
def module(slug: str, module_slug: str):
    """Item analysis of a module's quiz, for trainers: share correct, discrimination, wrong options chosen."""
    scope = _scope()
    course = _course_or_404(slug, scope)
    edition = catalog.edition(course.current, select_language())
    module = edition.module(module_slug)
    if module is None or module.quiz is None:
        abort(404, description=_("The course has no quiz in a module called “%(slug)s”.", slug=module_slug))
    filters = Filters.from_args(request.args)
    rows = indicators.item_analysis(get_db(), course, course.current.model.module(module_slug), filters, scope,
                                    _minimum())
    questions = {q.id: q for q in module.quiz.questions}
    return render_template("reports/module.html", course=course, edition=edition, module=module, filters=filters,
                           rows=[dict(row, question=questions.get(row["question"].id, row["question"]))
                                 for row in rows])
