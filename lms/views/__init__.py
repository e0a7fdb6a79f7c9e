"""Blueprints of the web interface, one per area."""

from __future__ import annotations

from flask_babel import gettext
from werkzeug.routing import IntegerConverter

from authoring import markdown

from ..services import LARGEST_ID


class IdConverter(IntegerConverter):
    """``<int:…>`` in an address matches only numbers an id can be, so a larger one is a 404, never a database error."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None, max: int | None = LARGEST_ID,
                 signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app) -> None:
    app.url_map.converters["int"] = IdConverter  # before any blueprint's rules are added
    from . import admin, catalog, player

    for module in (catalog, player, admin):
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
    from ..privacy import views as privacy

    app.register_blueprint(privacy.bp)
    from ..reports import views as reports

    app.register_blueprint(reports.bp)
