"""Find the translatable segments of a course's sources, and put translations in their place.

A segment is one piece of text a translator sees: a heading, a paragraph, a
list item, a table cell, an image's alt text, a quiz option, a scenario
choice, a title in front matter or on a ``:::`` line.  Inline Markdown
(emphasis, links, code) stays inside the segment; the course syntax around it
(``- [x]``, ``answer:``, ``15 min:``, ``#id``, ``attempts=3``) never does.

Each segment knows the characters of the source it came from, so a translated
source is the original with each segment's span replaced, and it is then read
by the same reader as the original: whatever the reader checks, it checks in
every language.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

import yaml

from .markdown import markdown, normalise
from .reader import YAML_LOADER

#: Contexts (msgctxt) of segments whose words mean something particular where they stand.
ACCEPTED_ANSWER = "accepted answer"
SCALE_POINT = "scale point"
SCENARIO_CHOICE = "scenario choice"
AGENDA_BLOCK = "agenda block"
ACTIVITY_GROUP = "activity group"
ACTIVITY_MATERIALS = "activity materials"
IMAGE_DESCRIPTION = "image description"

#: Front matter and course.yaml keys whose values are translated.
MODULE_FIELDS = ("title", "objectives")
COURSE_FIELDS = ("title", "description", "audience", "objectives", "prerequisites")

#: Containers whose opening line carries a title after settings and ids.
_TITLED = ("quiz", "survey", "scenario", "note", "tip", "warning", "glossary")
_BLOCKS_WITH_TEXT = ("paragraph_open", "heading_open", "th_open", "td_open", "dt_open")
_SETTING_WORD = re.compile(r"^(#\S+|[a-z][a-z-]*=\S+)$")
_OPTION = re.compile(r"^\[[ xX]\]\s+")
_CHOICE = re.compile(r"^\[(.+)\]\(#[^\s)]+\)$", re.S)
_ANSWER = re.compile(r"^answer:\s*", re.I)
_TIMED = re.compile(r"^\d+\s*min(?:utes?|s)?\s*[:\u2014\u2013-]\s*")
_ACTIVITY_KEY = re.compile(r"^(group|materials):\s*", re.I)


class Segment(NamedTuple):
    """A translatable piece of a source file (a tuple: a build of a large course makes tens of thousands).

    ``text`` is what the translator sees (the msgid); ``start`` and ``end``
    are the characters of the file it replaces; ``indent`` starts each further
    line of a translation that has line breaks; ``single_line`` segments
    (titles, cells, answers) never have them; ``yaml`` ones are written as a
    quoted YAML string.
    """

    text: str
    line: int
    start: int
    end: int
    context: str | None = None
    indent: str = ""
    single_line: bool = False
    yaml: bool = False


def module_segments(text: str) -> list[Segment]:
    """Return the segments of a module's Markdown, in source order."""
    found = _Finder(text)
    tokens = markdown().parse(text)
    containers: list[str] = []
    question_kinds: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == "front_matter":
            offset = found.offsets[1] if len(found.offsets) > 1 else 0
            found.yaml_fields(token.content, offset, 1, MODULE_FIELDS)
        elif token.type.startswith("container_") and token.nesting == 1:
            name = token.type[len("container_"):-len("_open")]
            containers.append(name)
            question_kinds.append(token.info.split() if name == "question" else [])
            if name in _TITLED or name == "activity":
                found.info_title(token.map[0], name)
        elif token.type.startswith("container_") and token.nesting == -1:
            containers.pop()
            question_kinds.pop()
        elif token.type == "inline" and index and tokens[index - 1].type in _BLOCKS_WITH_TEXT and token.map:
            inside = containers[-1] if containers else ""
            item = _list_item_of(tokens, index)
            found.inline(token, inside, item, "text" in (question_kinds[-1] if question_kinds else []),
                         single_line=tokens[index - 1].type != "paragraph_open")
    return found.segments


def course_segments(text: str) -> list[Segment]:
    """Return the segments of a course.yaml."""
    found = _Finder(text)
    found.yaml_fields(text, 0, 0, COURSE_FIELDS)
    return found.segments


def apply(text: str, segments: list[Segment], translations: dict[Segment, str]) -> tuple[str, dict[Segment, range]]:
    """Return ``text`` with each segment that has a translation replaced by it.

    Also return the lines (1-based) each translation occupies in the new text,
    so that a problem found in it can be traced back to its translation.
    """
    out, cursor, lines, where = [], 0, 1, {}
    for segment in sorted(segments, key=lambda s: s.start):
        if segment not in translations:
            continue
        before = text[cursor:segment.start]
        placed = _placed(segment, translations[segment])
        lines += before.count("\n")
        where[segment] = range(lines, lines + placed.count("\n") + 1)
        lines += placed.count("\n")
        out += [before, placed]
        cursor = segment.end
    out.append(text[cursor:])
    return "".join(out), where


def _placed(segment: Segment, translation: str) -> str:
    """Return a translation as it is written in the file in place of its segment."""
    translation = translation.strip()
    if segment.yaml:
        return json.dumps(" ".join(translation.split()), ensure_ascii=False)
    if segment.single_line:
        return " ".join(translation.split())
    return ("\n" + segment.indent).join(line.strip() for line in translation.split("\n"))


def _list_item_of(tokens, index: int) -> bool:
    """Tell whether the inline at ``index`` is the first paragraph of a list item."""
    return index >= 2 and tokens[index - 1].type == "paragraph_open" and tokens[index - 2].type == "list_item_open"


class _Finder:
    """Collects segments, locating each one's characters in the source."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.offsets = [0]
        for line in self.lines:
            self.offsets.append(self.offsets[-1] + len(line) + 1)
        self.columns: dict[int, int] = {}  # line -> column after the last segment found on it
        self.segments: list[Segment] = []

    def add(self, content: str, first_line: int, context: str | None = None, single_line: bool = False,
            lead: re.Pattern | None = None, tail: int = 0) -> None:
        """Locate inline ``content`` starting on the 0-based ``first_line`` and record it as a segment.

        ``lead`` matches syntax at its start that is not translated; ``tail``
        drops that many characters at its end.
        """
        content = content.strip()
        lines = content.split("\n")
        end_line = first_line + len(lines) - 1
        if end_line >= len(self.lines):
            return
        column = self.lines[first_line].find(lines[0].strip(), self.columns.get(first_line, 0))
        last = lines[-1].strip()
        end_column = self.lines[end_line].rfind(last) + len(last) if len(lines) > 1 else column + len(last)
        if column < 0 or end_column < len(last):
            return  # not where the parser says: leave it untranslated rather than guess
        start, end = self.offsets[first_line] + column, self.offsets[end_line] + end_column
        match = lead.match(content) if lead is not None else None
        if match:
            start, content = start + match.end(), content[match.end():]
        if tail:
            end, content = end - tail, content[:-tail]
        shown = normalise(content)
        if not shown:
            return
        indent = ""
        if len(lines) > 1:
            second = self.lines[first_line + 1]
            indent = second[:len(second) - len(second.lstrip(" >"))]
        self.columns[end_line] = end_column
        self.segments.append(Segment(shown, first_line + 1, start, end, context, indent, single_line))

    def inline(self, token, container: str, list_item: bool, text_question: bool, single_line: bool) -> None:
        """Record the segment(s) of a block's inline content, leaving course syntax out."""
        content, line = token.content, token.map[0]
        children = [c for c in token.children or [] if not (c.type == "text" and not c.content.strip())]
        if container == "question" and _ANSWER.match(content):
            if text_question:
                for offset, part in enumerate(content.split("\n")):
                    match = _ANSWER.match(part.strip())
                    if match:
                        self.add(part.strip(), line + offset, ACCEPTED_ANSWER, True, lead=_ANSWER)
            return
        if container == "activity" and _ACTIVITY_KEY.match(content):
            for offset, part in enumerate(content.split("\n")):
                key = _ACTIVITY_KEY.match(part.strip())
                if key:
                    context = ACTIVITY_GROUP if key[1].lower() == "group" else ACTIVITY_MATERIALS
                    self.add(part.strip(), line + offset, context, True, lead=_ACTIVITY_KEY)
            return
        if len(children) == 1 and children[0].type == "image":
            image = children[0]
            alt = image.content
            if alt.strip():
                self.add(content, line, IMAGE_DESCRIPTION, True, lead=re.compile(r"^!\["),
                         tail=len(content.strip()) - len(alt) - 2)
            return
        if list_item and container == "question" and _OPTION.match(content):
            self.add(content, line, lead=_OPTION)
        elif list_item and container == "step" and _CHOICE.match(content.strip()):
            choice = _CHOICE.match(content.strip())[1]
            self.add(content, line, SCENARIO_CHOICE, True, lead=re.compile(r"^\["),
                     tail=len(content.strip()) - len(choice) - 1)
        elif list_item and container == "agenda":
            self.add(content, line, AGENDA_BLOCK, True, lead=_TIMED)
        elif list_item and container == "item":
            self.add(content, line, SCALE_POINT, True)
        else:
            self.add(content, line, single_line=single_line)

    def info_title(self, line: int, name: str) -> None:
        """Record the title on a container's opening line, after its name, settings and ids."""
        source = self.lines[line]
        match = re.match(r"^\s*:{3,}\s*" + re.escape(name) + r"\b", source)
        if not match:
            return
        rest = source[match.end():]
        words = list(re.finditer(r"\S+", rest))
        if name == "activity":
            timed = _TIMED.match(rest.strip())
            if not timed:
                return
            begin = len(rest) - len(rest.lstrip()) + timed.end()
        else:
            kept = [w for w in words if not _SETTING_WORD.match(w.group())]
            if not kept:
                return
            begin = kept[0].start()
        title = rest[begin:].rstrip()
        if title:
            start = self.offsets[line] + match.end() + begin
            self.segments.append(Segment(title, line + 1, start, start + len(title), single_line=True))

    def yaml_fields(self, text: str, offset: int, first_line: int, keys: tuple[str, ...]) -> None:
        """Record the values of ``keys`` in a YAML mapping that starts at character ``offset``."""
        try:
            root = yaml.compose(text, Loader=YAML_LOADER)
        except yaml.YAMLError:
            return  # the reader reports it
        if not isinstance(root, yaml.MappingNode):
            return
        for key, value in root.value:
            if key.value not in keys:
                continue
            scalars = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for scalar in scalars:
                if isinstance(scalar, yaml.ScalarNode) and str(scalar.value).strip():
                    start = offset + scalar.start_mark.index
                    end = start + len(text[scalar.start_mark.index:scalar.end_mark.index].rstrip())
                    shown = " ".join(str(scalar.value).split())
                    self.segments.append(Segment(shown, first_line + scalar.start_mark.line + 1, start, end,
                                                 yaml=True))
