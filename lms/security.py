"""What keeps a browser safe on the platform, set up in one place.

- Headers on every response: pages may run only the platform's own scripts
  (``Content-Security-Policy``), are framed by no other site, are not sniffed
  into another type, send no address to other sites, and are reached over https
  only once they have been (HSTS, when ``PUBLIC_URL`` is https).
- Files that come from a course package (handouts, guides, images and other
  assets) are served in a sandbox: a crafted package runs no script as the
  viewer, whatever the file holds.  The LRS's answers are data, never pages.
- The session cookie is kept from scripts, from other sites' form posts, and
  from plain http when the platform is on https.
- Behind reverse proxies (``TRUSTED_PROXIES``), the client's address, scheme
  and host are read from the ``X-Forwarded-*`` headers the proxies set.
- :data:`limiter` counts failed log-ins (Flask-Limiter), in the store named by
  ``RATELIMIT_STORAGE_URI``: each process's memory by default, a shared store
  when several app servers answer.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse
from werkzeug.middleware.proxy_fix import ProxyFix

#: Pages: the platform's own scripts, styles, images and forms; the player's data is a JSON block, not a script.
#: Style attributes stay allowed: aligned table cells in course text carry them, and they run nothing.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
               "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'")
#: A course package's own files: shown with their styles and images, in a sandbox that runs no script, sends
#: no form and opens no window, so that nothing in an uploaded package acts on the platform as the viewer.
#: The sandbox keeps the platform's origin only so that a handout's images, which need the viewer's cookie,
#: still show: with no script at all, the origin gives the file nothing to act with.
PACKAGE_POLICY = ("sandbox allow-same-origin; default-src 'none'; img-src 'self' data:; "
                  "style-src 'self' 'unsafe-inline'; media-src 'self'; frame-ancestors 'self'")
#: The endpoints that serve files from a package as they are.
PACKAGE_ENDPOINTS = frozenset({"player.material", "catalog.asset"})
#: The LRS answers with data (statements, documents of any type a client stored): never a page to render.
LRS_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"
HSTS_SECONDS = 365 * 24 * 3600

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def platform_key(key: str) -> str:
    """``key`` among this platform's own counts of the :data:`limiter`.

    Flask-Limiter keeps one store for all the apps it limits: two platforms in one process (each mounted in its
    host application) must not count each other's failed log-ins.
    """
    return f"{current_app.config['PUBLIC_URL']} {key}"


def init_app(app: Flask) -> None:
    """Set the cookies, the proxies, the log-in limits and the headers of every response."""
    https = app.config["PUBLIC_URL"].startswith("https://")
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=https,
                      REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax", REMEMBER_COOKIE_SECURE=https)
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    for setting in ("LOGIN_LIMIT_ACCOUNT", "LOGIN_LIMIT_ADDRESS", "RESET_LIMIT", "LTI_LOGIN_LIMIT"):
        try:
            parse(app.config[setting])
        except ValueError:
            raise ValueError(f"{setting} = {app.config[setting]!r} is not a limit such as '10 per 15 minutes'") \
                from None
    limiter.init_app(app)
    app.after_request(add_headers)


def add_headers(response):
    """Add the security headers that fit what the response is: a page, a package's file or the LRS's data."""
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if current_app.config["PUBLIC_URL"].startswith("https://"):
        headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"
    if request.path.startswith("/xapi/"):
        headers["Content-Security-Policy"] = LRS_POLICY
    elif request.endpoint in PACKAGE_ENDPOINTS:
        headers["Content-Security-Policy"] = PACKAGE_POLICY
    else:
        headers["Content-Security-Policy"] = PAGE_POLICY
        headers["X-Frame-Options"] = "SAMEORIGIN"  # frame-ancestors, for browsers that predate it
    return response
