"""Accounts in the web interface: admins list, create, edit, deactivate and import them; everyone sets
their own time zone and language; new accounts set their password with a one-time link."""

from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from sqlalchemy.exc import IntegrityError

from authoring.locales import INTERFACE_LANGUAGES, N_

from ..db import get_db
from ..i18n import select_language
from ..models import ROLES, User
from ..services import NotFound
from ..views.auth import role_required
from ..views.common import valid_form_or_400
from . import importing, links, services
from .forms import AccountForm, ImportForm, PasswordForm, ProfileForm
from .welcome import password_link, send_links

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
                           days=current_app.config["PASSWORD_LINK_DAYS"], **context), status


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
    session = get_db()
    try:
        user = links.user_for_token(session, current_app.config["SECRET_KEY"], token,
                                    current_app.config["PASSWORD_LINK_DAYS"])
    except services.AccountError as exc:
        abort(400, description=explain(exc.message, exc.params))
    form = PasswordForm()
    if not form.is_submitted():
        return render_template("accounts/password.html", form=form, user=user)
    if form.validate():
        try:
            services.set_password(session, user, form.password.data)
        except services.AccountError as exc:
            session.rollback()
            form.password.errors.append(explain(exc.message, exc.params))
        else:
            session.commit()
            login_user(user)
            flash(_("Your password is set. Welcome, %(name)s.", name=user.display_name))
            return redirect(url_for("catalog.courses"))
    return render_template("accounts/password.html", form=form, user=user), 400


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Let any user choose their time zone (in which times are shown to them) and preferred language."""
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    _profile_choices(form, select_language())
    if not form.is_submitted():
        return render_template("accounts/profile.html", form=form)
    error = None
    if form.validate():
        session = get_db()
        try:
            services.update_user(session, user, language=form.language.data or "", timezone=form.timezone.data or "")
            session.commit()
        except services.AccountError as exc:
            session.rollback()
            error = explain(exc.message, exc.params)
        else:
            flash(_("Your profile is saved."))
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form, error=error), 400
