"""Certificates on the web: the learner's own, their PDF and signed credential, the public verification page,
the academy's public key, and revocation by admins."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..db import get_db
from ..services import by_id
from ..views.auth import role_required
from ..views.common import valid_form_or_400
from . import credential, document, services
from .models import Certificate

bp = Blueprint("certificates", __name__, url_prefix="/certificates", template_folder="templates")


def _own_or_404(certificate_id: int) -> Certificate:
    """A certificate the signed-in user may download: their own, or any for an admin."""
    certificate = by_id(get_db(), Certificate, certificate_id)
    if certificate is None or not (certificate.user_id == current_user.id or current_user.has_role("admin")):
        abort(404, description=_("There is no such certificate."))
    return certificate


def _look() -> tuple[bytes | None, Path | None]:
    """The academy's logo and template, from the certificate folder, where it has them."""
    folder = Path(current_app.config["CERTIFICATE_DIR"])
    logo = next((path.read_bytes() for path in (folder / "logo.png", folder / "logo.jpg") if path.is_file()), None)
    template = folder / "template.json"
    return logo, template if template.is_file() else None


def _signing_key():
    return credential.load_or_create_key(current_app.config["INSTANCE_PATH"])


def issuer_id() -> str:
    """The academy as an issuer: the address of its profile, which publishes its key."""
    return current_app.config["PUBLIC_URL"] + "certificates/issuer"


@bp.get("/")
@login_required
def mine():
    """List the signed-in user's certificates."""
    return render_template("certificates/mine.html", certificates=services.certificates_of(get_db(), current_user))


@bp.get("/<int:certificate_id>/certificate.pdf")
@login_required
def pdf(certificate_id: int):
    """The certificate as a PDF in the learner's language, with the academy's look."""
    certificate = _own_or_404(certificate_id)
    logo, template = _look()
    try:
        data = document.render_pdf(certificate.details, logo=logo, template=template)
    except document.CertificateTemplateError as exc:
        current_app.logger.error("certificate template: %s", exc)
        abort(503, description=_("The academy's certificate template cannot be used: %(reason)s", reason=str(exc)))
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="certificate-{certificate.code}.pdf"'})


@bp.get("/<int:certificate_id>/credential.jwt")
@login_required
def signed_credential(certificate_id: int):
    """The certificate as an Open Badges 3.0 credential signed by the academy (a VC-JWT)."""
    certificate = _own_or_404(certificate_id)
    token = credential.sign(achievement(certificate), _signing_key())
    # OB 3.0: a VC-JWT served on the web is text/plain.
    return Response(token, mimetype="text/plain", headers={
        "Content-Disposition": f'attachment; filename="certificate-{certificate.code}.jwt"'})


def achievement(certificate: Certificate) -> dict:
    """The Open Badges credential of a certificate, before signing."""
    public = current_app.config["PUBLIC_URL"]
    return credential.achievement_credential(
        certificate.details, credential_id=f"urn:uuid:{certificate.uuid}", issuer_id=issuer_id(),
        achievement_id=f"{public}courses/{certificate.course.slug}/#achievement",
        subject_id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, public + certificate.user.actor_id)}",
        issued=certificate.issued,
        revoked_list_url=public + "certificates/revoked.json")


@bp.get("/issuer")
def issuer():
    """The academy's issuer profile, with the public key that checks its credentials (no log-in)."""
    return _public_json(credential.issuer_profile(issuer_id(), current_app.config["ACADEMY_NAME"], _signing_key()))


@bp.get("/issuer/jwks.json")
def jwks():
    """The academy's public key as a JSON Web Key Set: what a verifier keeps to check credentials offline."""
    return _public_json(credential.jwks(_signing_key()))


@bp.get("/revoked.json")
def revoked():
    """The academy's revocation list (1EdTech Revocation List): the ids of the credentials it revoked."""
    return _public_json({"id": current_app.config["PUBLIC_URL"] + "certificates/revoked.json",
                         "issuer": issuer_id(),
                         "revokedCredential": [{"id": f"urn:uuid:{certificate.uuid}", "revoked": True,
                                                "revocationReason": certificate.revoked_reason}
                                               for certificate in services.revoked(get_db())]}, max_age=300)


well_known = Blueprint("certificates_well_known", __name__)


@well_known.get("/.well-known/jwks.json")
def well_known_jwks():
    """The academy's public keys where OB 3.0's implementation guide says verifiers look first."""
    return jwks()


def _public_json(data: dict, max_age: int = 3600) -> Response:
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public, response.cache_control.max_age = True, max_age
    return response


@bp.get("/verify")
def verify_form():
    """Ask for the code printed on a certificate (no log-in)."""
    code = request.args.get("code", "")
    if code:
        return redirect(url_for("certificates.verify", code=services.normal_code(code) or code[:100]))
    return render_template("certificates/verify_form.html")


@bp.get("/verify/<code>")
def verify(code: str):
    """The public verification page: what the certificate states, or that it was revoked; nothing else."""
    certificate = services.by_code(get_db(), code)
    if certificate is None:
        abort(404, description=_("No certificate has this code. Check it against the certificate: it has 25 "
                                 "letters and digits."))
    response = Response(render_template("certificates/verify.html", certificate=certificate,
                                        details=certificate.details))
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/admin")
@role_required("admin")
def admin_list():
    """Admins find a certificate by its code or its holder's username, to revoke it."""
    session = get_db()
    query = request.args.get("q", "")[:200].strip()
    found = services.search(session, query) if query else services.latest(session)
    return render_template("certificates/admin.html", certificates=found, query=query)


@bp.post("/<int:certificate_id>/revoke")
@role_required("admin")
def revoke(certificate_id: int):
    """Revoke a certificate, with a reason; it stays verifiable, as revoked."""
    valid_form_or_400()
    session = get_db()
    certificate = by_id(session, Certificate, certificate_id)
    if certificate is None:
        abort(404, description=_("There is no such certificate."))
    try:
        services.revoke(session, certificate, request.form.get("reason", ""), current_app.config["PUBLIC_URL"])
    except services.CertificateError as exc:
        session.rollback()
        abort(400, description=_(exc.message, **exc.params))
    session.commit()
    flash(_("The certificate %(code)s is revoked.", code=certificate.code))
    return redirect(url_for("certificates.admin_list", q=certificate.code))


def init_app(app) -> None:
    """Issue a certificate when a course's completion is recorded through this app's database."""
    from ..services.learning import course_completed

    def issue_on_completion(_engine, session, learner, course):
        services.issue(session, learner, course, academy=app.config["ACADEMY_NAME"], timezone=app.config["TIMEZONE"])

    # The receiver lives as long as the app (the signal holds it weakly): each app issues for its own database.
    app.extensions["certificates.issue"] = issue_on_completion
    course_completed.connect(issue_on_completion, sender=app.extensions["db.engine"])
    app.register_blueprint(bp)
    app.register_blueprint(well_known)
