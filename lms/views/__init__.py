"""Blueprints of the web interface, one per area."""

from __future__ import annotations

from flask_babel import gettext

from authoring import markdown


def init_app(app) -> None:
    from . import admin, catalog, player, reports

    for module in (catalog, player, reports, admin):
        app.register_blueprint(module.bp)
    from ..accounts import views as accounts

    app.register_blueprint(accounts.bp)
    app.jinja_env.filters["markdown"] = lambda text, links=None, fallback=None: markdown.render(text, links, fallback,
                                                                                             gettext)
    app.jinja_env.filters["markdown_inline"] = markdown.render_inline
    from ..sessions import views as sessions

    app.register_blueprint(sessions.bp)
    from ..cohorts import views as cohorts

    app.register_blueprint(cohorts.bp)
