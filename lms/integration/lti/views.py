"""LTI 1.3 on the web: the tool's key set, OIDC log-in initiation, launches (resource links and deep linking),
the pages where an admin registers platforms and a trainer enrols a platform course's members.

The log-in, the launch and the deep linking answer are posted from the platform's site: the signed id_token and
the one-time state, nonce and choice token stand in for a CSRF token there.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user
from pylti1p3.exception import LtiException, OIDCException
from werkzeug.exceptions import HTTPException

from ...db import get_db
from ...models import Course, current_model
from ...security import limiter, platform_key
from ...services import NotFound, catalog
from ...views.auth import role_required
from ...views.common import valid_form_or_400
from . import services
from .adapter import DatabaseStorage, Launch, LaunchRefused, WindowResource, forget_expired, oidc_login
from .forms import PlatformForm

bp = Blueprint("lti", __name__, url_prefix="/lti", template_folder="templates", static_folder="static")

#: How a deep linking choice is kept until the trainer makes it: under this prefix and a random token.
CHOICE_PREFIX = "choice-"


def explain(exc: services.LtiError) -> str:
    """A message of the LTI service in the reader's language."""
    return _(exc.message, **exc.params)


def refuse(message: str, status: int = 403):
    """Stop with a plain page saying why the platform's request is refused; the platform may show it in a frame."""
    g.lti_frame_ancestors = "*"
    abort(status, description=message)


@bp.get("/jwks")
def jwks():
    """The tool's public keys: platforms verify its deep linking answers and service requests with them."""
    session = get_db()
    keys = services.jwks(session)
    session.commit()  # the first key, if this request made it
    response = jsonify(keys)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _login_limit():
    """The limit of OIDC log-ins from one client address: each keeps a nonce, and anyone may start one."""
    return limiter.limit(
        lambda: current_app.config["LTI_LOGIN_LIMIT"], scope="lti:log-in",
        key_func=lambda: platform_key("lti-login:" + (get_remote_address() or "")),
        error_message=lambda: _("Too many launches from your address; wait a minute and launch again."))


@bp.route("/login", methods=["GET", "POST"])
@_login_limit()
def login():
    """OIDC log-in initiation: keep a state and a nonce, and send the browser to the platform's log-in."""
    session = get_db()
    try:
        response = oidc_login(session).redirect(url_for("lti.launch", _external=True))
    except (OIDCException, LtiException):
        session.rollback()
        refuse(_("This platform is not registered here, or its log-in request is incomplete. An administrator "
                 "registers platforms under LTI platforms."))
    forget_expired(session)
    session.commit()
    return response


@bp.post("/launch")
def launch():
    """A launch from a platform: checked, then the person is signed in and sent to what was launched, or, for
    deep linking, shown the courses and modules to place."""
    session = get_db()
    try:
        message = Launch(session)
        message.validate()
    except LaunchRefused as exc:
        session.rollback()
        current_app.logger.info("LTI launch refused: %s", exc)
        refuse(_(exc.message), exc.status)
    except LtiException as exc:  # the browser kept none of pylti1p3's cookies: in a frame that blocks them
        session.rollback()
        current_app.logger.info("LTI launch refused: %s", exc)
        refuse(_("Your browser did not keep the cookie of the log-in; open Passerelle in a new window from the "
                 "platform."))
    claims, platform = message.claims(), message.platform
    message.forget_claims()
    try:
        services.check_service_urls(platform, claims)
    except services.LtiError as exc:
        session.rollback()
        current_app.logger.info("LTI launch refused: %s", exc)
        refuse(explain(exc))
    if message.is_deep_link_launch():
        return _deep_linking(session, message, claims)
    link = services.find_link(session, platform, claims)
    course, module = (link.course, link.module) if link is not None else target_of(session, claims)
    try:
        admission = services.admit(session, platform, claims, course)
    except services.LtiError as exc:
        session.rollback()
        refuse(explain(exc))
    url = None
    if course is not None and services.needs_line_item(claims, admission):
        session.commit()  # the learner is in; no write lock is held while the platform makes the column
        try:
            url = services.make_line_item(session, platform, claims, course, module)
        except services.LtiError as exc:  # the learner goes in all the same; their scores are not followed
            current_app.logger.warning("LTI line item not made: %s", exc)
    outcome = services.follow_line_item(session, platform, claims, admission, module, url)
    session.commit()
    if outcome is not None and outcome.due:  # the first score of a new line item says the learner has started
        g.setdefault("lti_scores_due", set()).add(outcome.id)
    login_user(admission.user)
    if course is None:
        return redirect(url_for("catalog.courses"), 303)
    if admission.role == "trainer" and admission.context is not None:
        return redirect(url_for("lti.context", context_id=admission.context.id), 303)
    if module:
        endpoint = "player.start" if admission.enrolment is not None else "player.module"
        return redirect(url_for(endpoint, slug=course.slug, module_slug=module), 303)
    return redirect(url_for("catalog.course", slug=course.slug), 303)


def target_of(session, claims: dict) -> tuple[Course | None, str]:
    """The course and module a launch's ``target_link_uri`` names, when it is one of the tool's target addresses."""
    uri = claims.get(services.CLAIM + "target_link_uri")
    if not isinstance(uri, str):
        return None, ""
    path = urlsplit(uri).path
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root):]
    try:
        endpoint, values = current_app.create_url_adapter(request).match(path, method="GET")
    except HTTPException:
        return None, ""
    if endpoint not in ("lti.course_target", "lti.module_target"):
        return None, ""
    try:
        course = catalog.get_course(session, values["slug"])
    except NotFound:
        return None, ""
    module = values.get("module_slug", "")
    model = current_model(session, course.id)
    if module and (model is None or model.module(module) is None):
        module = ""
    return course, module


@bp.get("/courses/<slug>/")
def course_target(slug: str):
    """The address a platform launches a course at; opened directly, it is the course's page."""
    return redirect(url_for("catalog.course", slug=slug))


@bp.get("/courses/<slug>/modules/<module_slug>/")
def module_target(slug: str, module_slug: str):
    """The address a platform launches a module at; opened directly, it is the module's page."""
    return redirect(url_for("player.module", slug=slug, module_slug=module_slug))


# --- deep linking -------------------------------------------------------------------------------------------------


def _deep_linking(session, message: Launch, claims: dict):
    """A trainer choosing what to place: refused to learners (and to instructors whose account here is a
    learner's); the choice is kept under a one-time token."""
    if services.role_of(claims.get(services.ROLES_CLAIM)) != "trainer":
        session.rollback()
        refuse(_("Only the platform course's instructors may place Passerelle's courses in it."))
    try:
        admission = services.admit(session, message.platform, claims)
    except services.LtiError as exc:
        session.rollback()
        refuse(explain(exc))
    if admission.role != "trainer":
        session.rollback()
        refuse(_("Your account here is a learner's: ask an administrator to make it a trainer's to place "
                 "Passerelle's courses."))
    token = secrets.token_urlsafe(24)
    DatabaseStorage(session).set_value(CHOICE_PREFIX + token, {"claims": claims})
    session.commit()
    return _choice_page(session, token, message.platform)


def _choice_page(session, token: str, platform, error: str = "", status: int = 200):
    g.lti_frame_ancestors = _origin(platform.auth_login_url)
    courses = [(course, current_model(session, course.id)) for course in catalog.list_courses(session)]
    return render_template("lti/choose.html", token=token, platform=platform, error=error,
                           courses=[(course, model) for course, model in courses if model is not None]), status


@bp.post("/deep-linking/<token>")
def deep_linking(token: str):
    """Answer the platform with the course or module chosen, as a signed LtiDeepLinkingResponse posted back."""
    session = get_db()
    storage = DatabaseStorage(session)
    kept = storage.get_value(CHOICE_PREFIX + token)
    message = Launch.restored(session, kept["claims"]) if isinstance(kept, dict) else None
    if message is None:
        refuse(_("This choice has expired or was already made; start again from the platform."), 410)
    platform, claims = message.platform, message.claims()
    chosen = request.form.get("target", "")
    slug, _sep, module = chosen.partition("/")
    try:
        course = catalog.get_course(session, slug)
        model = current_model(session, course.id)
        if model is None or (module and model.module(module) is None):
            raise NotFound(chosen)
    except NotFound:
        return _choice_page(session, token, platform, _("Choose a course or a module."), 400)
    if not storage.forget(CHOICE_PREFIX + token):  # the same choice sent twice at once: one answer
        session.rollback()
        refuse(_("This choice has expired or was already made; start again from the platform."), 410)
    title = services.placement_title(session, course, module)
    link = services.place_link(session, platform, claims[services.DEPLOYMENT_CLAIM], course, module, title)
    url = url_for("lti.module_target", slug=slug, module_slug=module, _external=True) if module \
        else url_for("lti.course_target", slug=slug, _external=True)
    resource = WindowResource().set_url(url).set_title(title[:300]) \
        .set_custom_params({services.LINK_PARAMETER: link.uuid}) \
        .set_lineitem(services.line_item_for(course, module, title))
    deep_link = message.get_deep_link()
    jwt = deep_link.get_response_jwt([resource])
    session.commit()
    return_url = claims[services.DEEP_LINKING_CLAIM]["deep_link_return_url"]
    g.lti_frame_ancestors = _origin(platform.auth_login_url)
    g.lti_form_action = _origin(return_url)
    return render_template("lti/placed.html", jwt=jwt, return_url=return_url, title=title, platform=platform)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


# --- platforms, for admins ------------------------------------------------------------------------------------------


@bp.route("/platforms", methods=["GET", "POST"])
@role_required("admin")
def platforms():
    """The registered platforms and the tool's values to enter in a platform; register one more."""
    session = get_db()
    form = PlatformForm()
    status = 200
    if form.is_submitted():
        if not form.validate():
            status = 400
        else:
            try:
                platform = services.register_platform(
                    session, name=form.name.data, issuer=form.issuer.data, client_id=form.client_id.data,
                    deployment_ids=(form.deployment_ids.data or "").splitlines(), jwks_url=form.jwks_url.data,
                    auth_login_url=form.auth_login_url.data, auth_token_url=form.auth_token_url.data,
                    auth_audience=form.auth_audience.data)
            except services.LtiError as exc:
                session.rollback()
                getattr(form, exc.field, form.issuer).errors = [explain(exc)]
                status = 400
            else:
                session.commit()
                flash(_("Registered %(platform)s.", platform=platform.label))
                return redirect(url_for("lti.platforms"))
    services.current_key(session)
    session.commit()
    return render_template("lti/platforms.html", form=form, platforms=services.list_platforms(session),
                           tool=tool_values()), status


def tool_values() -> dict:
    """The tool's addresses, as a platform's registration form asks for them: under PUBLIC_URL, the address the
    platform reaches Passerelle at, whatever address the request came to."""
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return {"tool_url": url_for("lti.launch", _external=True),
                "login_url": url_for("lti.login", _external=True),
                "launch_url": url_for("lti.launch", _external=True),
                "deep_linking_url": url_for("lti.launch", _external=True),
                "jwks_url": url_for("lti.jwks", _external=True)}


@bp.post("/platforms/<int:platform_id>/remove")
@role_required("admin")
def remove_platform(platform_id: int):
    """Forget a platform: its launches are refused from now on."""
    valid_form_or_400()
    session = get_db()
    try:
        platform = services.get_platform(session, platform_id)
    except NotFound:
        abort(404, description=_("There is no such platform."))
    label = platform.label
    services.remove_platform(session, platform)
    session.commit()
    flash(_("Removed %(platform)s.", platform=label))
    return redirect(url_for("lti.platforms"))


@bp.post("/keys/rotate")
@role_required("admin")
def rotate_key():
    """Sign with a new key from now on; the previous one stays published."""
    valid_form_or_400()
    session = get_db()
    services.rotate_key(session)
    session.commit()
    flash(_("The tool signs with a new key; the previous one stays in its key set."))
    return redirect(url_for("lti.platforms"))


# --- a platform's course, for its trainers -------------------------------------------------------------------------


def _context_or_404(context_id: int):
    try:
        context = services.get_context(get_db(), context_id)
    except NotFound:
        abort(404, description=_("There is no such platform course."))
    if current_user.role != "admin" and all(t.id != current_user.id for t in context.cohort.trainers):
        abort(403, description=_("This platform course is not one of yours: only its instructors see it."))
    return context


@bp.get("/contexts/")
@role_required("trainer", "admin")
def contexts():
    """The platform courses whose cohorts the user trains (every one for an admin)."""
    return render_template("lti/contexts.html", contexts=services.contexts_of(get_db(), current_user))


@bp.get("/contexts/<int:context_id>")
@role_required("trainer", "admin")
def context(context_id: int):
    """A platform course that launched a Passerelle course: its cohort, and its members to enrol."""
    context = _context_or_404(context_id)
    return render_template("lti/context.html", context=context)


@bp.post("/contexts/<int:context_id>/members")
@role_required("trainer", "admin")
def enrol_members(context_id: int):
    """Enrol the platform course's members in its cohort, as the names and roles service lists them."""
    valid_form_or_400()
    context = _context_or_404(context_id)
    session = get_db()
    try:
        members = services.fetch_members(session, context)
        learners, trainers = services.enrol_members(session, context, members)
    except services.LtiError as exc:
        session.rollback()
        flash(explain(exc), "error")
        return render_template("lti/context.html", context=context), 502
    session.commit()
    flash(_("%(learners)s learners and %(trainers)s trainers of %(title)s are in the cohort %(cohort)s.",
            learners=learners, trainers=trainers, title=context.title, cohort=context.cohort.name))
    return redirect(url_for("lti.context", context_id=context.id))


def send_scores_after_response(response):
    """After a request that changed what the LMS graded for launched learners, send their scores once the response
    is written (the learner never waits for a platform), in a session of its own.  Only theirs: scores a platform
    did not take earlier stay due for ``passerelle lti send-scores``, so that a platform that is down holds up no
    one else."""
    due = g.pop("lti_scores_due", None)
    if due:
        app = current_app._get_current_object()
        response.call_on_close(lambda: _send_scores(app, due))
    return response


def _send_scores(app, due) -> None:
    with app.app_context():
        session = app.extensions["db"]()
        try:
            services.send_due(session, due)
        except Exception:  # a platform that fails is retried later; the learner's request already succeeded
            app.logger.exception("LTI scores not sent")
            session.rollback()
        finally:
            session.close()


def frame_for_platform(response):
    """Let the platform frame the pages of a launch and receive a deep linking answer's form: the headers the
    LMS sets on every page allow neither."""
    ancestors, action = g.pop("lti_frame_ancestors", ""), g.pop("lti_form_action", "")
    policy = response.headers.get("Content-Security-Policy", "")
    if ancestors and "frame-ancestors" in policy:
        policy = policy.replace("frame-ancestors 'self'", f"frame-ancestors 'self' {ancestors}"
                                if ancestors != "*" else "frame-ancestors *")
        response.headers.pop("X-Frame-Options", None)
    if action and "form-action 'self'" in policy:
        policy = policy.replace("form-action 'self'", f"form-action 'self' {action}")
    if policy:
        response.headers["Content-Security-Policy"] = policy
    return response
