"""M&E on the web: a course's indicators, filtered by period and profile with the filters in the address, each
table beside its chart and downloadable as CSV or XLSX; item analysis per quiz."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from authoring.locales import INTERFACE_LANGUAGES, N_, is_rtl

from ..accounts import services as accounts
from ..db import get_db
from ..i18n import select_language
from ..models import Course
from ..services import NotFound, catalog
from ..views.auth import role_required
from . import charts, exports, indicators
from .indicators import DIMENSIONS, Filters, Scope
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


def learners_table(course: Course, filters: Filters, scope: Scope, identified: bool) -> Table:
    """One row a learner, pseudonymised (a keyed hash of the actor id, the same in every export) unless
    ``identified``: for analysts who work in Excel, SPSS or R."""
    edition = catalog.edition(course.current, select_language())
    key = exports.pseudonym_key(current_app.config["INSTANCE_PATH"])
    columns = [Column("learner", _("Learner"))]
    if identified:
        columns += [Column("username", _("Username")), Column("name", _("Name"))]
    columns += [Column("sex", _("Sex")), Column("country", _("Country")), Column("institution", _("Institution")),
                Column("language", _("Language")), Column("cohort", _("Cohort")), Column("enrolled", _("Enrolled")),
                Column("trained", _("Trained")), Column("completed", _("Completed the course")),
                Column("pre", _("Pre-test"), "score"), Column("post", _("Post-test"), "score")]
    for module in edition.modules:
        columns += [Column(f"{module.slug}-completed", _("%(module)s: completed", module=module.title)),
                    Column(f"{module.slug}-score", _("%(module)s: best score", module=module.title), "score")]
    rows = []
    for row in indicators.learners(get_db(), course, filters, scope):
        cells = [exports.pseudonym(key, row["actor_id"])]
        if identified:
            cells += [row["username"], row["display_name"]]
        cells += [row["gender"], row["country"], row["institution"], row["language"], row["cohort"],
                  _day(row["enrolled"]), _day(row["trained"]), _day(row["completed"]), row["pre"], row["post"]]
        for module in edition.modules:
            done = row["modules"].get(module.slug)
            cells += [_day(done.completed) if done else None, done.best_score if done else None]
        rows.append(cells)
    return Table(_("Learners"), columns, rows, name="learners-identified" if identified else "learners",
                 description=_("One row a learner: profile, cohort, the course's dates (YYYY-MM-DD, UTC), the "
                               "pre/post scores and each module's completion date and best score."))


def _day(moment: dt.datetime | None) -> str | None:
    return moment.date().isoformat() if moment is not None else None


@bp.get("/<slug>/learners.<extension>")
@role_required("analyst", "admin")
def learners(slug: str, extension: str):
    """Every learner as a row, pseudonymised; with ``identified=1``, names and usernames too, for admins only."""
    scope = _scope()
    course = _course_or_404(slug, scope)
    identified = request.args.get("identified") == "1"
    if identified and not current_user.has_role("admin"):
        abort(403, description=_("Only admins download learners' names; analysts get them pseudonymised."))
    if extension not in ("csv", "xlsx"):
        abort(404, description=_("There is no such table to download."))
    return _download(course, learners_table(course, Filters.from_args(request.args), scope, identified), extension)


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
