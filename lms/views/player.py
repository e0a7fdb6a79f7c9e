"""The module player: pages, the quiz graded on the server, live-session materials."""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from authoring import model
from authoring.html import ARROWS, fallback_of, in_source_language, language_name, links_for, source_direction
from authoring.locales import direction
from authoring.markdown import Links
from authoring.package import asset_file, module_file
from authoring.quiz import MAX_RESPONSE, answer_key, feedback_for, whole_number
from xapi import statements as xs

from ..db import get_db
from ..i18n import select_language
from ..models import Course
from ..services import catalog, launch, learning
from ..sessions import views as sessions
from .common import (
    course_or_404,
    current_learner,
    edition_of,
    enrolled_learner_or_403,
    module_or_404,
    package_member,
    valid_form_or_400,
)

bp = Blueprint("player", __name__, url_prefix="/courses/<slug>/modules/<module_slug>")
# The player's pages tell from their rendered text whether any of it is left in the source language.
bp.add_app_template_global(in_source_language)

MATERIALS = {"deck.pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
             "guide.html": "text/html", "handout.html": "text/html"}
#: The longest path through a scenario a form may carry.
MAX_SCENARIO_STEPS = 200


@bp.get("/")
@login_required
def module(slug: str, module_slug: str):
    """Show a module's overview: objectives, pages and quiz, or a live session's agenda."""
    course = course_or_404(slug)
    edition = edition_of(course)
    module = module_or_404(edition, module_slug)
    learner = current_learner(course)
    progress = learning.progress(get_db(), learner, module) if learner else None
    playable = learner is not None and module.type == model.SELF_PACED
    resume = launch.bookmark(get_db(), learner, module) if playable and not progress.completed else None
    live = sessions.module_panel(course.id, module.slug) if learner and module.type == model.LIVE else None
    missing = learning.missing_prerequisites(get_db(), learner, edition, module) if learner else []
    return render_template("player/module.html", course=course, model=edition, module=module, live=live,
                           missing=missing,
                           progress=progress, resume=resume, **course_text(edition, module),
                           xapi=player_data(learner, [], offline=offline_files(course, edition, module))
                           if playable else None)


@bp.get("/launch")
@login_required
def start(slug: str, module_slug: str):
    """Launch a self-paced module the cmi5 way: a session, its launch data, ``launched``, then the module."""
    course = course_or_404(slug)
    edition = edition_of(course)
    module = module_or_404(edition, module_slug)
    learner = enrolled_learner_or_403(course)
    here = url_for("player.module", slug=slug, module_slug=module_slug)
    if module.type != model.SELF_PACED:
        return redirect(here)
    prerequisites_or_403(course, edition, module, learner)
    session = get_db()
    enrolment = catalog.enrolment_for(session, current_user, course)
    opened, secret = launch.start(session, learner, enrolment, edition, module,
                                  launch_url=url_for("player.module", slug=slug, module_slug=module_slug,
                                                     _external=True),
                                  return_url=url_for("catalog.course", slug=slug, _external=True))
    session.commit()
    params = {
        "endpoint": lrs_endpoint(external=True),
        "fetch": url_for("player.fetch", slug=slug, module_slug=module_slug, launch_id=opened.id, secret=secret,
                         _external=True),
        "actor": json.dumps(learner.agent.as_version(xs.VERSION), separators=(",", ":")),
        "registration": learner.registration,
        "activityId": module.iri,
    }
    return redirect(f"{here}?{urlencode(params)}", 303)


@bp.post("/launch/<launch_id>/fetch")
def fetch(slug: str, module_slug: str, launch_id: str):
    """Give the launched module its auth-token, once (cmi5's fetch URL; no cookie or CSRF token needed)."""
    session = get_db()
    try:
        token = launch.fetch(session, launch_id, request.args.get("secret", ""), current_app.config["PUBLIC_URL"],
                             current_app.config["LAUNCH_KEY_DAYS"])
    except launch.FetchRefused as exc:
        session.rollback()
        response = jsonify({"error-code": exc.code, "error-text": exc.text})
        response.status_code = 400
    else:
        session.commit()
        response = jsonify({"auth-token": token})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/pages/<page_id>")
@login_required
def page(slug: str, module_slug: str, page_id: str):
    """Show a page; the player script, or the ``<noscript>`` image without one, records that it was read."""
    course, edition, module, page, learner = _page_or_404(slug, module_slug, page_id)
    index = module.pages.index(page)
    return render_template("player/page.html", course=course, module=module, page=page, number=index + 1,
                           xapi=player_data(learner, [learning.page_view(learner, edition, module, page)],
                                            state=launch.bookmark_state(learner, module, page)),
                           links=module_links(slug, module), **course_text(edition, module),
                           previous=module.pages[index - 1] if index else None,
                           next=module.pages[index + 1] if index + 1 < len(module.pages) else None)


@bp.get("/pages/<page_id>/seen")
@login_required
def seen(slug: str, module_slug: str, page_id: str):
    """Record a page view where no script runs: the page's ``<noscript>`` image asks for this."""
    _course, edition, module, page, learner = _page_or_404(slug, module_slug, page_id)
    session = get_db()
    learning.record_page_view(session, learner, edition, module, page)
    launch.save_bookmark(session, learner, module, page)
    session.commit()
    return "", 204, {"Cache-Control": "no-store"}


def _page_or_404(slug: str, module_slug: str, page_id: str):
    """The course, its edition in the reader's language, the module, the page and the enrolled learner."""
    course = course_or_404(slug)
    edition = edition_of(course)
    module = module_or_404(edition, module_slug)
    page = module.page(page_id)
    if page is None:
        abort(404, description=_("The module has no page called “%(id)s”.", id=page_id))
    learner = enrolled_learner_or_403(course)
    prerequisites_or_403(course, edition, module, learner)
    return course, edition, module, page, learner


def prerequisites_or_403(course: Course, edition: model.Course, module: model.Module,
                         learner: learning.Learner) -> None:
    """Refuse a module's pages and activities, with a page naming what to complete first, until its
    prerequisites are completed; its overview stays open and says the same."""
    missing = learning.missing_prerequisites(get_db(), learner, edition, module)
    if missing:
        abort(Response(render_template("player/locked.html", course=course, model=edition, module=module,
                                       missing=missing, **course_text(edition, module)), 403))


def course_text(edition: model.Course, module: model.Module) -> dict:
    """How a player page shows a module's text in the reader's language.

    A translation's segments still in the source language carry its ``lang``
    (``fallback``); where that language is written the other way from the
    page, ``isolate`` names the class that sets them in their own direction
    (English in an Arabic page runs left to right), so that one style sheet
    serves every pair of languages.  ``source_name`` is that language's name
    for the note saying part of the page is shown in it; ``back`` and
    ``forward`` are the arrows to the previous and next pages, pointing the
    way a reader of the page's direction turns pages.
    """
    fallback, reader = fallback_of(edition, module), select_language()
    way = direction(reader)
    own = source_direction(fallback, way)
    back, forward = ARROWS[way]
    return {"fallback": fallback, "isolate": f"source-{own}" if own else "", "back": back,
            "forward": forward, "source_name": language_name(fallback.language, reader) if fallback.language else ""}


def lrs_endpoint(external: bool = False) -> str:
    """The LRS's base address, as cmi5's ``endpoint`` (ends with a slash)."""
    return url_for("xapi.about", _external=external).removesuffix("about")


def player_data(learner: learning.Learner, statements: list[dict], **more) -> dict:
    """What the player script needs on a page: where the LRS is, and the statements the page makes.

    Each statement gets a new id and time on the device when it is made; the
    LRS is reached with the launched module's key or, without a launch, as the
    signed-in learner.  ``more`` is what a page does on the device: a quiz
    graded there, a survey, the files to save for offline use.
    """
    return {"endpoint": lrs_endpoint(), "registration": learner.registration,
            "statements": statements} | more


def offline_files(course: Course, edition: model.Course, module: model.Module) -> dict:
    """The addresses a module needs to work with the network off, and about how many bytes they take."""
    slug, names = course.slug, [module_file(module, "index.html", edition.language)]
    urls = [url_for("catalog.course", slug=slug), url_for("player.module", slug=slug, module_slug=module.slug),
            url_for("static", filename="style.css"), url_for("static", filename="player.js")]
    for page in module.pages:
        urls.append(url_for("player.page", slug=slug, module_slug=module.slug, page_id=page.id))
        names.append(module_file(module, f"{page.id}.html", edition.language))
    if module.quiz is not None:
        urls.append(url_for("player.quiz", slug=slug, module_slug=module.slug))
    if module.survey is not None:
        urls.append(url_for("player.survey", slug=slug, module_slug=module.slug))
    for path in sorted(module.images):
        urls.append(url_for("catalog.asset", slug=slug, name=path))
        names.append(asset_file(path))
    return {"urls": urls, "bytes": catalog.download_size(course.current, names),
            "worker": url_for("service_worker"), "scope": url_for("catalog.courses")}


def offline_quiz(learner: learning.Learner, edition: model.Course, module: model.Module) -> dict:
    """What the device needs to take the quiz with the network off: the statements to make, and a practice
    quiz's answer key to grade it there at once (the LMS grades the answers again when they arrive).

    A quiz graded on the server only gets no key: its answers wait in the outbox and are graded on arrival.
    """
    quiz = module.quiz
    questions = [{"id": q.id, "statement": learning.quiz_answer(learner, edition, module, q)}
                 for q in quiz.questions]
    if quiz.graded_on_server_only:
        return {"server": True, "questions": questions}
    return {"passMark": quiz.pass_mark,
            "questions": [answer_key(q) | item for q, item in zip(quiz.questions, questions, strict=True)],
            "passed": learning.quiz_outcome(learner, edition, module, True),
            "failed": learning.quiz_outcome(learner, edition, module, False)}


def offline_survey(learner: learning.Learner, edition: model.Course, module: model.Module) -> dict:
    """A survey answered on the device when the network is off: the statements to make."""
    return {"items": [{"id": item.id, "statement": learning.survey_response(learner, edition, module, item)}
                      for item in module.survey.items],
            "completed": learning.survey_completed(learner, edition, module)}


@bp.route("/quiz", methods=["GET", "POST"])
@login_required
def quiz(slug: str, module_slug: str):
    """Show the quiz; on submit, grade it on the server and record the statements."""
    course = course_or_404(slug)
    edition = edition_of(course)
    module = module_or_404(edition, module_slug)
    if module.quiz is None:
        abort(404, description=_("This module has no quiz."))
    learner = enrolled_learner_or_403(course)
    prerequisites_or_403(course, edition, module, learner)
    session = get_db()
    progress = learning.progress(session, learner, module)
    left = learning.attempts_left(module.quiz, progress)
    # Passed as the LMS graded it: the page then says so instead of counting attempts as if another were needed.
    page = {"course": course, "module": module, "attempts_left": left, "passed": progress.passed,
            **course_text(edition, module)}

    def form(responses: dict, missing: list[str]) -> str:  # the device's answer key only where the form is
        return render_template("player/quiz.html", responses=responses, missing=missing, **page,
                               xapi=player_data(learner, [], quiz=offline_quiz(learner, edition, module)))

    if request.method == "GET":
        return form({}, [])
    valid_form_or_400()
    if left == 0:
        abort(403, description=_("You have used every attempt this quiz allows."))
    responses = _responses(module.quiz)
    try:
        result = learning.grade_quiz(module.quiz, responses)
    except learning.MissingAnswers as exc:
        return form(responses, exc.question_ids), 400
    learning.record_quiz(session, learner, edition, module, responses, result)
    session.commit()
    progress = learning.progress(session, learner, module)
    feedback = {q.id: feedback_for(q, responses[q.id]) for q in module.quiz.questions}
    return render_template("player/result.html", result=result, feedback=feedback, progress=progress,
                           **{**page, "attempts_left": learning.attempts_left(module.quiz, progress)})


@bp.route("/survey", methods=["GET", "POST"])
@login_required
def survey(slug: str, module_slug: str):
    """Show the module's survey; on submit, record the answers given (none is required but one)."""
    course = course_or_404(slug)
    edition = edition_of(course)
    module = module_or_404(edition, module_slug)
    if module.survey is None:
        abort(404, description=_("This module has no survey."))
    learner = enrolled_learner_or_403(course)
    prerequisites_or_403(course, edition, module, learner)
    page = {"course": course, "module": module, **course_text(edition, module),
            "xapi": player_data(learner, [], survey=offline_survey(learner, edition, module))}
    if request.method == "GET":
        return render_template("player/survey.html", responses={}, empty=False, **page)
    valid_form_or_400()
    responses = {}
    for item in module.survey.items:
        value = request.form.get(f"s-{item.id}", "").strip()
        if item.kind == model.LIKERT:
            value = value if whole_number(value, len(item.scale) + 1) else ""  # a point of the scale, from 1
        responses[item.id] = value[:MAX_RESPONSE]
    if not any(responses.values()):
        return render_template("player/survey.html", responses=responses, empty=True, **page), 400
    session = get_db()
    learning.record_survey(session, learner, edition, module, responses)
    session.commit()
    return render_template("player/survey.html", responses=responses, empty=False, thanks=True, **page)


@bp.route("/scenarios/<scenario_id>/", methods=["GET", "POST"])
@login_required
def scenario(slug: str, module_slug: str, scenario_id: str):
    """Play a scenario: each choice is a form post carrying the path so far, checked against the scenario."""
    course = course_or_404(slug)
    edition = edition_of(course)
    module = module_or_404(edition, module_slug)
    scenario = module.scenario(scenario_id)
    if scenario is None:
        abort(404, description=_("The module has no scenario called “%(id)s”.", id=scenario_id))
    learner = enrolled_learner_or_403(course)
    prerequisites_or_403(course, edition, module, learner)
    path, choice = [scenario.steps[0].id], None
    if request.method == "POST":
        valid_form_or_400()
        path = request.form.get("path", "").split(",")[:MAX_SCENARIO_STEPS]
        if not scenario.walk(path):
            abort(400, description=_("This is not a path through the scenario; start it again."))
        here = scenario.step(path[-1])
        number = whole_number(request.form.get("choice", ""), len(here.choices) + 1)  # choices count from 1
        if not number:
            abort(400, description=_("This step has no such choice; start the scenario again."))
        choice = here.choices[number - 1]
        path.append(choice.goto)
    step = scenario.step(path[-1])
    if step.is_end and request.method == "POST":
        session = get_db()
        learning.record_scenario(session, learner, edition, module, scenario, path)
        session.commit()
    return render_template("player/scenario.html", course=course, module=module, scenario=scenario, step=step,
                           choice=choice, path=",".join(path), links=module_links(slug, module),
                           **course_text(edition, module))


@bp.get("/<any('deck.pptx', 'guide.html', 'handout.html'):name>")
@login_required
def material(slug: str, module_slug: str, name: str):
    """Download a live module's deck or facilitator guide (trainers), or its participants' handout."""
    course = course_or_404(slug)
    edition = edition_of(course)
    module = module_or_404(edition, module_slug)
    if module.type != model.LIVE:
        abort(404, description=_("Only live modules have a deck, a facilitator guide and a handout."))
    if name != "handout.html" and not current_user.has_role("trainer", "admin"):
        abort(403, description=_("The deck and the facilitator guide are for trainers."))
    data = package_member(course, module_file(module, name, edition.language))
    return send_file(io.BytesIO(data), mimetype=MATERIALS[name], as_attachment=name.endswith(".pptx"),
                     download_name=f"{module.slug}-{name}")


def module_links(slug: str, module: model.Module) -> Links:
    """How a module's Markdown reaches the course's files and pages in the LMS."""

    def page_url(module_slug: str | None, page_id: str | None) -> str:
        module_slug = module_slug or module.slug
        if page_id is None:
            return url_for("player.module", slug=slug, module_slug=module_slug)
        return url_for("player.page", slug=slug, module_slug=module_slug, page_id=page_id)

    return links_for(module, lambda path: url_for("catalog.asset", slug=slug, name=path), page_url)


def _responses(quiz: model.Quiz) -> dict[str, list[str]]:
    """Read each question's response from the form: option indexes, or one bounded text."""
    responses = {}
    for question in quiz.questions:
        values = request.form.getlist(f"q-{question.id}")
        if question.kind in model.CHOICE_KINDS:
            chosen = sorted({v for v in values if whole_number(v, len(question.options)) is not None}, key=int)
            responses[question.id] = chosen[:1] if question.kind != model.MULTIPLE_CHOICE else chosen
        else:
            text = values[0].strip()[:MAX_RESPONSE] if values else ""
            responses[question.id] = [text] if text else []
    return responses
