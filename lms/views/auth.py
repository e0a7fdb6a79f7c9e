"""Log in and out; who may see what."""

from __future__ import annotations

import datetime as dt
import functools
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_timedelta, gettext as _
from flask_babel import lazy_gettext
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from limits import parse

from xapi.views import bp as xapi_bp

from ..db import get_db
from ..forms import ActionForm, LoginForm
from .common import valid_form_or_400
from ..security import limiter, platform_key
from ..accounts import services as accounts
from ..services.learning import authority

bp = Blueprint("auth", __name__, url_prefix="/auth")
csrf = CSRFProtect()


def load_user(session_id: str):
    """The user of a session, if the session is still theirs (log-out renews the token it carries)."""
    user_id, _sep, token = session_id.partition(":")
    try:
        user = accounts.get_user(get_db(), int(user_id))
    except ValueError:
        return None
    # Flask-Login checks is_active only when logging in: a deactivated account's sessions end here.
    return user if user is not None and user.is_active and user.holds_session(token) else None


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


def _failed(response) -> bool:
    return response.status_code == 401


def limit_window(setting: str) -> str:
    """How long a limit's window lasts, in the reader's words ("15 minutes")."""
    return format_timedelta(dt.timedelta(seconds=parse(current_app.config[setting]).get_expiry()))


def account_key(username: str) -> str:
    """The key under which the failed log-ins of ``username`` are counted."""
    return platform_key("username:" + username.strip().casefold()[:100])


def account_limit(key_func, deduct_when):
    """The limit of failed log-ins of one account, counted alike wherever its password is tried."""
    return limiter.shared_limit(
        lambda: current_app.config["LOGIN_LIMIT_ACCOUNT"], scope="log-in:account", methods=["POST"],
        key_func=key_func, deduct_when=deduct_when,
        error_message=lambda: _("Too many failed log-ins for this account. Try again in %(time)s.",
                                time=limit_window("LOGIN_LIMIT_ACCOUNT")))


def address_limit(deduct_when):
    """The limit of failed log-ins from one client address, counted alike wherever a password is tried."""
    return limiter.shared_limit(
        lambda: current_app.config["LOGIN_LIMIT_ADDRESS"], scope="log-in:address", methods=["POST"],
        key_func=lambda: platform_key("address:" + (get_remote_address() or "")), deduct_when=deduct_when,
        error_message=lambda: _("Too many failed log-ins from your address. Try again in %(time)s.",
                                time=limit_window("LOGIN_LIMIT_ADDRESS")))


@bp.route("/login", methods=["GET", "POST"])
# Only failed log-ins count; once a limit is reached even the right password waits for the window to pass.
# The current password asked on the profile counts toward the same limits, so it guesses no more.
@account_limit(lambda: account_key(request.form.get("username", "")), _failed)
@address_limit(_failed)
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
    if not login_user(user):  # Flask-Login refuses an account that is not active
        form.password.errors.append(_("This account is deactivated. Ask an administrator."))
        return render_template("auth/login.html", form=form), 403
    target = request.args.get("next", "")
    # Only follow local paths, so a crafted link cannot send users elsewhere.
    if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        target = url_for("catalog.courses")
    return redirect(target)


@bp.post("/logout")
def logout():
    """Log out (a POST with a CSRF token, so no link can log someone out)."""
    valid_form_or_400()
    if current_user.is_authenticated:
        # A new token ends this session everywhere it was copied, and the account's other sessions with it.
        session = get_db()
        accounts.end_sessions(session, current_user._get_current_object())
        session.commit()
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
    @app.before_request
    def forget_the_last_request() -> None:
        # A host application or a test may keep one application context across requests: the user and the
        # CSRF token that Flask-Login and Flask-WTF keep in it belong to the request that set them.
        for name in ("_login_user", "csrf_token", "csrf_valid"):
            g.pop(name, None)

    # One log-in manager per app: where visitors are sent to log in is the app's own (a host application that
    # mounts Passerelle may send them to its log-in page), and two apps in one process do not share it.
    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to see this page.")
    login_manager.user_loader(load_user)
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
