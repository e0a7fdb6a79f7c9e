"""A person's records in the web interface: anyone downloads what is held about them; admins erase accounts."""

from __future__ import annotations

import datetime as dt

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   stream_template, stream_with_context, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from xapi.forwarding import forwarding_enabled

from ..accounts import services as accounts
from ..db import get_db
from ..i18n import select_language
from ..models import User
from ..views.auth import role_required
from ..views.common import valid_form_or_400
from . import services

bp = Blueprint("privacy", __name__, template_folder="templates")


def _home_page() -> str:
    return current_app.config["PUBLIC_URL"]


def _attachment(name: str) -> dict[str, str]:
    """Headers of a download named ``name`` and the day's date."""
    return {"Content-Disposition": f'attachment; filename="passerelle-data-{dt.date.today().isoformat()}.{name}"',
            "Cache-Control": "no-store"}


@bp.get("/account/data")
@login_required
def mine():
    """Tell a person what the platform holds about them, with the two downloads."""
    user = current_user._get_current_object()
    return render_template("privacy/data.html", held=services.holdings(get_db(), user, _home_page()))


@bp.get("/account/data.json")
@login_required
def download_json():
    """Everything held about the signed-in person, in one JSON file, written as it is read."""
    user = current_user._get_current_object()
    body = services.export_json(get_db(), user, _home_page())
    return Response(stream_with_context(body), mimetype="application/json", headers=_attachment("json"))


@bp.get("/account/data.html")
@login_required
def download_html():
    """A readable summary of the same, as one HTML file that needs nothing else to be read."""
    user = current_user._get_current_object()
    data = services.summary(get_db(), user, _home_page(), [select_language()])
    return Response(stream_template("privacy/summary.html", data=data), mimetype="text/html",
                    headers=_attachment("html"))


def _user_or_404(user_id: int) -> User:
    user = accounts.get_user(get_db(), user_id)
    if user is None:
        abort(404, description=_("There is no such account."))
    return user


def _erase_page(user: User, error: str | None = None, status: int = 200):
    session = get_db()
    refusal = None
    try:
        services.check_erasable(session, user, current_user, _home_page())
    except services.ErasureRefused as exc:
        refusal = _(exc.message, **exc.params)
    return render_template("privacy/erase.html", user=user, held=services.holdings(session, user, _home_page()),
                           refusal=refusal, error=error, forwarding=forwarding_enabled(current_app.config)), status


@bp.route("/admin/accounts/<int:user_id>/erase", methods=["GET", "POST"])
@role_required("admin")
def erase(user_id: int):
    """Erase an account and every record about it, once the admin has typed its username."""
    user = _user_or_404(user_id)
    if request.method == "GET":
        return _erase_page(user)
    valid_form_or_400()
    if request.form.get("confirm", "").strip() != user.username:
        return _erase_page(user, _("Type the username %(username)s exactly to confirm the erasure.",
                                   username=user.username), 400)
    session = get_db()
    try:
        erased = services.erase(session, user, current_user._get_current_object(), _home_page())
    except services.ErasureRefused as exc:
        session.rollback()
        return _erase_page(user, _(exc.message, **exc.params), 400)
    session.commit()
    flash(_("Account number %(account)s is erased, with %(statements)s learning records.",
            account=erased.account, statements=erased.records.statements))
    return redirect(url_for("privacy.erasures"))


@bp.get("/admin/erasures")
@role_required("admin")
def erasures():
    """The erasure log: which account number, erased by whom, when."""
    return render_template("privacy/erasures.html", log=services.erasure_log(get_db()))
