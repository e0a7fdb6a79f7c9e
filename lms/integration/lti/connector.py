"""Calling a platform's services as the tool: its registration signed for with the tool's key, over HTTP with a
time limit, a limit on the size of each answer and on the pages of a list, and only at the platform's own host.
No Flask here: the CLI and the services use it too."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import requests
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector

from .models import Platform, ToolKey

#: Seconds a platform has to answer a request of the tool (its key set, a token, a score, its members).
HTTP_TIMEOUT = 10
#: Largest answer read from a platform; a larger one is refused, not read.
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
#: Most pages of a list (members, gradebook columns) read from a platform for one task.
MAX_PAGES = 100


class TimedSession(requests.Session):
    """A requests session whose calls give up after :data:`HTTP_TIMEOUT` seconds and read at most
    :data:`MAX_RESPONSE_BYTES` of an answer: a platform that does not answer, or answers without end, holds no
    request of ours for long."""

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        kwargs["stream"] = True
        response = super().request(method, url, **kwargs)
        try:
            body = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
        finally:
            response.close()
        if len(body) > MAX_RESPONSE_BYTES:
            raise requests.exceptions.RequestException(
                f"{url} answered more than {MAX_RESPONSE_BYTES // 2 ** 20} MB", response=response)
        response._content = body  # what .content, .text and .json() read
        return response


def loopback(host: str) -> bool:
    """Whether ``host`` is this machine (where http is allowed: a platform being tried out locally)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def on_platform(platform: Platform, url) -> bool:
    """Whether ``url`` (an address a launch or an answer of the platform gives) is one the tool may call: https, or
    http on this machine, at the host of the platform's registered log-in or token address."""
    if not isinstance(url, str) or not url:
        return False
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return False
    if parts.scheme == "http" and not loopback(parts.hostname):
        return False
    hosts = {urlsplit(address).hostname for address in (platform.auth_login_url, platform.auth_token_url)}
    return parts.hostname in hosts


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


class PlatformConnector(ServiceConnector):
    """pylti1p3's connector for one task: it reads at most :data:`MAX_PAGES` pages of lists and follows a next page
    only at the platform's host."""

    def __init__(self, platform: Platform, key: ToolKey) -> None:
        super().__init__(ToolRegistration(platform, key), http_session())
        self.platform, self.pages = platform, 0

    def make_service_request(self, scopes, url, is_post=False, *args, **kwargs):
        if not on_platform(self.platform, url):
            raise LtiException(f"{url} is not an address of the platform's")
        if not is_post:
            self.pages += 1
            if self.pages > MAX_PAGES:
                raise LtiException(f"the platform's list goes on past {MAX_PAGES} pages")
        return super().make_service_request(scopes, url, is_post, *args, **kwargs)


def connector(platform: Platform, key: ToolKey) -> ServiceConnector:
    """A connector to the platform's services for one task: it asks the platform's token endpoint for an access
    token with a JWT signed by ``key``, then calls the service with it."""
    return PlatformConnector(platform, key)
