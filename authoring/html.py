"""Render the HTML files of a package: self-paced pages, scenarios, facilitator guides, handouts.

These pages stand alone (no server, no framework, one small inline style) so
that a package can be read offline or launched from another LMS.
"""

from __future__ import annotations

from collections.abc import Callable
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


def links_for(module: model.Module, asset_url: Callable[[str], str],
              page_url: Callable[[str | None, str | None], str]) -> markdown.Links:
    """Return how a module's Markdown reaches its files and the course's pages.

    ``asset_url`` is given the path of a file in the course folder; the
    result maps the file as the author wrote it, and knows download sizes.
    """
    sizes = {src: module.downloads[path] for src, path in module.assets.items() if path in module.downloads}

    def asset(src: str) -> str:
        return asset_url(module.assets[src]) if src in module.assets else src

    return markdown.Links(asset_url=asset, page_url=page_url, sizes=sizes)


def package_links(module: model.Module) -> markdown.Links:
    """Links between the files of a package, relative to ``modules/<slug>/``."""

    def page_url(slug: str | None, page_id: str | None) -> str:
        name = f"{page_id or 'index'}.html"
        return name if slug in (None, module.slug) else f"../{slug}/{name}"

    return links_for(module, lambda path: f"../../{package.ASSETS}/{path}", page_url)


def render_module(course: model.Course, module: model.Module) -> dict[str, str]:
    """Return ``{relative path: HTML}`` for one module, whose files sit in ``modules/<slug>/``."""
    env = _env()
    links = package_links(module)
    prerequisites = [m for m in course.modules if m.slug in module.prerequisites]
    files = {"index.html": env.get_template("module.html").render(course=course, module=module,
                                                                   prerequisites=prerequisites)}
    if module.type == model.LIVE:
        for name in ("guide", "handout"):
            files[f"{name}.html"] = env.get_template(f"{name}.html").render(course=course, module=module, links=links)
        return files
    pages = module.pages
    for index, page in enumerate(pages):
        files[f"{page.id}.html"] = env.get_template("page.html").render(
            course=course, module=module, page=page, links=links,
            previous=pages[index - 1] if index else None,
            next=pages[index + 1] if index + 1 < len(pages) else None,
        )
    scenario_page = env.get_template("scenario.html")
    for scenario in module.scenarios:
        first = scenario.steps[0]
        files[f"scenario.{scenario.id}.html"] = scenario_page.render(
            course=course, module=module, scenario=scenario, step=first, choice=None, links=links)
        for step in scenario.steps:
            for number, choice in enumerate(step.choices, start=1):
                files[f"scenario.{scenario.id}.{step.id}.{number}.html"] = scenario_page.render(
                    course=course, module=module, scenario=scenario, step=scenario.step(choice.goto),
                    choice=choice, links=links)
    return files
