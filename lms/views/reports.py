"""M&E: figures per course and module, from the learning records."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from ..db import get_db
from ..services import catalog, reports
from .auth import role_required

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.get("/")
@role_required("analyst", "admin")
def index():
    """Per module: learners enrolled, started, completed, and the mean quiz score."""
    session = get_db()
    courses = [(course, reports.module_figures(session, course, current_app.config["PUBLIC_URL"]))
               for course in catalog.list_courses(session) if course.versions]
    return render_template("reports/index.html", courses=courses)
