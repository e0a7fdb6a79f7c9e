"""Render the HTML files of a package: self-paced pages and facilitator guides.

These pages stand alone (no server, no framework, one small inline style) so
that a package can be read offline or launched from another LMS.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape

from . import markdown, model, package


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("authoring", "templates"), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["markdown"] = markdown.render
    env.filters["inline"] = markdown.render_inline
    return env


def render_module(course: model.Course, module: model.Module) -> dict[str, str]:
    """Return ``{relative path: HTML}`` for one module, whose files sit in ``modules/<slug>/``."""
    env = _env()

    def asset_url(src: str) -> str:
        return f"../../{package.ASSETS}/{module.assets[src]}" if src in module.assets else src

    if module.type == model.LIVE:
        guide = env.get_template("guide.html").render(course=course, module=module)
        return {"guide.html": guide}
    files = {}
    pages = module.pages
    for index, page in enumerate(pages):
        files[f"{page.id}.html"] = env.get_template("page.html").render(
            course=course, module=module, page=page, asset_url=asset_url,
            previous=pages[index - 1] if index else None,
            next=pages[index + 1] if index + 1 < len(pages) else None,
        )
    files["index.html"] = env.get_template("module.html").render(course=course, module=module)
    return files
