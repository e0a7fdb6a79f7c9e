"""The one configured Markdown parser of the course format.

Raw HTML is off, so nothing an author (or a hostile package) writes can
inject markup; markdown-it's link validation drops ``javascript:`` and
similar URLs, and the only attribute an author may write is ``{size=...}``
after a link.  Course syntax is added as ``f(md)`` plugins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePosixPath

from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from .files import file_label, kind_of, parse_size
from .locales import N_

#: Fenced ``:::`` blocks that structure a module, e.g. ``:::: quiz`` or ``::: notes``.
STRUCTURE = ("quiz", "question", "survey", "item", "scenario", "step", "debrief",
             "agenda", "activity", "notes", "handout")
#: Callouts a page may hold, with the label shown above them.
CALLOUTS = {"note": N_("Note"), "tip": N_("Tip"), "warning": N_("Warning")}
#: A glossary renders in place as a definition list.
GLOSSARY = "glossary"

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def course_syntax(md: MarkdownIt) -> None:
    """Plugin: front matter, definition lists, ``{size=...}`` after links and the course's ``:::`` containers."""
    md.use(front_matter_plugin)
    md.use(deflist_plugin)
    md.use(attrs_plugin, after=("link_close",), allowed=("size",))
    for name in STRUCTURE:
        md.use(container_plugin, name=name)
    for name in CALLOUTS:
        md.use(container_plugin, name=name, render=_render_callout)
    md.use(container_plugin, name=GLOSSARY, render=_render_glossary)
    _one_rule_for_containers(md, [*STRUCTURE, *CALLOUTS, GLOSSARY])


def _one_rule_for_containers(md: MarkdownIt, names: list[str]) -> None:
    """Put the containers' block rules behind one that passes at once a line not starting with ':'.

    Each container is a block rule of its own, tried in turn on every line
    of every document: fifteen calls a line, where one look at its first
    character tells that none applies.  The rules run as before, in the same
    order, on the lines that start with ':'.
    """
    ruler = md.block.ruler
    wanted = {f"container_{name}" for name in names}
    rules = [rule for rule in ruler.__rules__ if rule.name in wanted]
    tries = [rule.fn for rule in rules]

    def containers(state, start: int, end: int, silent: bool) -> bool:
        at = state.bMarks[start] + state.tShift[start]
        if at >= len(state.src) or state.src[at] != ":":
            return False
        return any(rule(state, start, end, silent) for rule in tries)

    ruler.before(rules[0].name, "course_containers", containers, {"alt": list(rules[0].alt)})
    ruler.disable([rule.name for rule in rules])


@dataclass(frozen=True)
class Links:
    """Where the files and pages that a module's Markdown points to are served from.

    ``asset_url`` maps a course file as written (an image, a handout) to its
    address; ``page_url(module, page)`` gives the address of a page, ``module``
    being None for the current module and ``page`` None for a module's start;
    ``sizes`` gives the bytes of downloadable files, shown next to their links;
    ``dimensions`` the width and height of images, written on them.
    """

    asset_url: Callable[[str], str] = str
    page_url: Callable[[str | None, str | None], str] | None = None
    sizes: Mapping[str, int] = field(default_factory=dict)
    dimensions: Mapping[str, Sequence[int]] = field(default_factory=dict)


def internal_link(href: str) -> tuple[str | None, str | None] | None:
    """Split a link to a page of the course into (module slug or None, page id or None).

    ``#page-id`` is a page of the same module, ``other-module.md`` another
    module, ``other-module.md#page-id`` one of its pages.  Anything else
    (a web address, a file) returns None.
    """
    if not href or _SCHEME.match(href) or href.startswith("/"):
        return None
    path, _, fragment = href.partition("#")
    if not path:
        return (None, fragment) if fragment else None
    if not path.endswith(".md") or "/" in path.strip("./") or path.startswith(".."):
        return None
    return PurePosixPath(path).stem, fragment or None


def asset_images(md: MarkdownIt) -> None:
    """Plugin: image sources and links go through ``env["links"]`` so each output can place its files."""
    default_image = md.renderer.rules["image"]

    def image(self, tokens, idx, options, env):
        links: Links = env.get("links") or Links()
        token = tokens[idx]
        src = str(token.attrGet("src") or "")
        token.attrSet("src", links.asset_url(src))
        if src in links.dimensions:
            width, height = links.dimensions[src]
            token.attrSet("width", str(width))
            token.attrSet("height", str(height))
        token.attrSet("loading", "lazy")
        return default_image(tokens, idx, options, env)

    def link_open(self, tokens, idx, options, env):
        links: Links = env.get("links") or Links()
        token = tokens[idx]
        href = str(token.attrGet("href") or "")
        declared = token.attrs.pop("size", None)
        target = internal_link(href)
        label = ""
        if target is not None and links.page_url is not None:
            token.attrSet("href", links.page_url(*target))
        elif not _SCHEME.match(href) and href in links.sizes:
            token.attrSet("href", links.asset_url(href))
            token.attrSet("download", "")
            label = file_label(href, links.sizes[href])
        elif declared is not None or kind_of(href):
            label = file_label(href, parse_size(str(declared)) if declared is not None else None)
        env.setdefault("_labels", []).append(label)
        return self.renderToken(tokens, idx, options, env)

    def link_close(self, tokens, idx, options, env):
        labels = env.get("_labels") or [""]
        label = labels.pop()
        out = self.renderToken(tokens, idx, options, env)
        return out + f' <span class="size">({escape(label)})</span>' if label else out

    md.add_render_rule("image", image)
    md.add_render_rule("link_open", link_open)
    md.add_render_rule("link_close", link_close)


def _render_callout(self, tokens, idx, options, env):
    token = tokens[idx]
    if token.nesting == 1:
        kind = token.info.strip().split(maxsplit=1)
        title = kind[1] if len(kind) > 1 else env.get("gettext", str)(CALLOUTS[kind[0]])
        return f'<aside class="callout {kind[0]}" role="note"><p class="callout-title">{escape(title)}</p>\n'
    return "</aside>\n"


def _render_glossary(self, tokens, idx, options, env):
    token = tokens[idx]
    if token.nesting == 1:
        words = token.info.strip().split(maxsplit=1)
        title = words[1] if len(words) > 1 else env.get("gettext", str)(N_("Glossary"))
        return f'<section class="glossary"><h2>{escape(title)}</h2>\n'
    return "</section>\n"


def normalise(content: str) -> str:
    """Return inline Markdown as a translator sees it: soft line breaks become spaces, hard ones ``\\``."""
    lines = content.strip().split("\n")
    out = []
    for index, line in enumerate(lines):
        text = line.strip()
        last = index == len(lines) - 1
        if not last and line.endswith("  ") and not text.endswith("\\"):
            text += "\\"
        out.append(text)
        if not last:
            out.append("\n" if text.endswith("\\") else " ")
    return "".join(out)


@dataclass(frozen=True)
class Fallback:
    """The segments of a translated text that are still in the source ``language``.

    Rendering marks each with a ``lang`` attribute, so that screen readers
    speak it in the right language and readers see why it is not translated.
    """

    language: str = ""
    texts: frozenset[str] = frozenset()

    def attr(self, text: str) -> Markup:
        """Return `` lang="xx"`` for a piece of text left in the source language, else nothing."""
        if self.texts and normalise(text) in self.texts:
            return Markup(' lang="{}"').format(self.language)
        return Markup("")


def mark_fallback(md: MarkdownIt) -> None:
    """Plugin: a block whose text is in ``env["fallback"]`` gets its source language as ``lang``."""

    def rule(state) -> None:
        fallback: Fallback | None = state.env.get("fallback") if isinstance(state.env, dict) else None
        if not fallback or not fallback.texts:
            return
        tokens = state.tokens
        for index, token in enumerate(tokens):
            if token.type != "inline" or not index or normalise(token.content) not in fallback.texts:
                continue
            block = tokens[index - 1]
            if block.hidden and index >= 2:  # a paragraph of a tight list: the list item carries it
                block = tokens[index - 2]
            block.attrSet("lang", fallback.language)

    md.core.ruler.push("mark_fallback", rule)


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """Return the shared parser (CommonMark with tables, raw HTML disabled)."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable("table")
    md.use(course_syntax)
    md.use(asset_images)
    md.use(mark_fallback)
    return md


def render(text: str, links: Links | None = None, fallback: Fallback | None = None,
           gettext: Callable[[str], str] = str) -> Markup:
    """Render a fragment of course Markdown to HTML that templates may insert as is.

    ``gettext`` translates the words the platform adds, such as a callout's "Tip".
    """
    return Markup(markdown().render(text, {"links": links, "fallback": fallback, "gettext": gettext}))


def render_inline(text: str) -> Markup:
    """Render one line of Markdown (a question, an option) without a wrapping ``<p>``."""
    return Markup(markdown().renderInline(text))
