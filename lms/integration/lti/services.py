"""LTI 1.3 in the LMS's terms: register platforms, keep the tool's keys, admit a launched person (their account,
role, cohort and line item), place links, send the scores the LMS graded, and enrol a platform course's members.

Messages of :class:`LtiError` are marked for translation and formatted with their parameters, so the web
interface shows them in the reader's language beside the field they are about, and the CLI in English.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem as LtiLineItem
from pylti1p3.names_roles import NamesRolesProvisioningService
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from authoring.locales import N_

from ...accounts.services import AccountError
from ...cohorts import services as cohorts
from ...models import Course, Enrolment, User, current_model, utcnow
from ...reports.models import CourseProgress, ModuleProgress
from ...services import NotFound, by_id
from ..identities import LTI, MAX_ISSUER, account_for
from . import connector
from .models import URL_LIMIT, Context, Deployment, LineItem, Link, Outcome, Platform, ToolKey

log = logging.getLogger(__name__)

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
ROLES_CLAIM = CLAIM + "roles"
CONTEXT_CLAIM = CLAIM + "context"
RESOURCE_LINK_CLAIM = CLAIM + "resource_link"
DEPLOYMENT_CLAIM = CLAIM + "deployment_id"
CUSTOM_CLAIM = CLAIM + "custom"
PRESENTATION_CLAIM = CLAIM + "launch_presentation"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
#: The custom parameter by which a link placed by deep linking names itself in its launches.
LINK_PARAMETER = "passerelle_link"
#: Score of a full mark in the line items Passerelle asks platforms to create.
SCORE_MAXIMUM = 100
#: How long the cohort made for a platform's course runs, from its first launch (an admin may change it).
COHORT_DAYS = 365
#: Bits of the tool's RSA keys.
KEY_BITS = 2048


class LtiError(ValueError):
    """A registration, link or launch refused; ``message`` (untranslated, with ``%(name)s`` placeholders) says
    why, ``field`` is the form field it is about ("" when about none)."""

    def __init__(self, message: str, field: str = "", **params) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params, self.field = message, params, field


# --- platforms ------------------------------------------------------------------------------------------------


def check_url(value: str, field: str) -> str:
    """An endpoint of a platform: https, or http on this machine only (a platform being tried out locally)."""
    value = (value or "").strip()
    if not value:
        raise LtiError(N_("This address is required."), field=field)
    if len(value) > URL_LIMIT:
        raise LtiError(N_("At most %(limit)s characters."), field=field, limit=URL_LIMIT)
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise LtiError(N_("%(value)s is not an address; write it in full, starting with https://."), field=field,
                       value=value)
    if parts.scheme == "http" and not connector.loopback(parts.hostname):
        raise LtiError(N_("%(value)s must use https: keys and tokens are exchanged there."), field=field,
                       value=value)
    return value


def register_platform(session: Session, *, issuer: str, client_id: str, deployment_ids, jwks_url: str,
                      auth_login_url: str, auth_token_url: str, auth_audience: str = "", name: str = "") -> Platform:
    """Register a platform after checking every value; raise :class:`LtiError` for the first wrong one."""
    issuer = check_url(issuer, "issuer")
    if len(issuer) > MAX_ISSUER:
        raise LtiError(N_("An issuer is at most %(limit)s characters: the people the platform launches are known "
                          "here by it."), field="issuer", limit=MAX_ISSUER)
    client_id = (client_id or "").strip()
    if not client_id:
        raise LtiError(N_("The client id the platform gave the tool is required."), field="client_id")
    if len(client_id) > 255:
        raise LtiError(N_("At most %(limit)s characters."), field="client_id", limit=255)
    deployments = list(dict.fromkeys(d.strip() for d in deployment_ids if d and d.strip()))
    if not deployments:
        raise LtiError(N_("At least one deployment id is required."), field="deployment_ids")
    if any(len(d) > 255 for d in deployments):
        raise LtiError(N_("At most %(limit)s characters."), field="deployment_ids", limit=255)
    name = (name or "").strip()
    if len(name) > 200:
        raise LtiError(N_("At most %(limit)s characters."), field="name", limit=200)
    values = {"jwks_url": check_url(jwks_url, "jwks_url"), "auth_login_url": check_url(auth_login_url,
                                                                                       "auth_login_url"),
              "auth_token_url": check_url(auth_token_url, "auth_token_url"),
              "auth_audience": (auth_audience or "").strip()[:URL_LIMIT]}
    if session.scalar(select(Platform.id).where(Platform.issuer == issuer, Platform.client_id == client_id)):
        raise LtiError(N_("A platform with this issuer and client id is already registered."), field="client_id")
    platform = Platform(name=name, issuer=issuer, client_id=client_id, **values,
                        deployments=[Deployment(deployment_id=d) for d in deployments])
    session.add(platform)
    session.flush()
    current_key(session)  # the tool's key exists before the platform first asks for it
    return platform


def list_platforms(session: Session) -> list[Platform]:
    return list(session.scalars(select(Platform).order_by(Platform.name, Platform.issuer, Platform.client_id)))


def get_platform(session: Session, platform_id: int) -> Platform:
    """The platform with this id; raise :class:`lms.services.NotFound` when there is none."""
    platform = by_id(session, Platform, platform_id)
    if platform is None:
        raise NotFound(f"no platform {platform_id}")
    return platform


def find_platform(session: Session, issuer: str, client_id: str | None) -> Platform | None:
    """The platform registered for ``issuer`` and ``client_id``; without a client id, the issuer's only one."""
    if not isinstance(issuer, str) or (client_id is not None and not isinstance(client_id, str)):
        return None
    query = select(Platform).where(Platform.issuer == issuer)
    if client_id is not None:
        return session.scalar(query.where(Platform.client_id == client_id))
    found = list(session.scalars(query.limit(2)))
    return found[0] if len(found) == 1 else None


def remove_platform(session: Session, platform: Platform) -> None:
    """Forget a platform: its launches are refused from now on; the accounts and learning it brought stay."""
    for table in (Link, LineItem, Context):
        for row in session.scalars(select(table).where(table.platform_id == platform.id)):
            session.delete(row)
    session.delete(platform)
    session.flush()


# --- the tool's keys ------------------------------------------------------------------------------------------


def current_key(session: Session) -> ToolKey:
    """The key the tool signs with: the newest, made the first time one is needed."""
    key = session.scalar(select(ToolKey).order_by(ToolKey.id.desc()).limit(1))
    return key if key is not None else new_key(session)


def new_key(session: Session) -> ToolKey:
    """Make a new RSA key pair; it signs from now on."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    key = ToolKey(kid=JWK.from_pem(public_pem.encode()).thumbprint(), private_pem=private_pem, public_pem=public_pem)
    session.add(key)
    session.flush()
    return key


def rotate_key(session: Session) -> ToolKey:
    """Make a new key pair to sign with, keep the one it replaces published (platforms cache key sets), and drop
    the older ones."""
    key = new_key(session)
    for old in session.scalars(select(ToolKey).order_by(ToolKey.id.desc()).offset(2)):
        session.delete(old)
    session.flush()
    return key


def jwks(session: Session) -> dict:
    """The tool's public keys as a JSON Web Key Set: what platforms verify its signatures with."""
    keys = []
    for key in session.scalars(select(ToolKey).order_by(ToolKey.id.desc())):
        jwk = json.loads(JWK.from_pem(key.public_pem.encode()).export_public())
        keys.append({**jwk, "kid": key.kid, "alg": "RS256", "use": "sig"})
    return {"keys": keys}


# --- admitting a launched person --------------------------------------------------------------------------------


def role_of(roles) -> str:
    """The Passerelle role of a person with these LTI roles: an instructor trains, anyone else learns."""
    for role in roles if isinstance(roles, list) else []:
        if isinstance(role, str) and (role == "Instructor" or role.endswith("membership#Instructor")
                                      or role.endswith("membership/Instructor")):
            return "trainer"
    return "learner"


def check_service_urls(platform: Platform, claims: dict) -> None:
    """Refuse a launch that names a service (gradebook, members, deep linking answer) anywhere but at the
    platform's host, over https: the tool would call it, or send a browser there, with what it signs."""
    endpoint = claims.get(AGS_CLAIM) if isinstance(claims.get(AGS_CLAIM), dict) else {}
    nrps = claims.get(NRPS_CLAIM) if isinstance(claims.get(NRPS_CLAIM), dict) else {}
    settings = claims.get(DEEP_LINKING_CLAIM) if isinstance(claims.get(DEEP_LINKING_CLAIM), dict) else {}
    for url in (endpoint.get("lineitem"), endpoint.get("lineitems"), nrps.get("context_memberships_url"),
                settings.get("deep_link_return_url")):
        if url is not None and not connector.on_platform(platform, url):
            raise LtiError(N_("The launch names a service at %(url)s, which is not the platform's address; ask the "
                              "platform's administrator to check its settings."), url=str(url)[:200])


def person_fields(claims: dict) -> dict:
    """The name, e-mail address and language a launch (or a member list) gives of a person."""
    name = claims.get("name") or " ".join(part for part in (claims.get("given_name"), claims.get("family_name"))
                                          if isinstance(part, str) and part)
    presentation = claims.get(PRESENTATION_CLAIM) if isinstance(claims.get(PRESENTATION_CLAIM), dict) else {}
    return {"display_name": name if isinstance(name, str) else None,
            "email": claims.get("email") if isinstance(claims.get("email"), str) else None,
            "profile": {"language": presentation.get("locale")}}


@dataclass
class Admission:
    """Who a launch let in, as whom, and where they go: ``enrolment`` when they learn the course launched."""

    user: User
    role: str
    context: Context | None = None
    enrolment: Enrolment | None = None


def admit(session: Session, platform: Platform, claims: dict, course: Course | None = None) -> Admission:
    """The account of the person a checked launch names (made the first time with the role the launch gives them),
    admitted as what both the launch and the account allow: an instructor trains only if their account may train
    (an account that began as a learner's stays one: nobody is promoted by a launch); for a course, its cohort
    for the platform's course, the person enrolled in it or training it.

    Raises :class:`LtiError` when the account is deactivated or cannot be made.
    """
    role = role_of(claims.get(ROLES_CLAIM))
    try:
        user = account_for(session, LTI, platform.issuer, str(claims.get("sub") or ""), role=role,
                           **person_fields(claims))
    except AccountError as exc:
        raise LtiError(exc.message, **exc.params) from None
    if not user.is_active:
        raise LtiError(N_("This account is deactivated. Ask an administrator."))
    admission = Admission(user=user, role=role_allowed(user, role))
    if course is None:
        return admission
    admission.context = context_for(session, platform, claims, course)
    if admission.context is not None:
        admission.enrolment = join(session, admission.context, user, role)
    elif role == "learner":
        admission.enrolment = session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                                     Enrolment.course_id == course.id))
        if admission.enrolment is None:
            admission.enrolment = Enrolment(user=user, course=course)
            session.add(admission.enrolment)
            session.flush()
    return admission


def role_allowed(user: User, role: str) -> str:
    """What a person the platform gives ``role`` does here: "trainer" if the platform says so and their account
    may train, else "learner"."""
    return "trainer" if role == "trainer" and user.role in cohorts.TRAINER_ROLES else "learner"


def join(session: Session, context: Context, user: User, role: str) -> Enrolment | None:
    """Put a member of a platform's course in its cohort: a trainer among its trainers (if their account may
    train), anyone else among its learners."""
    cohort = context.cohort
    if role_allowed(user, role) == "trainer":
        if all(trainer.id != user.id for trainer in cohort.trainers):
            cohort.trainers.append(user)
            session.flush()
        return None
    try:
        return cohorts.enrol(session, cohort, user)
    except cohorts.CohortError as exc:
        raise LtiError(exc.message, **exc.params) from None


def context_for(session: Session, platform: Platform, claims: dict, course: Course) -> Context | None:
    """The platform's course that launched ``course`` and its cohort (made on its first launch); None when the
    launch names no context."""
    claim = claims.get(CONTEXT_CLAIM)
    if not isinstance(claim, dict) or not isinstance(claim.get("id"), str) or not claim["id"]:
        return None
    context = session.scalar(select(Context).where(Context.platform_id == platform.id,
                                                   Context.context_id == claim["id"][:255],
                                                   Context.course_id == course.id))
    title = str(claim.get("title") or claim.get("label") or claim["id"])[:300]
    if context is None:
        today = dt.date.today()
        name = f"{title} ({platform.label})"[:cohorts.NAME_LIMIT]
        cohort = cohorts.create_cohort(session, course, name, today, today + dt.timedelta(days=COHORT_DAYS),
                                       "UTC", "en")
        context = Context(platform=platform, context_id=claim["id"][:255], course=course, cohort=cohort)
        session.add(context)
    context.title = title
    nrps = claims.get(NRPS_CLAIM)
    if isinstance(nrps, dict) and isinstance(nrps.get("context_memberships_url"), str):
        context.memberships_url = nrps["context_memberships_url"][:URL_LIMIT]
    deployment = claims.get(DEPLOYMENT_CLAIM)
    context.deployment_id = deployment[:255] if isinstance(deployment, str) else ""
    session.flush()
    return context


def contexts_of(session: Session, user: User) -> list[Context]:
    """The platform courses whose cohorts the user trains (all of them for an admin)."""
    query = select(Context).order_by(Context.title)
    if user.role != "admin":
        from ...cohorts.models import cohort_trainer

        query = query.join(cohort_trainer, cohort_trainer.c.cohort_id == Context.cohort_id).where(
            cohort_trainer.c.user_id == user.id)
    return list(session.scalars(query))


def get_context(session: Session, context_id: int) -> Context:
    context = by_id(session, Context, context_id)
    if context is None:
        raise NotFound(f"no platform course {context_id}")
    return context


# --- links placed by deep linking -------------------------------------------------------------------------------


def place_link(session: Session, platform: Platform, deployment_id: str, course: Course, module: str = "",
               title: str = "") -> Link:
    """Keep a course or module placed in a platform's course; its launches name it."""
    if module and (current_model(session, course.id) is None
                   or current_model(session, course.id).module(module) is None):
        raise LtiError(N_("The course has no module called “%(slug)s”."), slug=module)
    link = Link(platform=platform, deployment_id=deployment_id[:255], course=course, module=module,
                title=(title or course.title)[:300])
    session.add(link)
    session.flush()
    return link


def find_link(session: Session, platform: Platform, claims: dict) -> Link | None:
    """The link a launch names by its custom parameter, if it is one of this platform's."""
    custom = claims.get(CUSTOM_CLAIM)
    value = custom.get(LINK_PARAMETER) if isinstance(custom, dict) else None
    if not isinstance(value, str):
        return None
    return session.scalar(select(Link).where(Link.uuid == value[:36], Link.platform_id == platform.id))


# --- scores -------------------------------------------------------------------------------------------------------


def follow_line_item(session: Session, platform: Platform, claims: dict, admission: Admission,
                     module: str = "", url: str | None = None) -> Outcome | None:
    """Keep the platform's line item that the launch names (or ``url``, one made for it), and the learner's score
    in it, so that what the LMS grades for them is sent there; None when the launch grants no score service or
    names no line item."""
    endpoint = claims.get(AGS_CLAIM)
    if admission.enrolment is None or admission.role != "learner" or not isinstance(endpoint, dict):
        return None
    scopes = endpoint.get("scope") if isinstance(endpoint.get("scope"), list) else []
    url = url or endpoint.get("lineitem")
    if SCORE_SCOPE not in scopes or not isinstance(url, str) or not url or len(url) > URL_LIMIT:
        return None
    line_item = session.scalar(select(LineItem).where(LineItem.platform_id == platform.id, LineItem.url == url))
    if line_item is None:
        line_item = LineItem(platform=platform, url=url, course_id=admission.enrolment.course_id, module=module)
        session.add(line_item)
    line_item.scopes = " ".join(s for s in scopes if isinstance(s, str))
    session.flush()
    outcome = session.scalar(select(Outcome).where(Outcome.line_item_id == line_item.id,
                                                   Outcome.user_id == admission.user.id))
    if outcome is None:
        outcome = Outcome(line_item=line_item, user=admission.user, enrolment=admission.enrolment,
                          lti_user_id=str(claims["sub"])[:255], due=True)
        session.add(outcome)
    outcome.enrolment = admission.enrolment
    session.flush()
    return outcome


def needs_line_item(claims: dict, admission: Admission) -> bool:
    """Whether the launch grants the score service and lets the tool make line items, but names none: a link
    the platform placed without a gradebook column (not by deep linking)."""
    endpoint = claims.get(AGS_CLAIM)
    if admission.enrolment is None or admission.role != "learner" or not isinstance(endpoint, dict):
        return False
    scopes = endpoint.get("scope") if isinstance(endpoint.get("scope"), list) else []
    return (not endpoint.get("lineitem") and isinstance(endpoint.get("lineitems"), str)
            and SCORE_SCOPE in scopes and LINEITEM_SCOPE in scopes)


def placement_title(session: Session, course: Course, module: str = "") -> str:
    """How a course or module placed in a platform is named there: "module — course", or the course's title."""
    model = current_model(session, course.id)
    if not module or model is None or model.module(module) is None:
        return course.title
    return f"{model.module(module).title} — {course.title}"


def line_item_for(course: Course, module: str, title: str) -> LtiLineItem:
    """The gradebook column the tool asks a platform for, for a course or module: found again by its tag."""
    return LtiLineItem().set_tag(f"passerelle:{course.slug}/{module}"[:256]).set_label(title[:300]) \
        .set_resource_id(f"{course.slug}/{module}".rstrip("/")[:200]).set_score_maximum(SCORE_MAXIMUM)


def make_line_item(session: Session, platform: Platform, claims: dict, course: Course, module: str = "") -> str:
    """The address of the platform's line item for the course or module in the launch's course, found by its tag
    or made; raise :class:`LtiError` when the platform does not answer."""
    endpoint = claims[AGS_CLAIM]
    wanted = line_item_for(course, module, placement_title(session, course, module))
    link = claims.get(RESOURCE_LINK_CLAIM)
    if isinstance(link, dict) and isinstance(link.get("id"), str):
        wanted.set_resource_link_id(link["id"])
    service = AssignmentsGradesService(connector.connector(platform, current_key(session)), endpoint)
    try:
        made = service.find_or_create_lineitem(wanted)
    except (LtiException, OSError, ValueError, KeyError) as exc:
        raise LtiError(N_("The platform did not make a gradebook column: %(reason)s"), reason=str(exc)[:300]) \
            from None
    if not connector.on_platform(platform, made.get_id()):
        raise LtiError(N_("The platform did not make a gradebook column: %(reason)s"), reason="no id at its address")
    return made.get_id()


def mark_due(session: Session, registrations) -> list[int]:
    """Mark the scores of the learners in these registrations as due to be sent; return their ids."""
    registrations = [r.lower() for r in registrations if isinstance(r, str)]
    if not registrations:
        return []
    enrolments = select(Enrolment.id).where(Enrolment.registration.in_(registrations)).scalar_subquery()
    marked = list(session.scalars(select(Outcome.id).where(Outcome.enrolment_id.in_(enrolments))))
    if marked:
        session.execute(update(Outcome).where(Outcome.id.in_(marked))
                        .values(due=True, changes=Outcome.changes + 1).execution_options(synchronize_session=False))
    return marked


@dataclass
class Score:
    """A learner's score as the LMS graded it, in the words of the score service."""

    given: float | None
    maximum: float
    activity: str  # Initialized, Started, InProgress, Submitted, Completed
    grading: str  # NotReady, Failed, Pending, PendingManual, FullyGraded


def score_of(session: Session, outcome: Outcome) -> Score:
    """The learner's score in the line item's module or course, read from the progress projections: only what
    the LMS graded or recorded itself counts, never what a browser claimed."""
    maximum = outcome.line_item.score_maximum or SCORE_MAXIMUM
    enrolment_id = outcome.enrolment_id
    if outcome.line_item.module:
        row = session.scalar(select(ModuleProgress).where(ModuleProgress.enrolment_id == enrolment_id,
                                                          ModuleProgress.module == outcome.line_item.module))
        if row is None:
            return Score(None, maximum, "Initialized", "NotReady")
        activity = "Completed" if row.completed else "InProgress"
        if row.best_score is not None:
            return Score(round(row.best_score * maximum, 4), maximum, activity, "FullyGraded")
        if row.completed:  # a module without a quiz: completing it is the whole of it
            return Score(maximum, maximum, activity, "FullyGraded")
        return Score(None, maximum, activity, "Pending")
    course = current_model(session, outcome.line_item.course_id)
    done = session.scalar(select(CourseProgress).where(CourseProgress.enrolment_id == enrolment_id))
    slugs = [m.slug for m in course.modules] if course else []
    completed = set(session.scalars(select(ModuleProgress.module).where(
        ModuleProgress.enrolment_id == enrolment_id, ModuleProgress.completed.is_not(None))))
    share = len(completed & set(slugs)) / len(slugs) if slugs else 0.0
    if done is not None and done.completed is not None:
        return Score(maximum, maximum, "Completed", "FullyGraded")
    if not completed and done is None:
        return Score(None, maximum, "Initialized", "NotReady")
    return Score(round(share * maximum, 4), maximum, "InProgress", "Pending")


def send_due(session: Session, outcome_ids=None, limit: int = 200) -> tuple[int, int]:
    """Send the scores due to their platforms (those of ``outcome_ids`` only, if given), committing each; return
    (sent, failed).

    A score that could not be sent stays due, with the reason, and goes with the next sending (after the next
    graded activity, or ``passerelle lti send-scores``); so does one marked due again while it was being sent.
    """
    sent = failed = 0
    connectors: dict[int, object] = {}
    query = select(Outcome.id, Outcome.changes).where(Outcome.due.is_(True)).order_by(Outcome.id).limit(limit)
    if outcome_ids is not None:
        query = query.where(Outcome.id.in_(list(outcome_ids)))
    for outcome_id, changes in session.execute(query).all():
        outcome = session.get(Outcome, outcome_id)
        line_item = outcome.line_item
        score = score_of(session, outcome)
        grade = Grade().set_score_maximum(score.maximum).set_activity_progress(score.activity) \
            .set_grading_progress(score.grading).set_user_id(outcome.lti_user_id) \
            .set_timestamp(utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        if score.given is not None:
            grade.set_score_given(score.given)
        if line_item.platform_id not in connectors:
            connectors[line_item.platform_id] = connector.connector(line_item.platform, current_key(session))
        service = AssignmentsGradesService(connectors[line_item.platform_id],
                                           {"scope": line_item.scopes.split(), "lineitem": line_item.url})
        url, user = line_item.url, outcome.lti_user_id
        # Nothing is held while the platform answers: on SQLite, a write after a read begun before another
        # request's write would fail, and on any database the learner's next statements must not wait.
        session.commit()
        try:
            service.put_grade(grade)
        except (LtiException, OSError, ValueError) as exc:
            failed += 1
            values = {"error": str(exc)[:2000]}
            log.warning("score for %s not sent to %s: %s", user, url, exc)
        else:
            sent += 1
            values = {"sent": utcnow(), "sent_score": score.given, "error": ""}
        session.execute(update(Outcome).where(Outcome.id == outcome_id).values(**values)
                        .execution_options(synchronize_session=False))
        if "sent" in values:  # not due any more, unless the learner's statements changed it since it was read
            session.execute(update(Outcome).where(Outcome.id == outcome_id, Outcome.changes == changes)
                            .values(due=False).execution_options(synchronize_session=False))
        session.commit()
    return sent, failed


# --- members of a platform's course --------------------------------------------------------------------------------


def fetch_members(session: Session, context: Context) -> list[dict]:
    """The members of the platform's course, from its names and roles service (every page)."""
    if not context.memberships_url:
        raise LtiError(N_("The platform gave no list of members for %(title)s; launch Passerelle from that course "
                          "first, with the names and roles service allowed."), title=context.title)
    service = NamesRolesProvisioningService(connector.connector(context.platform, current_key(session)),
                                            {"context_memberships_url": context.memberships_url})
    try:
        return service.get_members()
    except (LtiException, OSError, ValueError) as exc:
        raise LtiError(N_("The platform did not give its list of members: %(reason)s"), reason=str(exc)[:300]) \
            from None


def enrol_members(session: Session, context: Context, members: list[dict]) -> tuple[int, int]:
    """Give each active member of a platform's course an account and a place in its cohort, trainers for its
    instructors; return (learners, trainers).  Nothing is committed: the caller commits once."""
    learners = trainers = 0
    for member in members:
        if not isinstance(member, dict) or not isinstance(member.get("user_id"), str) or not member["user_id"]:
            continue
        if member.get("status", "Active") != "Active":
            continue
        role = role_of(member.get("roles"))
        fields = person_fields(member)
        try:
            user = account_for(session, LTI, context.platform.issuer, member["user_id"], role=role, **fields)
        except AccountError:
            continue  # an id too long to be one: nobody to enrol
        if not user.is_active:
            continue
        enrolment = join(session, context, user, role)
        if enrolment is None:
            trainers += 1
        else:
            learners += 1
    return learners, trainers
