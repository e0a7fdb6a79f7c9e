"""Blueprints of the web interface, one per area."""

from __future__ import annotations

from markupsafe import Markup

from authoring import markdown


def init_app(app) -> None:
    from . import admin, catalog, player, reports

    for module in (catalog, player, reports, admin):
        app.register_blueprint(module.bp)
    # Course Markdown is rendered with raw HTML disabled, so its output is safe to mark as such.
    app.jinja_env.filters["markdown"] = lambda text: Markup(markdown.render(text))
    app.jinja_env.filters["markdown_inline"] = lambda text: Markup(markdown.render_inline(text))
