"""The one configured Markdown parser of the course format.

Raw HTML is off, so nothing an author (or a hostile package) writes can
inject markup; markdown-it's link validation drops ``javascript:`` and
similar URLs.  Course syntax is added as ``f(md)`` plugins.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

#: Fenced ``:::`` blocks the format knows, e.g. ``:::: quiz`` or ``::: notes``.
CONTAINERS = ("quiz", "question", "agenda", "activity", "notes")


def course_syntax(md: MarkdownIt) -> None:
    """Plugin: front matter and the course's ``:::`` containers."""
    md.use(front_matter_plugin)
    for name in CONTAINERS:
        md.use(container_plugin, name=name)


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """Return the shared parser (CommonMark with tables, raw HTML disabled)."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable("table")
    md.use(course_syntax)
    return md


def render(text: str) -> Markup:
    """Render a fragment of course Markdown to HTML that templates may insert as is."""
    return Markup(markdown().render(text))


def render_inline(text: str) -> Markup:
    """Render one line of Markdown (a question, an option) without a wrapping ``<p>``."""
    return Markup(markdown().renderInline(text))
