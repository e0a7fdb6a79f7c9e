"""Calling a platform's services as the tool: its registration signed for with the tool's key, over HTTP with a
time limit.  No Flask here: the CLI and the services use it too."""

from __future__ import annotations

import requests
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector

from .models import Platform, ToolKey

#: Seconds a platform has to answer a request of the tool (its key set, a token, a score, its members).
HTTP_TIMEOUT = 10


class TimedSession(requests.Session):
    """A requests session whose calls give up after :data:`HTTP_TIMEOUT` seconds: a platform that does not answer
    holds no request of ours for long."""

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return super().request(method, url, **kwargs)


def http_session() -> requests.Session:
    session = TimedSession()
    session.headers["User-Agent"] = "Passerelle LTI tool"
    return session


class ToolRegistration(Registration):
    """A platform's registration, signed for with the tool's current key (named by its ``kid``)."""

    def __init__(self, platform: Platform, key: ToolKey) -> None:
        self.platform = platform
        self.key = key
        self.set_issuer(platform.issuer).set_client_id(platform.client_id).set_key_set_url(platform.jwks_url)
        self.set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
        if platform.auth_audience:
            self.set_auth_audience(platform.auth_audience)
        self.set_tool_private_key(key.private_pem).set_tool_public_key(key.public_pem)

    def get_kid(self) -> str:
        return self.key.kid


def connector(platform: Platform, key: ToolKey) -> ServiceConnector:
    """A connector to the platform's services: it asks the platform's token endpoint for an access token with a
    JWT signed by ``key``, then calls the service with it."""
    return ServiceConnector(ToolRegistration(platform, key), http_session())
