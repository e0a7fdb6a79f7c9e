"""A learning platform (an LMS such as Moodle) as LTI 1.3 tests need one: its own RSA key and JWKS, an OAuth2
token endpoint, a gradebook's score endpoint, a names and roles service and a deep linking return address, all
served over real HTTP on a free local port; and the browser's part of a launch (OIDC log-in, then the id_token
posted to the tool)."""

from __future__ import annotations

import threading
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, abort, jsonify, request
from jwcrypto.jwk import JWK
from werkzeug.serving import make_server

ISSUER = "https://moodle.example.test"
CLIENT_ID = "passerelle-client"
DEPLOYMENT_ID = "1"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def rsa_key():
    """A new RSA key: (private PEM, public JWK with its kid)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = JWK.from_pem(private.public_key().public_bytes(serialization.Encoding.PEM,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo))
    return pem, {**public.export_public(as_dict=True), "kid": public.thumbprint(), "alg": "RS256", "use": "sig"}


class Platform:
    """The platform: what it serves, and what it received from the tool (``scores``, ``token_requests``,
    ``deep_link_responses``)."""

    def __init__(self, tool_jwks_url: str) -> None:
        self.private_pem, self.jwk = rsa_key()
        self.tool_jwks_url = tool_jwks_url
        self.scores: list[dict] = []
        self.token_requests: list[dict] = []
        self.deep_link_responses: list[dict] = []
        self.members: list[dict] = []
        self.members_without_end = False  # each page of members names a next one
        self.member_pages = 0  # pages of members asked for
        self.key_set_fetches = 0
        self.tokens: dict[str, set[str]] = {}
        self.down = False  # the gradebook answers 503 while set (its scores and columns)
        self.lineitems: list[dict] = []  # the gradebook's columns the tool made
        self.on_score = None  # called as a score arrives, before it is taken and answered
        self.on_lineitem = None  # called as the tool makes a gradebook column, before it is answered
        self.app = self._make_app()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Platform:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join()

    # --- what a registration asks for ---------------------------------------------------------------------------

    @property
    def registration(self) -> dict:
        return {"issuer": ISSUER, "client_id": CLIENT_ID, "deployment_ids": [DEPLOYMENT_ID],
                "jwks_url": f"{self.url}/jwks", "auth_login_url": f"{self.url}/auth",
                "auth_token_url": f"{self.url}/token"}

    def lineitem_url(self, name: str = "7") -> str:
        return f"{self.url}/courses/42/lineitems/{name}/lineitem"

    # --- signing as the platform --------------------------------------------------------------------------------

    def id_token(self, nonce: str, sub: str = "moodle-user-17", roles=(LEARNER,), key: bytes | None = None,
                 kid: str | None = None, **claims) -> str:
        """A signed id_token of a resource link launch (claims given override the usual ones; None removes)."""
        now = int(time.time())
        body = {
            "iss": ISSUER, "aud": CLIENT_ID, "sub": sub, "nonce": nonce, "iat": now, "exp": now + 300,
            "name": "Aminata Diallo", "given_name": "Aminata", "family_name": "Diallo",
            "email": "aminata.diallo@example.test",
            CLAIM + "message_type": "LtiResourceLinkRequest", CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": DEPLOYMENT_ID, CLAIM + "roles": list(roles),
            CLAIM + "resource_link": {"id": "resource-link-1", "title": "Crisis management"},
            CLAIM + "context": {"id": "course-42", "label": "CM-42", "title": "Consular crisis 2026"},
            CLAIM + "launch_presentation": {"locale": "fr-FR"},
        }
        body.update(claims)
        body = {name: value for name, value in body.items() if value is not None}
        return jwt.encode(body, key or self.private_pem, algorithm="RS256",
                          headers={"kid": kid or self.jwk["kid"]})

    def ags_claim(self, lineitem: str | None = None, scopes=(SCORE_SCOPE, LINEITEM_SCOPE)) -> dict:
        return {"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
            "scope": list(scopes), "lineitems": f"{self.url}/courses/42/lineitems",
            "lineitem": lineitem or self.lineitem_url()}}

    def nrps_claim(self) -> dict:
        return {"https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
            "context_memberships_url": f"{self.url}/courses/42/memberships", "service_versions": ["2.0"]}}

    def deep_linking_claims(self) -> dict:
        return {CLAIM + "message_type": "LtiDeepLinkingRequest",
                CLAIM + "resource_link": None,
                "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings": {
                    "deep_link_return_url": f"{self.url}/deep-linking/return",
                    "accept_types": ["ltiResourceLink"], "accept_presentation_document_targets": ["window"],
                    "accept_multiple": False, "data": "opaque-platform-data"}}

    # --- the browser's part -------------------------------------------------------------------------------------

    def log_in(self, client, target: str = "http://localhost/lti/courses/crisis-management/",
               base_url: str = "http://localhost", **params):
        """Start a launch as the platform does (OIDC log-in initiation): the tool's answer."""
        data = {"iss": ISSUER, "login_hint": "17", "target_link_uri": target, "client_id": CLIENT_ID,
                "lti_message_hint": "hint-1", "lti_deployment_id": DEPLOYMENT_ID, **params}
        return client.post("/lti/login", data=data, base_url=base_url)

    def launch(self, client, target: str = "http://localhost/lti/courses/crisis-management/", token_args=None,
               base_url: str = "http://localhost", browser=None, **claims):
        """Log in, then post a signed id_token with the tool's nonce and state: the tool's answer to the launch
        (posted by ``browser``, the client that logged in unless another is given)."""
        answer = self.log_in(client, target, base_url)
        assert answer.status_code == 302, answer.get_data(as_text=True)
        sent = parse_qs(urlsplit(answer.headers["Location"]).query)
        token = self.id_token(sent["nonce"][0], **{CLAIM + "target_link_uri": target, **claims},
                              **(token_args or {}))
        return closed((browser or client).post("/lti/launch", data={"id_token": token, "state": sent["state"][0]},
                                               base_url=base_url))

    # --- the platform's services ------------------------------------------------------------------------------------

    def _tool_jwt(self, token: str, audience: str) -> dict:
        """Verify a JWT the tool signed with a key from its published key set (fetched over HTTP)."""
        keys = requests.get(self.tool_jwks_url, timeout=10).json()["keys"]
        kid = jwt.get_unverified_header(token)["kid"]
        key = next(k for k in keys if k["kid"] == kid)
        return jwt.decode(token, jwt.PyJWK(key).key, algorithms=["RS256"], audience=audience)

    def _bearer(self, scope: str) -> None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or scope not in self.tokens.get(header[7:], set()):
            abort(401)

    def _make_app(self) -> Flask:
        app = Flask("lti-platform")

        @app.get("/jwks")
        def jwks():
            self.key_set_fetches += 1
            return jsonify({"keys": [self.jwk]})

        @app.post("/token")
        def token():
            form = request.form
            claims = self._tool_jwt(form["client_assertion"], audience=f"{self.url}/token")
            assert claims["iss"] == claims["sub"] == CLIENT_ID
            assert form["grant_type"] == "client_credentials"
            self.token_requests.append({"scope": form["scope"], **claims})
            access = uuid.uuid4().hex
            self.tokens[access] = set(form["scope"].split())
            return jsonify({"access_token": access, "token_type": "Bearer", "expires_in": 3600,
                            "scope": form["scope"]})

        @app.post("/courses/42/lineitems/<name>/lineitem/scores")
        def score(name):
            self._bearer(SCORE_SCOPE)
            if self.down:
                return "The gradebook is down for maintenance.", 503
            assert request.content_type == "application/vnd.ims.lis.v1.score+json"
            if self.on_score:
                self.on_score()
            self.scores.append({"lineitem": name, **request.get_json(force=True)})
            return "", 204

        @app.get("/courses/42/lineitems")
        def lineitems():
            self._bearer(LINEITEM_SCOPE)
            if self.down:
                return "The gradebook is down for maintenance.", 503
            return jsonify(self.lineitems)

        @app.post("/courses/42/lineitems")
        def new_lineitem():
            self._bearer(LINEITEM_SCOPE)
            assert request.content_type == "application/vnd.ims.lis.v2.lineitem+json"
            made = {**request.get_json(force=True), "id": self.lineitem_url(f"made-{len(self.lineitems) + 1}")}
            if self.on_lineitem:
                self.on_lineitem()
            self.lineitems.append(made)
            return jsonify(made), 201

        @app.get("/courses/42/memberships")
        def memberships():
            self._bearer(NRPS_SCOPE)
            self.member_pages += 1
            answer = jsonify({"id": request.url, "context": {"id": "course-42", "title": "Consular crisis 2026"},
                              "members": self.members})
            if self.members_without_end:
                answer.headers["Link"] = f'<{self.url}/courses/42/memberships?page={self.member_pages + 1}>; rel="next"'
            return answer

        @app.post("/deep-linking/return")
        def deep_linking_return():
            claims = self._tool_jwt(request.form["JWT"], audience=ISSUER)
            self.deep_link_responses.append(claims)
            return "Placed."

        return app


def closed(response):
    """A test client's response once written and closed, as a server closes it after sending it: what is done after
    the response (sending scores) is done."""
    response.get_data()
    response.close()
    return response


# --- fixtures (imported by the LTI tests) ---------------------------------------------------------------------------

import pytest  # noqa: E402


@pytest.fixture
def platform(live_server):
    """The platform, serving over HTTP; it verifies what the tool signs with the tool's key set, served by the app
    over HTTP too.  Log-ins of earlier tests, from the same address, do not count toward this one's limit."""
    from lms.security import limiter

    limiter.reset()
    with Platform(f"{live_server}/lti/jwks") as running:
        yield running


@pytest.fixture
def registered(db, platform):
    """The platform registered in Passerelle, as an admin does."""
    from lms.integration.lti import services

    registered = services.register_platform(db, name="Academy Moodle", **platform.registration)
    db.commit()
    return registered
