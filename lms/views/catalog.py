"""The catalogue and course pages; enrolment."""

from __future__ import annotations

import hashlib
import io
import mimetypes

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from authoring.html import fallback_of
from authoring.package import asset_file

from ..cohorts import services as cohorts
from ..db import get_db
from ..services import catalog, learning
from .common import course_or_404, current_learner, edition_of, package_member, valid_form_or_400

bp = Blueprint("catalog", __name__)


@bp.get("/")
def index():
    """Send visitors to the catalogue (or to the log-in page)."""
    return redirect(url_for("catalog.courses") if current_user.is_authenticated else url_for("auth.login"))


@bp.get("/courses/")
@login_required
def courses():
    """List the courses, marking those the user is enrolled in, and when they completed them or what remains."""
    session = get_db()
    items = []
    for course in catalog.list_courses(session):
        if not course.versions:
            continue
        edition, learner = edition_of(course), current_learner(course)
        status = learning.course_status(session, learner, edition) if learner is not None else None
        items.append((course, edition, learner, status))
    return render_template("catalog/courses.html", items=items)


@bp.get("/courses/<slug>/")
@login_required
def course(slug: str):
    """Show a course: its modules and, for an enrolled learner, their progress."""
    course = course_or_404(slug)
    edition = edition_of(course)
    learner = current_learner(course)
    progress, status = {}, None
    if learner is not None:
        progress = {m.slug: learning.progress(get_db(), learner, m) for m in edition.modules}
        status = learning.course_status(get_db(), learner, edition)
    titles = {m.slug: m.title for m in edition.modules}
    # What each module waits for (learning.missing_prerequisites, from the progress read above).
    waiting = {m.slug: [titles[p] for p in m.prerequisites if p in progress and not progress[p].completed]
               for m in edition.modules}
    session = get_db()
    return render_template("catalog/course.html", course=course, model=edition, learner=learner, progress=progress,
                           fallback=fallback_of(edition), waiting=waiting, status=status,
                           open_cohorts=cohorts.open_cohorts(session, course),
                           in_cohorts=not cohorts.may_enrol_in_course(session, course))


@bp.get("/courses/<slug>/assets/<path:name>")
@login_required
def asset(slug: str, name: str):
    """Serve an image of the course's current version from its package."""
    course = course_or_404(slug)
    if name not in {path for m in course.current.model.modules for path in m.assets.values()}:
        abort(404, description=_("The course has no such file."))
    data = package_member(course, asset_file(name))
    return send_file(io.BytesIO(data), mimetype=mimetypes.guess_type(name)[0], max_age=86400,
                     etag=hashlib.sha256(data).hexdigest(), conditional=True)


@bp.post("/courses/<slug>/enrol")
@login_required
def enrol(slug: str):
    """Enrol the current user in the course, unless it runs in cohorts (they join one of its open cohorts)."""
    course = course_or_404(slug)
    valid_form_or_400()
    session = get_db()
    if not cohorts.may_enrol_in_course(session, course):
        abort(403, description=_("This course runs in cohorts: join one that is open to enrolment on the course "
                                 "page, or ask the academy to enrol you."))
    catalog.enrol(session, current_user, course)
    session.commit()
    flash(_("You are enrolled in %(course)s.", course=edition_of(course).title))
    return redirect(url_for("catalog.course", slug=slug))
