"""Learning records: xAPI statements, their validation and storage, the LRS.

This package never imports the web application.  A host application mounts
the LRS with :func:`init_app`, telling it how to get a database session.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

VERSION = "1.0.3"


def init_app(app, get_session: Callable[[], Session], url_prefix: str = "/xapi") -> None:
    """Mount the LRS on a Flask app; ``get_session`` returns the request's session."""
    from .cli import credentials_group
    from .views import bp

    app.extensions["xapi"] = get_session
    app.register_blueprint(bp, url_prefix=url_prefix)
    app.cli.add_command(credentials_group)
