"""Learning records: xAPI statements, their validation and storage, the LRS.

This package never imports the web application.  A host application mounts
the LRS with :func:`init_app`, telling it how to get a database session and,
optionally, who the signed-in learner is.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

VERSION = "1.0.3"

#: Headers a browser-based activity provider may send and read across origins.
CORS_HEADERS = ["Authorization", "Content-Type", "X-Experience-API-Version", "If-Match", "If-None-Match"]
CORS_EXPOSED = ["ETag", "Last-Modified", "X-Experience-API-Version", "X-Experience-API-Consistent-Through"]
#: Most statements one request may carry, unless the host says otherwise.
MAX_BATCH = 1000


def init_app(app, get_session: Callable[[], Session], url_prefix: str = "/xapi", *,
             home_page: Callable[[], str] | None = None,
             session_agent: Callable[[], dict | None] | None = None,
             session_authority: Callable[[], dict] | None = None,
             on_stored: Callable[[Session, list[dict]], None] | None = None,
             max_batch: int = MAX_BATCH) -> None:
    """Mount the LRS on a Flask app.

    ``get_session`` returns the request's database session; ``home_page`` the
    homePage of the accounts the LRS gives its credentials.  ``session_agent``,
    if given, returns the agent of the learner signed in to the host (or None);
    such a learner may send and read statements and state about themselves,
    recorded with ``session_authority()`` as their authority.  ``on_stored``,
    if given, is called with the session and the statements of each accepted
    request before it is committed, so that the host keeps what it derives from
    them (a learner's progress) in the same transaction.  A request holding more than
    ``max_batch`` statements is refused (413); no request body is read past
    ``XAPI_MAX_BODY`` bytes.
    """
    from flask import request
    from flask_cors import CORS

    from .alternate import AlternateSyntax
    from .cli import credentials_group, forwarding_group
    from .forwarding import forwarding_enabled
    from .times import now, timestamp
    from .views import bp

    # No request body is read past this, nor past the host's own limit.
    max_body = min(app.config.get("XAPI_MAX_BODY", 10 * 2**20), app.config.get("MAX_CONTENT_LENGTH") or 2**63)
    app.extensions["xapi"] = {
        "session": get_session,
        "home_page": home_page or (lambda: request.host_url),
        "session_agent": session_agent,
        "session_authority": session_authority,
        "on_stored": on_stored,
        "forward": lambda: forwarding_enabled(app.config),
        "max_body": max_body,
        "max_batch": max_batch,
    }
    app.register_blueprint(bp, url_prefix=url_prefix)
    CORS(app, resources={url_prefix + "/*": {"origins": "*"}}, allow_headers=CORS_HEADERS,
         expose_headers=CORS_EXPOSED, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"], max_age=86400)
    app.wsgi_app = AlternateSyntax(app.wsgi_app, url_prefix, app.extensions["xapi"])

    @app.after_request
    def xapi_headers(response):
        if request.path.startswith(url_prefix + "/"):
            response.headers["X-Experience-API-Version"] = VERSION
        if request.path == url_prefix + "/statements":
            response.headers["X-Experience-API-Consistent-Through"] = timestamp(now())
        return response

    app.cli.add_command(credentials_group)
    app.cli.add_command(forwarding_group)
