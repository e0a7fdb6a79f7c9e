"""Administration: import course packages."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from authoring.package import PackageError

from ..db import get_db
from ..forms import PackageForm
from ..services import catalog
from .auth import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/packages", methods=["GET", "POST"])
@role_required("admin")
def packages():
    """List imported courses; import an uploaded package."""
    session = get_db()
    form = PackageForm()
    status, error = 200, None
    if form.is_submitted():
        if not form.validate():
            status = 400
        else:
            try:
                version, new = catalog.import_package(session, form.package.data.stream,
                                                      current_app.config["PACKAGE_DIR"],
                                                      allow_downgrade=form.allow_downgrade.data)
            except catalog.OlderVersion as exc:
                session.rollback()
                status, error = 400, _("The package was not imported: %(reason)s. To make it the version learners "
                                       "see all the same, tick “%(allow)s” and import it again.",
                                       reason=exc, allow=form.allow_downgrade.label.text)
            except PackageError as exc:
                session.rollback()
                status, error = 400, _("The package was not imported: %(reason)s", reason=exc)
            else:
                session.commit()
                title, number = version.course.title, version.version
                flash(_("Imported %(course)s %(version)s.", course=title, version=number) if new
                      else _("%(course)s %(version)s was already imported.", course=title, version=number))
                return redirect(url_for("admin.packages"))
    return render_template("admin/packages.html", form=form, error=error,
                           courses=catalog.list_courses(session)), status
