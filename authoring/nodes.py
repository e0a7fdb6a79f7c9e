"""Small helpers over markdown-it's syntax tree, shared by the block readers."""

from __future__ import annotations

import re

from .markdown import markdown

#: ``key=value`` settings in a container's info line, e.g. ``:::: quiz attempts=3 Title``.
_SETTING = re.compile(r"^([a-z][a-z-]*)=(\S+)$")


def line(node) -> int:
    """Return the 1-based source line where a node starts."""
    return node.map[0] + 1 if node.map else 1


def container_info(node, name: str) -> str:
    """Return what follows the container's name on its opening line."""
    info = node.info.strip() if node.info else ""
    return info[len(name):].strip() if info.startswith(name) else info


def split_settings(info: str) -> tuple[dict[str, str], list[str]]:
    """Split an info line into ``key=value`` settings and the other words, in order."""
    settings, words = {}, []
    for word in info.split():
        match = _SETTING.match(word)
        if match:
            settings[match[1]] = match[2]
        else:
            words.append(word)
    return settings, words


def word_id(word: str) -> str | None:
    """Return the id a ``#id`` word of an info line gives, or None if the word is not one."""
    return word[1:] if word.startswith("#") and len(word) > 1 else None


def inline_text(node) -> str:
    """Return the Markdown source of a heading's or paragraph's inline content."""
    inline = next((c for c in node.children if c.type == "inline"), None)
    return inline.content.strip() if inline else ""


def item_text(item) -> str:
    """Return the Markdown source of a list item's first paragraph."""
    para = next((c for c in item.children if c.type == "paragraph"), None)
    return inline_text(para) if para else ""


def source(node, lines: list[str]) -> str:
    """Return the Markdown source lines a block node was parsed from."""
    return "\n".join(lines[node.map[0]:node.map[1]]) if node.map else ""


def blockquote_source(node, lines: list[str]) -> str:
    """Return a blockquote's Markdown without its ``>`` markers."""
    return "\n".join(re.sub(r"^\s*> ?", "", text) for text in source(node, lines).splitlines()).strip()


def plain(inline_md: str) -> str:
    """Return the text of inline Markdown without its markup (for slides and notes)."""
    tokens = markdown().parseInline(inline_md)
    out = []
    for token in tokens[0].children or []:
        if token.type in ("text", "code_inline"):
            out.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            out.append(" ")
    return "".join(out).strip()


def plain_text(node) -> str:
    """Return the text of a parsed block's inline content (a paragraph, a heading, a cell), without markup."""
    out = []

    def walk(current):
        if current.type in ("text", "code_inline"):
            out.append(current.content)
        elif current.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif current.type != "image":
            for child in current.children:
                walk(child)

    inline = next((c for c in node.children if c.type == "inline"), None)
    if inline is not None:
        walk(inline)
    return "".join(out).strip()


def plain_blocks(nodes) -> list[str]:
    """Flatten paragraphs and list items to lines of plain text."""
    out = []
    for node in nodes:
        if node.type in ("paragraph", "heading"):
            out.append(plain_text(node))
        elif node.type in ("bullet_list", "ordered_list"):
            for item in node.children:
                para = next((c for c in item.children if c.type == "paragraph"), None)
                out.append(plain_text(para) if para else "")
        elif node.children:
            out.extend(plain_blocks(node.children))
    return [text for text in out if text]


def images(node) -> list[tuple[str, str, int]]:
    """Return ``(src, alt, line)`` of every image inside a block, with the line of its paragraph."""
    found = []

    def walk(current, line_no):
        if current.map:
            line_no = line(current)
        if current.type == "image":
            found.append((current.attrs.get("src", ""), current.content.strip(), line_no))
        for child in current.children:
            walk(child, line_no)

    walk(node, line(node))
    return found


def unclosed_containers(root, lines: list[str]) -> list:
    """Return the ``:::`` containers that run to the end of the file for want of a closing line.

    markdown-it closes such a block silently at the end of the document; a
    closing line belongs to the innermost block that ends just above it.
    """
    found, claimed = [], set()

    def walk(node):
        for child in node.children:
            walk(child)
        if node.type.startswith("container_") and node.map:
            start, end = node.map
            opening = len(lines[start].strip().split()[0])
            closing = lines[end].strip() if end < len(lines) else ""
            if end not in claimed and closing and set(closing) == {":"} and len(closing) >= opening:
                claimed.add(end)
            else:
                found.append(node)

    walk(root)
    return found


def links(node) -> list[tuple[str, str | None, int]]:
    """Return ``(href, declared size, line)`` of every link inside a block."""
    found = []

    def walk(current, line_no):
        if current.map:
            line_no = line(current)
        if current.type == "link":
            found.append((current.attrs.get("href", ""), current.attrs.get("size"), line_no))
        for child in current.children:
            walk(child, line_no)

    walk(node, line(node))
    return found


def table_rows(node) -> list[list[str]]:
    """Return the rows of a table as plain text cells, the header row first."""
    rows = []

    def walk(current):
        if current.type == "tr":
            rows.append([plain_text(cell) for cell in current.children])
        else:
            for child in current.children:
                walk(child)

    walk(node)
    return rows


def child_source(node, lines: list[str]) -> str:
    """Return the Markdown source of a container's content, without its fences."""
    return "\n\n".join(source(child, lines) for child in node.children).strip()
