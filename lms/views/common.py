"""Helpers shared by the learner-facing views."""

from __future__ import annotations

from flask import abort, current_app
from flask_babel import gettext as _
from flask_login import current_user

from authoring import model
from authoring.package import PackageError, read_member

from ..db import get_db
from ..forms import ActionForm
from ..i18n import select_language
from ..models import Course
from ..services import NotFound, catalog
from ..services.learning import Learner, enrolled_learner


def valid_form_or_400() -> None:
    """Answer 400 unless the posted form carries a valid CSRF token."""
    if not ActionForm().validate():
        abort(400, description=_("The form has expired; reload the page and try again."))


def course_or_404(slug: str) -> Course:
    try:
        return catalog.get_course(get_db(), slug)
    except NotFound:
        abort(404, description=_("There is no course called “%(slug)s”.", slug=slug))


def edition_of(course: Course) -> model.Course:
    """The course's current version in the language of the interface, where it is translated."""
    return catalog.edition(course.current, select_language())


def module_or_404(edition: model.Course, module_slug: str) -> model.Module:
    module = edition.module(module_slug)
    if module is None:
        abort(404, description=_("The course has no module called “%(slug)s”.", slug=module_slug))
    return module


def current_learner(course: Course) -> Learner | None:
    """The logged-in user as a learner of ``course``, in the language they see it in, or None if not enrolled."""
    enrolment = catalog.enrolment_for(get_db(), current_user, course)
    if enrolment is None:
        return None
    return enrolled_learner(enrolment, edition_of(course).text_language, current_app.config["PUBLIC_URL"])


def enrolled_learner_or_403(course: Course) -> Learner:
    learner = current_learner(course)
    if learner is None:
        abort(403, description=_("You are not enrolled in this course. Enrol from the course page first."))
    return learner


def package_member(course: Course, name: str) -> bytes:
    """Return a file of the course's current package, or answer 404 if it is gone."""
    try:
        with open(course.current.package_path, "rb") as stream:
            return read_member(stream, name)
    except (OSError, KeyError, PackageError):
        abort(404, description=_("The package file of this course is missing; import it again."))
