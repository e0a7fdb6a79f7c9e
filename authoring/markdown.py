"""The one configured Markdown parser of the course format.

Raw HTML is off, so nothing an author (or a hostile package) writes can
inject markup; markdown-it's link validation drops ``javascript:`` and
similar URLs.  Course syntax is added as ``f(md)`` plugins.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

#: Fenced ``:::`` blocks that structure a module, e.g. ``:::: quiz`` or ``::: notes``.
STRUCTURE = ("quiz", "question", "agenda", "activity", "notes")
#: Callouts a page may hold, with the label shown above them.
CALLOUTS = {"note": "Note", "tip": "Tip", "warning": "Warning"}


def course_syntax(md: MarkdownIt) -> None:
    """Plugin: front matter and the course's ``:::`` containers."""
    md.use(front_matter_plugin)
    for name in STRUCTURE:
        md.use(container_plugin, name=name)
    for name in CALLOUTS:
        md.use(container_plugin, name=name, render=_render_callout)


def asset_images(md: MarkdownIt) -> None:
    """Plugin: image sources go through ``env["asset_url"]`` so each output can place its files."""
    default = md.renderer.rules["image"]

    def image(self, tokens, idx, options, env):
        asset_url: Callable[[str], str] | None = env.get("asset_url")
        token = tokens[idx]
        if asset_url is not None:
            token.attrSet("src", asset_url(token.attrGet("src") or ""))
        token.attrSet("loading", "lazy")
        return default(tokens, idx, options, env)

    md.add_render_rule("image", image)


def _render_callout(self, tokens, idx, options, env):
    token = tokens[idx]
    if token.nesting == 1:
        kind = token.info.strip().split(maxsplit=1)
        title = kind[1] if len(kind) > 1 else CALLOUTS[kind[0]]
        return f'<aside class="callout {kind[0]}" role="note"><p class="callout-title">{escape(title)}</p>\n'
    return "</aside>\n"


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """Return the shared parser (CommonMark with tables, raw HTML disabled)."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable("table")
    md.use(course_syntax)
    md.use(asset_images)
    return md


def render(text: str, asset_url: Callable[[str], str] | None = None) -> Markup:
    """Render a fragment of course Markdown to HTML that templates may insert as is."""
    return Markup(markdown().render(text, {"asset_url": asset_url}))


def render_inline(text: str) -> Markup:
    """Render one line of Markdown (a question, an option) without a wrapping ``<p>``."""
    return Markup(markdown().renderInline(text))
