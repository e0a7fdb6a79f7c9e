"""The Passerelle LMS: a Flask application built by :func:`create_app`."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import configure_mappers

from .config import complete, load_settings

__all__ = ["Passerelle", "create_app"]


def create_app(config: dict | None = None) -> Flask:
    """Create the application; ``config`` overrides settings read from the environment."""
    settings = complete({**load_settings(), **(config or {})})
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], instance_relative_config=True)
    app.config.update(settings)

    import xapi

    from . import cli, db, delivery, errors, i18n, security, views
    from .views import auth

    db.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    from .services.learning import record_earned_completions

    # What a signed-in learner sends is vouched for by the learner alone: the LMS's own authority is kept
    # for what it graded or recorded itself, which alone counts toward completion, scores and reports.
    xapi.init_app(app, db.get_db, home_page=lambda: app.config["PUBLIC_URL"],
                  session_agent=auth.session_agent, session_authority=auth.session_agent,
                  on_stored=lambda session, statements: record_earned_completions(session, statements,
                                                                                   app.config["PUBLIC_URL"]),
                  max_batch=app.config["XAPI_MAX_BATCH"])
    views.init_app(app)
    from .certificates import views as certificates

    certificates.init_app(app)
    from .reports import cli as reports

    reports.init_app(app)
    from . import integration

    integration.init_app(app)
    cli.init_app(app)
    delivery.init_app(app)
    # Every model is imported by now: their mappings are set up here, as each server process loads the app,
    # rather than by the first request that queries one, which waited on it.
    configure_mappers()
    return app


def __getattr__(name: str):
    # ``from lms import Passerelle`` imports the mounting code only when a host application asks for it.
    if name == "Passerelle":
        from .integration.host import Passerelle

        return Passerelle
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
