"""Render the HTML files of a package: self-paced pages, scenarios, facilitator guides, handouts.

These pages stand alone (no server, no framework, one small inline style) so
that a package can be read offline or launched from another LMS.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from jinja2 import BytecodeCache, Environment, PackageLoader, select_autoescape
from jinja2.bccache import Bucket
from markupsafe import Markup

from . import markdown, model, package
from .locales import direction, interface_translations, locale_of

#: The arrows before "previous" and after "next", pointing the way a reader of each direction turns pages.
ARROWS = {"ltr": ("←", "→"), "rtl": ("→", "←")}
#: A language code as it may appear unquoted in a style sheet's attribute selector.
_LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


class _Compiled(BytecodeCache):
    """Templates compiled once for every language's environment, which differ only in the words installed."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])  # Jinja checks the source's checksum

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _Compiled()


@lru_cache(maxsize=None)
def _env(language: str) -> Environment:
    """Return the templates' environment for a language: its words come from the interface's catalog."""
    env = Environment(loader=PackageLoader("authoring", "templates"), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      extensions=["jinja2.ext.i18n"], bytecode_cache=_COMPILED)
    translations = interface_translations(language)
    env.install_gettext_translations(translations, newstyle=True)
    env.filters["markdown"] = lambda text, links=None, fallback=None: markdown.render(text, links, fallback,
                                                                                      translations.gettext)
    env.filters["inline"] = markdown.render_inline
    env.globals["in_source_language"] = in_source_language
    return env


def prepare(languages: list[str]) -> None:
    """Load every template, and each language's script data, for these languages.

    A build calls this before rendering in worker processes, which then start
    with all of it instead of each compiling the templates again.
    """
    for language in languages:
        env = _env(language)
        for name in env.list_templates():
            env.get_template(name)
        direction(language)


def fallback_of(course: model.Course, module: model.Module | None = None) -> markdown.Fallback:
    """Return what of a translated course (and module) is still in the source language."""
    if not course.language:
        return markdown.Fallback()
    texts = set(course.fallback) | set(module.fallback if module else ())
    return markdown.Fallback(course.source_language, frozenset(texts))


def in_source_language(fallback: markdown.Fallback, *html: str) -> bool:
    """Tell whether rendered HTML holds text left in the source language (marked with its ``lang``)."""
    marker = f' lang="{fallback.language}"'
    return bool(fallback.texts) and any(marker in part for part in html)


def source_direction(fallback: markdown.Fallback, page_direction: str) -> str | None:
    """Return the direction of the text left in the source language, if it is not the page's; else None."""
    own = direction(fallback.language) if fallback.language else page_direction
    return None if own == page_direction else own


def isolation(fallback: markdown.Fallback, page_direction: str) -> Markup:
    """Return the style rule that sets text left in the source language in that language's direction.

    A segment marked with the source language's ``lang`` then runs, and keeps
    its punctuation, in its own direction, set apart from the page around it:
    English in an Arabic page ends with its full stop on the right.  Nothing
    when both languages are written the same way.
    """
    own = source_direction(fallback, page_direction)
    if own is None or not _LANGUAGE_CODE.fullmatch(fallback.language):
        return Markup("")
    return Markup("[lang={}]{{direction:{};unicode-bidi:isolate}}").format(fallback.language, own)


def language_name(code: str, language: str) -> str:
    """Return the name of a language in another (``en`` in Arabic: الإنجليزية), or its code if Babel has none."""
    locale, reader = locale_of(code), locale_of(language)
    return (locale.get_display_name(reader) if locale and reader else None) or code


def links_for(module: model.Module, asset_url: Callable[[str], str],
              page_url: Callable[[str | None, str | None], str]) -> markdown.Links:
    """Return how a module's Markdown reaches its files and the course's pages.

    ``asset_url`` is given the path of a file in the course folder; the
    result maps the file as the author wrote it, and knows download sizes.
    """
    sizes = {src: module.downloads[path] for src, path in module.assets.items() if path in module.downloads}
    dimensions = {src: module.images[path] for src, path in module.assets.items() if path in module.images}

    def asset(src: str) -> str:
        return asset_url(module.assets[src]) if src in module.assets else src

    return markdown.Links(asset_url=asset, page_url=page_url, sizes=sizes, dimensions=dimensions)


def package_links(module: model.Module, root: str = "../../") -> markdown.Links:
    """Links between the files of a package, relative to ``modules/<slug>/``; ``root`` leads to the package's top."""

    def page_url(slug: str | None, page_id: str | None) -> str:
        name = f"{page_id or 'index'}.html"
        return name if slug in (None, module.slug) else f"../{slug}/{name}"

    return links_for(module, lambda path: f"{root}{package.ASSETS}/{path}", page_url)


def module_context(course: model.Course, module: model.Module | None,
                   root: str = "../../") -> tuple[Environment, dict]:
    """Return the templates in the course's language and what each of them is given to render one of a module's pages.

    The build's pages use it, and so do the pages that make a module an AU
    (its quiz and launch pages): all of them show the same words, direction
    and fallback.  ``root`` leads from ``modules/<slug>/`` to the package's
    top.  Without a module, what a page of the whole course is given.
    """
    language = course.text_language
    fallback, way = fallback_of(course, module), direction(language)
    back, forward = ARROWS[way]
    links = package_links(module, root) if module is not None else None
    return _env(language), {"course": course, "module": module, "links": links,
                            "fallback": fallback, "language": language, "direction": way, "back": back,
                            "forward": forward, "isolation": isolation(fallback, way),
                            "source_name": language_name(fallback.language, language)}


def render_module(course: model.Course, module: model.Module, root: str = "../../") -> dict[str, str]:
    """Return ``{relative path: HTML}`` for one module, whose files sit in ``modules/<slug>/``.

    The course may be a translation: its pages are in its language, with the
    segments still in the source language marked as such.
    """
    env, common = module_context(course, module, root)
    prerequisites = [m for m in course.modules if m.slug in module.prerequisites]
    files = {"index.html": env.get_template("module.html").render(prerequisites=prerequisites, **common)}
    if module.type == model.LIVE:
        for name in ("guide", "handout"):
            files[f"{name}.html"] = env.get_template(f"{name}.html").render(**common)
        return files
    pages = module.pages
    for index, page in enumerate(pages):
        files[f"{page.id}.html"] = env.get_template("page.html").render(
            page=page, previous=pages[index - 1] if index else None,
            next=pages[index + 1] if index + 1 < len(pages) else None, **common)
    scenario_page = env.get_template("scenario.html")
    for scenario in module.scenarios:
        first = scenario.steps[0]
        files[f"scenario.{scenario.id}.html"] = scenario_page.render(scenario=scenario, step=first, choice=None,
                                                                     **common)
        for step in scenario.steps:
            for number, choice in enumerate(step.choices, start=1):
                files[f"scenario.{scenario.id}.{step.id}.{number}.html"] = scenario_page.render(
                    scenario=scenario, step=scenario.step(choice.goto), choice=choice, **common)
    return files
