"""pylti1p3 backed by the database: the platforms' registrations, the tool's keys, and what an OIDC log-in keeps
for its launch.

pylti1p3 keeps the nonce of a log-in, and a launch's claims, in a "launch data storage"; the Flask session would
do for one server, but the launch is a POST from another site, which a ``SameSite=Lax`` session cookie does not
follow, and a second app server would not see another's memory.  :class:`DatabaseStorage` keeps them in
``lti_launch_data``, under the ``lti1p3-session-id`` cookie pylti1p3 sets (``SameSite=None; Secure`` over https).

:class:`Launch` runs pylti1p3's checks one by one, so that each refusal says which check failed, and adds the
one pylti1p3 leaves out: a nonce is accepted once (``lti_nonce``), so a launch sent again is refused.  A log-in
lasts :data:`LOGIN_SECONDS`; its nonce is deleted once a launch used it, and the id_token must say when it was
issued and when it expires.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.exception import LtiException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from authoring.locales import N_

from ...models import as_utc, utcnow
from . import services
from .connector import ToolRegistration, http_session
from .models import LaunchData, Platform, SeenNonce

#: How long a launch's claims are kept (a deep linking choice must be made within).
LAUNCH_DATA_SECONDS = 2 * 3600
#: How long an OIDC log-in's nonce and state are kept: the platform posts the launch right after the log-in.
LOGIN_SECONDS = 600
#: How pylti1p3 checks an id_token: its audience is checked with the registration (several client ids per issuer);
#: a token that does not say when it was issued and when it expires is refused.
JWT_CHECKS = {"verify_aud": False, "require": ["exp", "iat"]}
#: How long a platform's key set is kept once fetched (a key it rotates in is used within this time).
KEY_SET_SECONDS = 300


class DatabaseStorage(LaunchDataStorage):
    """pylti1p3's launch data storage in ``lti_launch_data``: values as JSON, each with its expiry."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def get_session_cookie_name(self):
        # Over plain http (a local test) browsers drop SameSite=None cookies, as pylti1p3's cache storage knows.
        if self._request is not None and not self._request.is_secure():
            return None
        return super().get_session_cookie_name()

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str):
        row = self.session.get(LaunchData, self._prepare_key(key)[:255])
        if row is None or as_utc(row.expires) < utcnow():
            return None
        return json.loads(row.value)

    def set_value(self, key: str, value, exp: int | None = None) -> None:
        key = self._prepare_key(key)[:255]
        expires = utcnow() + dt.timedelta(seconds=exp or LAUNCH_DATA_SECONDS)
        row = self.session.get(LaunchData, key)
        if row is None:
            self.session.add(LaunchData(key=key, value=json.dumps(value), expires=expires))
        else:
            row.value, row.expires = json.dumps(value), expires
        self.session.flush()

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None

    def forget(self, key: str) -> bool:
        """Delete a value (a one-time token being used); False if it was gone already: another request used it."""
        return bool(self.session.execute(delete(LaunchData).where(LaunchData.key == self._prepare_key(key)[:255]))
                    .rowcount)


def forget_expired(session: Session) -> None:
    """Delete the launch data and nonces that expired: a nonce past its token's expiry cannot be replayed anyway."""
    now = utcnow()
    session.execute(delete(LaunchData).where(LaunchData.expires < now))
    session.execute(delete(SeenNonce).where(SeenNonce.expires < now))


class DatabaseToolConf(ToolConfAbstract):
    """The registrations of ``lti_platform``: an issuer may have several client ids, so the client id (a launch's
    audience) always takes part in finding one."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.platform: Platform | None = None

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args, **kwargs):
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(self, iss: str, client_id: str | None, *args, **kwargs):
        platform = services.find_platform(self.session, iss, client_id)
        if platform is None:
            return None
        self.platform = platform
        return ToolRegistration(platform, services.current_key(self.session))

    def find_deployment(self, iss: str, deployment_id: str):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str | None, *args, **kwargs):
        platform = services.find_platform(self.session, iss, client_id)
        if platform is None or deployment_id not in platform.deployment_ids:
            return None
        return LtiDeployment().set_deployment_id(deployment_id)


def oidc_login(session: Session) -> FlaskOIDCLogin:
    """pylti1p3's OIDC log-in for the current request, keeping its nonce and state in the database."""
    login = FlaskOIDCLogin(FlaskRequest(), DatabaseToolConf(session))
    return login.set_launch_data_storage(DatabaseStorage(session)).set_launch_data_lifetime(LOGIN_SECONDS)


class WindowResource(DeepLinkResource):
    """A resource link placed by deep linking that the platform opens in a new window (the ``window`` property of
    an ltiResourceLink; pylti1p3 keeps the target but does not send it): a page of Passerelle's may be framed by
    the platform only, and a browser that blocks cookies in frames would not keep the launch."""

    def __init__(self) -> None:
        super().__init__()
        self.set_target("window")

    def to_dict(self):
        return {**super().to_dict(), "window": {"targetName": "_blank"}}


class LaunchRefused(Exception):
    """A launch that is not let in; ``message`` (marked for translation) says which check failed."""

    def __init__(self, message: str, detail: str = "", status: int = 403) -> None:
        super().__init__(f"{message} {detail}".strip())
        self.message, self.detail, self.status = message, detail, status


class Launch(FlaskMessageLaunch):
    """A launch message (resource link or deep linking request) checked by pylti1p3 step by step."""

    def __init__(self, session: Session, storage: bool = True) -> None:
        self.db = session
        super().__init__(FlaskRequest(), DatabaseToolConf(session), requests_session=http_session(),
                         launch_data_storage=DatabaseStorage(session) if storage else None)
        self.set_jwt_verify_options(JWT_CHECKS)
        if storage:
            self.set_launch_data_lifetime(LAUNCH_DATA_SECONDS)
            self.set_public_key_caching(DatabaseStorage(session), KEY_SET_SECONDS)

    def get_public_key(self):
        """The platform's key that signed the token, from its key set kept for :data:`KEY_SET_SECONDS`; when that
        set has no such key (the platform rotated its key since), from the set fetched anew."""
        storage = self._public_key_cache_data_storage
        # The key pylti1p3 keeps a key set under, outside any log-in's session.
        kept = "key-set-url-" + hashlib.md5(str(self._registration.get_key_set_url()).encode()).hexdigest()
        was_kept = storage is not None and storage.get_value(kept) is not None
        try:
            return super().get_public_key()
        except LtiException:
            if not was_kept:
                raise
        storage.forget(kept)
        self._registration.set_key_set(None)
        return super().get_public_key()

    @property
    def platform(self) -> Platform:
        return self._tool_config.platform

    @classmethod
    def restored(cls, session: Session, claims: dict) -> Launch | None:
        """A launch checked earlier (a deep linking request being answered), from its claims; None if its
        platform was removed since."""
        launch = cls(session, storage=False)
        launch.set_auto_validation(enable=False).set_jwt({"body": claims}).set_restored()
        try:
            launch.validate_registration()
        except LtiException:
            return None
        return launch

    def validate(self):
        """Run every check; raise :class:`LaunchRefused` naming the first that fails."""
        if self._restored:
            raise LtiException("a restored launch is not validated again")
        self._validated = True
        steps = (
            (self.validate_jwt_format, N_("The launch carries no readable id_token.")),
            (self.validate_registration, N_("The platform that sent this launch is not registered here.")),
            (self.validate_state, N_("The launch does not follow a log-in started here; launch it again from "
                                     "the platform.")),
            (self.validate_nonce, N_("The launch's log-in has expired or was already used; launch it again "
                                     "from the platform.")),
            (self.validate_jwt_signature, N_("The launch's signature is not valid, or it has expired.")),
            (self._validate_once, N_("This launch was already used; launch it again from the platform.")),
            (self.validate_deployment, N_("The platform's deployment of this launch is not registered here.")),
            (self.validate_message, N_("The launch message is incomplete or of a kind this tool does not "
                                       "know.")),
        )
        try:
            for step, refusal in steps:
                try:
                    step()
                except (LtiException, KeyError, TypeError, ValueError) as exc:
                    raise LaunchRefused(refusal, str(exc)[:300]) from exc
            self.save_launch_data()
            self._forget_nonce()
        except Exception:
            self._validated = False
            raise
        return self

    def validate_jwt_format(self):
        super().validate_jwt_format()
        if not isinstance(self._jwt.get("body"), dict) or not isinstance(self._jwt.get("header"), dict):
            raise LtiException("the id_token's header and body are not JSON objects")
        return self

    def _validate_once(self):
        """Keep the token's nonce; a nonce already kept (by any app server) means the launch is sent again.

        It is kept as long as a launch with it could be let in: one needs its log-in's nonce, kept at most
        :data:`LOGIN_SECONDS` and deleted once used.  No savepoint: a launch refused after this is rolled back
        whole, and on SQLite a savepoint opened first in a transaction would commit it when released."""
        body = self._jwt["body"]
        try:
            self.db.add(SeenNonce(issuer=body["iss"], nonce=str(body["nonce"])[:255],
                                  expires=utcnow() + dt.timedelta(seconds=LOGIN_SECONDS)))
            self.db.flush()
        except IntegrityError:
            raise LtiException("nonce already used") from None
        return self

    def _forget_nonce(self) -> None:
        """Delete the log-in's nonce once a launch used it: the same id_token is refused from then on, whatever
        becomes of the nonces kept."""
        self._session_service.data_storage.forget(f"lti1p3-nonce-{self._jwt['body']['nonce']}")

    def validate_message(self):
        super().validate_message()
        roles = self._jwt["body"].get(services.ROLES_CLAIM)
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise LtiException("roles must be a list of role names")
        return self

    def claims(self) -> dict:
        return self._jwt.get("body", {})

    def forget_claims(self) -> None:
        """Delete the copy of the claims (names, e-mail address) pylti1p3 keeps after a launch: nothing here reads
        it again, and a deep linking choice keeps what it needs under its own token."""
        self._session_service.data_storage.forget(self._launch_id)

