"""The module player: pages, the quiz graded on the server, live-session materials."""

from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask_login import login_required

from authoring import model
from authoring.html import links_for
from authoring.markdown import Links
from authoring.package import module_file
from authoring.quiz import MAX_RESPONSE, feedback_for

from ..db import get_db
from ..forms import ActionForm
from ..services import learning
from .auth import role_required
from .common import course_or_404, current_learner, enrolled_learner_or_403, module_or_404, package_member

bp = Blueprint("player", __name__, url_prefix="/courses/<slug>/modules/<module_slug>")

MATERIALS = {"deck.pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
             "guide.html": "text/html"}


@bp.get("/")
@login_required
def module(slug: str, module_slug: str):
    """Show a module's overview: objectives, pages and quiz, or a live session's agenda."""
    course = course_or_404(slug)
    module = module_or_404(course, module_slug)
    learner = current_learner(course)
    progress = learning.progress(get_db(), learner, module) if learner else None
    return render_template("player/module.html", course=course, model=course.current.model, module=module,
                           progress=progress)


@bp.get("/pages/<page_id>")
@login_required
def page(slug: str, module_slug: str, page_id: str):
    """Show a page and record that the learner experienced it."""
    course = course_or_404(slug)
    module = module_or_404(course, module_slug)
    page = module.page(page_id)
    if page is None:
        abort(404, description=f"The module has no page called {page_id!r}.")
    learner = enrolled_learner_or_403(course)
    session = get_db()
    learning.record_page_view(session, learner, course.current.model, module, page)
    session.commit()
    index = module.pages.index(page)
    return render_template("player/page.html", course=course, module=module, page=page, number=index + 1,
                           links=module_links(slug, module),
                           previous=module.pages[index - 1] if index else None,
                           next=module.pages[index + 1] if index + 1 < len(module.pages) else None)


@bp.route("/quiz", methods=["GET", "POST"])
@login_required
def quiz(slug: str, module_slug: str):
    """Show the quiz; on submit, grade it on the server and record the statements."""
    course = course_or_404(slug)
    module = module_or_404(course, module_slug)
    if module.quiz is None:
        abort(404, description="This module has no quiz.")
    learner = enrolled_learner_or_403(course)
    session = get_db()
    left = learning.attempts_left(module.quiz, learning.progress(session, learner, module))
    page = {"course": course, "module": module, "attempts_left": left}
    if request.method == "GET":
        return render_template("player/quiz.html", responses={}, missing=[], **page)
    if not ActionForm().validate():
        abort(400, description="The form has expired; reload the page and try again.")
    if left == 0:
        abort(403, description="You have used every attempt this quiz allows.")
    responses = _responses(module.quiz)
    try:
        result = learning.grade_quiz(module.quiz, responses)
    except learning.MissingAnswers as exc:
        return render_template("player/quiz.html", responses=responses, missing=exc.question_ids, **page), 400
    learning.record_quiz(session, learner, course.current.model, module, responses, result)
    session.commit()
    progress = learning.progress(session, learner, module)
    feedback = {q.id: feedback_for(q, responses[q.id]) for q in module.quiz.questions}
    return render_template("player/result.html", course=course, module=module, result=result,
                           feedback=feedback, progress=progress,
                           attempts_left=learning.attempts_left(module.quiz, progress))


@bp.get("/<any('deck.pptx', 'guide.html'):name>")
@role_required("trainer", "admin")
def material(slug: str, module_slug: str, name: str):
    """Download a live module's deck or facilitator guide from the imported package."""
    course = course_or_404(slug)
    module = module_or_404(course, module_slug)
    if module.type != model.LIVE:
        abort(404, description="Only live modules have a deck and a facilitator guide.")
    data = package_member(course, module_file(module, name))
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
            chosen = sorted({v for v in values if v.isdigit() and int(v) < len(question.options)}, key=int)
            responses[question.id] = chosen[:1] if question.kind != model.MULTIPLE_CHOICE else chosen
        else:
            text = values[0].strip()[:MAX_RESPONSE] if values else ""
            responses[question.id] = [text] if text else []
    return responses
