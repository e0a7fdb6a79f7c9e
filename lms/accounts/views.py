"""Accounts in the web interface: admins list, create, edit, deactivate and import them; everyone sets
their own name, time zone, language and password; new accounts set their password with a one-time link, and
whoever forgot theirs asks for one by mail."""

from __future__ import annotations

import datetime as dt
import math

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_timedelta, gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user
from sqlalchemy.exc import IntegrityError

from authoring.locales import INTERFACE_LANGUAGES, N_

from ..db import get_db
from ..i18n import select_language
from ..models import ROLES, User
from ..services import NotFound
from ..security import limiter, platform_key
from ..views.auth import account_key, account_limit, address_limit, limit_window, role_required
from ..views.common import valid_form_or_400
from . import importing, links, mail, services
from .forms import (AccountForm, ChangePasswordForm, ForgotPasswordForm, ImportForm, OwnProfileForm, PasswordForm,
                    ProfileForm)
from .welcome import mail_reset_links, password_link, send_links

bp = Blueprint("accounts", __name__, template_folder="templates")

PER_PAGE = 50
#: The fields an admin edits, in the order of the form.
PROFILE = ("display_name", "email", "role", "country", "institution", "gender", "language", "timezone")
ROLE_NAMES = {"admin": N_("Administrator"), "trainer": N_("Trainer"), "learner": N_("Learner"),
              "analyst": N_("M&E analyst")}


def explain(message: str, params: dict) -> str:
    """A message of the accounts service in the reader's language, the field it names included."""
    return _(message, **{name: _(value) if name == "field" else value for name, value in params.items()})


def _profile_choices(form: ProfileForm, language: str) -> None:
    form.language.choices = list(INTERFACE_LANGUAGES.items())
    zones = services.timezones(language)
    form.timezone.choices = [("", _("The platform's: %(zone)s", zone=current_app.config["TIMEZONE"])),
                             *zones.items()]
    if form.timezone.data and form.timezone.data not in zones:
        form.timezone.choices.append((form.timezone.data, form.timezone.data))


def _account_choices(form: AccountForm, language: str) -> None:
    _profile_choices(form, language)
    form.role.choices = [(role, _(ROLE_NAMES[role])) for role in ROLES]
    form.country.choices = [("", "—"), *services.countries(language).items()]
    form.gender.choices = [("", _("Not recorded")), *((code, _(name)) for code, name in services.GENDERS.items())]


def _user_or_404(user_id: int) -> User:
    user = services.get_user(get_db(), user_id)
    if user is None:
        abort(404, description=_("There is no such account."))
    return user


@bp.get("/admin/accounts/")
@role_required("admin")
def index():
    """List accounts, searched and filtered, one page at a time."""
    text = request.args.get("q", "")[:200]
    role = request.args.get("role", "")
    role = role if role in ROLES else ""
    active = {"1": True, "0": False}.get(request.args.get("active", ""))
    page = max(1, request.args.get("page", 1, type=int) or 1)
    users, total = services.search_users(get_db(), text, role, active, page, PER_PAGE)
    pages = max(1, math.ceil(total / PER_PAGE))
    return render_template("accounts/index.html", users=users, total=total, page=page, pages=pages, text=text,
                           role=role, active=request.args.get("active", ""), roles=ROLE_NAMES,
                           countries=services.countries(select_language()))


@bp.route("/admin/accounts/new", methods=["GET", "POST"])
@role_required("admin")
def create():
    """Create an account; show the link its owner sets their password with."""
    form = AccountForm(data={"role": "learner", "language": select_language()})
    _account_choices(form, select_language())
    if not form.is_submitted():
        return render_template("accounts/edit.html", form=form, user=None)
    error = None
    if form.validate():
        session = get_db()
        profile = {name: getattr(form, name).data or "" for name in PROFILE if name not in ("display_name", "role")}
        try:
            user = services.create_user(session, form.username.data or "", None, form.role.data or "",
                                        form.display_name.data, **profile)
            session.commit()
        except services.AccountError as exc:
            session.rollback()
            error = explain(exc.message, exc.params)
        except IntegrityError:
            session.rollback()
            error = _("The username %(username)s is taken.", username=form.username.data)
        else:
            return _links_page([user], _("The account %(username)s is created.", username=user.username))
    return render_template("accounts/edit.html", form=form, user=None, error=error), 400


@bp.route("/admin/accounts/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def edit(user_id: int):
    """Change an account's name, role and profile."""
    user = _user_or_404(user_id)
    form = AccountForm(obj=user)
    _account_choices(form, select_language())
    if not form.is_submitted():
        return render_template("accounts/edit.html", form=form, user=user)
    error = None
    if form.validate():
        session = get_db()
        try:
            services.update_user(session, user, **{name: getattr(form, name).data or "" for name in PROFILE})
            session.commit()
        except services.AccountError as exc:
            session.rollback()
            error = explain(exc.message, exc.params)
        else:
            flash(_("The account %(username)s is saved.", username=user.username))
            return redirect(url_for("accounts.edit", user_id=user.id))
    return render_template("accounts/edit.html", form=form, user=user, error=error), 400


@bp.post("/admin/accounts/<int:user_id>/active")
@role_required("admin")
def set_active(user_id: int):
    """Deactivate an account (it cannot log in, its sessions end) or reactivate it; never delete it."""
    valid_form_or_400()
    user = _user_or_404(user_id)
    active = request.form.get("active") == "1"
    if not active and user.id == current_user.id:
        abort(400, description=_("You cannot deactivate your own account."))
    session = get_db()
    services.set_active(session, user, active)
    session.commit()
    flash(_("The account %(username)s is active again.", username=user.username) if active
          else _("The account %(username)s is deactivated: it can no longer log in.", username=user.username))
    return redirect(url_for("accounts.edit", user_id=user.id))


@bp.post("/admin/accounts/<int:user_id>/link")
@role_required("admin")
def new_link(user_id: int):
    """Make a new link to set the account's password (say, when the first one expired)."""
    valid_form_or_400()
    user = _user_or_404(user_id)
    if not user.active:
        abort(400, description=_("This account is deactivated. Reactivate it first."))
    return _links_page([user], _("A new link for %(username)s:", username=user.username))


def _links_page(users: list[User], message: str, status: int = 200, **context):
    """Show the set-password links of ``users``, after mailing them when SMTP is configured."""
    pairs = [(user, password_link(user)) for user in users]
    sent, failure = send_links(pairs)
    return render_template("accounts/links.html", message=message, pairs=pairs, sent=sent, failure=failure,
                           logged=mail.to_log(current_app.config), days=current_app.config["PASSWORD_LINK_DAYS"],
                           **context), status


@bp.route("/admin/accounts/import", methods=["GET", "POST"])
@role_required("admin")
def import_csv():
    """Check a CSV file of accounts (dry run), or import it all or nothing and enrol the accounts in a cohort."""
    from ..cohorts import services as cohorts  # the import enrols in a cohort; cohorts build on accounts

    session = get_db()
    form = ImportForm()
    form.cohort.choices = [("", _("None")), *((str(c.id), f"{c.course.title}: {c.name}")
                                              for c in cohorts.list_cohorts(session))]
    page = {"form": form, "columns": importing.COLUMNS, "max_rows": importing.MAX_ROWS,
            "max_mb": importing.MAX_BYTES // (1024 * 1024)}
    if not form.is_submitted():
        return render_template("accounts/import.html", **page)
    if not form.validate():
        return render_template("accounts/import.html", **page), 400
    cohort = None
    if form.cohort.data:
        try:
            cohort = cohorts.get_cohort(session, int(form.cohort.data))
        except (NotFound, ValueError):
            return render_template("accounts/import.html", error=_("There is no such cohort."), **page), 400
    try:
        plan = importing.read_csv(session, form.file.data.stream.read(importing.MAX_BYTES + 1), select_language())
    except services.AccountError as exc:
        return render_template("accounts/import.html", error=explain(exc.message, exc.params), **page), 400
    problems = [(problem.line, explain(problem.message, problem.params)) for problem in plan.problems]
    if problems or request.form.get("action") != "import":
        return render_template("accounts/import.html", plan=plan, problems=problems, checked=True,
                               **page), 400 if problems else 200
    try:
        done = cohorts.import_people(session, plan, cohort)
        session.commit()
    except (services.AccountError, cohorts.CohortError) as exc:
        session.rollback()
        return render_template("accounts/import.html",
                               error=_("Nothing was imported: %(reason)s", reason=explain(exc.message, exc.params)),
                               **page), 400
    except IntegrityError:
        session.rollback()
        return render_template("accounts/import.html", error=_("Nothing was imported: another change to these "
                                                                 "accounts came first. Check the file again."),
                               **page), 409
    created = [user for user, new in done if new]
    message = _("Imported: %(new)s new accounts, %(updated)s updated.", new=len(created),
                updated=len(done) - len(created))
    if cohort is not None:
        message += " " + _("All are enrolled in %(cohort)s.", cohort=cohort.name)
    return _links_page(created, message)


@bp.route("/account/password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Let the owner of a new account choose their password, once, with the link they were given."""
    try:
        user = links.user_for_token(get_db(), current_app.config["SECRET_KEY"], token,
                                    current_app.config["PASSWORD_LINK_DAYS"])
    except services.AccountError as exc:
        abort(400, description=explain(exc.message, exc.params))
    return _choose_password(user, _("Your password is set. Welcome, %(name)s.", name=user.display_name))


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Let whoever forgot their password choose a new one, once, with the link mailed to them."""
    try:
        user = links.user_for_token(get_db(), current_app.config["SECRET_KEY"], token,
                                    current_app.config["RESET_LINK_HOURS"] / 24, links.RESET_SALT)
    except links.LinkExpired:
        abort(400, description=_("This link has expired. Ask for a new one with “Forgot your password?” on the "
                                 "log-in page."))
    except services.AccountError as exc:
        abort(400, description=explain(exc.message, exc.params))
    return _choose_password(user, _("Your new password is set. Welcome back, %(name)s.", name=user.display_name))


def _choose_password(user: User, done: str):
    """The form with which the holder of a one-time link sets ``user``'s password, then is logged in."""
    form = PasswordForm()
    if not form.is_submitted():
        return render_template("accounts/password.html", form=form, user=user)
    if form.validate():
        session = get_db()
        try:
            services.set_password(session, user, form.password.data)
        except services.AccountError as exc:
            session.rollback()
            form.password.errors.append(explain(exc.message, exc.params))
        else:
            session.commit()
            login_user(user)
            flash(done)
            return redirect(url_for("catalog.courses"))
    return render_template("accounts/password.html", form=form, user=user), 400


def _reset_limit(scope: str, key_func):
    return limiter.shared_limit(
        lambda: current_app.config["RESET_LIMIT"], scope=scope, methods=["POST"], key_func=key_func,
        error_message=lambda: _("Too many requests for a new password. Try again in %(time)s.",
                                time=limit_window("RESET_LIMIT")))


@bp.route("/account/forgot", methods=["GET", "POST"])
# Every request counts, whether or not it names an account, so that the limits tell nothing either.
@_reset_limit("reset:address", lambda: platform_key("address:" + (get_remote_address() or "")))
@_reset_limit("reset:name", lambda: platform_key("name:" + request.form.get("name", "").strip().casefold()[:254]))
def forgot_password():
    """Mail a link to choose a new password to the account named (by username or e-mail address), if any.

    The page answers the same whether or not such an account exists; without mail, it says to ask an admin.
    """
    form = ForgotPasswordForm()
    page = {"form": form, "mail": mail.configured(current_app.config),
            "time": format_timedelta(dt.timedelta(hours=current_app.config["RESET_LINK_HOURS"]), threshold=2)}
    if not form.is_submitted() or not page["mail"]:
        return render_template("accounts/forgot.html", **page)
    if not form.validate():
        return render_template("accounts/forgot.html", **page), 400
    mail_reset_links(services.accounts_to_reset(get_db(), form.name.data))
    return render_template("accounts/forgot.html", asked=True, **page)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Let any user change their name, their time zone (in which times are shown to them) and preferred language;
    show what admins set (username, role, e-mail address, country, institution, gender)."""
    user = current_user._get_current_object()
    form = OwnProfileForm(obj=user)
    language = select_language()
    _profile_choices(form, language)
    page = {"form": form, "set_by_admins": _set_by_admins(user, language)}
    if not form.is_submitted():
        return render_template("accounts/profile.html", **page)
    error = None
    if form.validate():
        session = get_db()
        try:
            services.update_user(session, user, display_name=form.display_name.data or "",
                                 language=form.language.data or "", timezone=form.timezone.data or "")
            session.commit()
        except services.AccountError as exc:
            session.rollback()
            error = explain(exc.message, exc.params)
        else:
            flash(_("Your profile is saved."))
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", error=error, **page), 400


def _set_by_admins(user: User, language: str) -> list[tuple[str, str]]:
    """The profile fields only admins change, named and with their values as the reader reads them."""
    return [(_("Username"), user.username), (_("Role"), _(ROLE_NAMES.get(user.role, user.role))),
            (_("E-mail address"), user.email or "—"),
            (_("Country"), services.countries(language).get(user.country, user.country) or "—"),
            (_("Institution"), user.institution or "—"),
            (_("Gender"), _(services.GENDERS[user.gender]) if user.gender in services.GENDERS
             else _("Not recorded"))]


def _wrong_password(response) -> bool:
    return g.get("wrong_password", False)


@bp.route("/account/profile/password", methods=["GET", "POST"])
@login_required
# A wrong current password counts as a failed log-in: the form is no way around the log-in limits.
@account_limit(lambda: account_key(current_user.username), _wrong_password)
@address_limit(_wrong_password)
def change_password():
    """Let a user change their password, given their current one; their other sessions end, this one stays."""
    g.wrong_password = False  # g may outlive a request (one application context kept across several)
    form = ChangePasswordForm()
    if not form.is_submitted():
        return render_template("accounts/change_password.html", form=form)
    if form.validate():
        session = get_db()
        user = current_user._get_current_object()
        try:
            services.change_password(session, user, form.current.data, form.password.data)
        except services.WrongPassword as exc:
            session.rollback()
            g.wrong_password = True
            form.current.errors.append(explain(exc.message, exc.params))
        except services.AccountError as exc:
            session.rollback()
            form.password.errors.append(explain(exc.message, exc.params))
        else:
            session.commit()
            login_user(user)  # the session carries the account's new token, so this one stays open
            flash(_("Your password is changed. You stay logged in here; elsewhere, log in again with it."))
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form), 400
