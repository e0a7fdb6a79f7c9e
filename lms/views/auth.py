"""Log in and out; who may see what."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from xapi.views import bp as xapi_bp

from ..db import get_db
from ..forms import ActionForm, LoginForm
from .common import valid_form_or_400
from ..services import accounts
from ..services.learning import authority

bp = Blueprint("auth", __name__, url_prefix="/auth")
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = lazy_gettext("Please log in to see this page.")
csrf = CSRFProtect()


@login_manager.user_loader
def load_user(user_id: str):
    try:
        return accounts.get_user(get_db(), int(user_id))
    except ValueError:
        return None


def role_required(*roles: str):
    """Let only logged-in users with one of ``roles`` through (others get 403)."""
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403, description=_("This page is for accounts with the role %(roles)s.",
                                         roles=" / ".join(roles)))
            return view(*args, **kwargs)
        return wrapped
    return decorator


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the log-in form; log the user in with a right username and password."""
    form = LoginForm()
    if request.method == "GET":
        return render_template("auth/login.html", form=form)
    if not form.validate():
        return render_template("auth/login.html", form=form), 400
    user = accounts.authenticate(get_db(), form.username.data, form.password.data)
    if user is None:
        form.password.errors.append(_("Wrong username or password."))
        return render_template("auth/login.html", form=form), 401
    login_user(user)
    target = request.args.get("next", "")
    # Only follow local paths, so a crafted link cannot send users elsewhere.
    if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        target = url_for("catalog.courses")
    return redirect(target)


@bp.post("/logout")
def logout():
    """Log out (a POST with a CSRF token, so no link can log someone out)."""
    valid_form_or_400()
    logout_user()
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))


def session_agent() -> dict | None:
    """The xAPI agent of the signed-in learner, for the LRS (None when nobody is signed in)."""
    if not current_user.is_authenticated:
        return None
    return {"objectType": "Agent", "account": {"homePage": current_app.config["PUBLIC_URL"],
                                               "name": current_user.actor_id}}


def session_authority() -> dict:
    return authority(current_app.config["PUBLIC_URL"])


def init_app(app) -> None:
    login_manager.init_app(app)
    csrf.init_app(app)
    # The LRS needs no CSRF token: every request must carry the X-Experience-API-Version header,
    # which a cross-site form cannot send, and clients other than the browser use HTTP Basic.
    csrf.exempt(xapi_bp)
    # A launched module's fetch URL carries its own one-time secret, and is called without the learner's cookie.
    csrf.exempt("lms.views.player.fetch")
    app.register_blueprint(bp)

    @app.context_processor
    def forms():
        return {"action_form": ActionForm}
