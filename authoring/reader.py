"""Read a course folder (``course.yaml`` and ``modules/*.md``) into the model.

Every problem is collected with its file and line rather than raised at the
first one, so ``passerelle check`` can list them all at once.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import yaml
from markdown_it.tree import SyntaxTreeNode

from . import model, nodes
from .images import IMAGE_TYPES, ImageError
from .images import inspect as inspect_image
from .markdown import CALLOUTS, markdown
from .problems import CourseError, Problems
from .quiz import read_quiz

COURSE_FILE = "course.yaml"
MODULES_DIR = "modules"

COURSE_KEYS = {
    "id": "the course's stable identity, an absolute IRI (https://...)",
    "title": "the course title",
    "version": "the version of this release of the course, e.g. \"1.0\"",
    "description": "a paragraph describing the course",
    "source_language": "the language the Markdown is written in, e.g. en",
    "languages": "the languages the course is delivered in",
    "audience": "who the course is for",
    "objectives": "what learners will be able to do",
    "modules": "module file names (without .md), in the order learners take them",
}
COURSE_REQUIRED = ("id", "title", "version", "source_language", "modules")

MODULE_KEYS = {
    "type": "self-paced or live",
    "title": "the module title",
    "duration": "expected duration in minutes",
    "objectives": "what learners will be able to do after the module",
    "pass_mark": "share of quiz points needed to pass, e.g. 0.7 or \"70%\"",
}
MODULE_REQUIRED = ("type", "title", "duration")

#: "15 min: Welcome" -- an agenda line or an activity's heading.
_TIMED = re.compile(r"^(\d+)\s*min(?:utes?|s)?\s*[:\u2014\u2013-]\s*(.+)$")
_IRI = re.compile(r"^https?://[^\s/]+\S*$")


def read_course(course_dir: str | Path) -> tuple[model.Course | None, Problems]:
    """Parse a course folder; return the course (None if unreadable) and its problems."""
    course_dir = Path(course_dir)
    problems = Problems()
    course_path = course_dir / COURSE_FILE
    if not course_path.is_file():
        problems.error(course_path, 1, "no course.yaml in this folder",
                       "a course folder holds course.yaml and a modules/ folder")
        return None, problems
    meta, lines = _load_yaml(course_path, course_path.read_text(encoding="utf-8"), 0, problems)
    if meta is None:
        return None, problems
    _check_keys(meta, lines, COURSE_KEYS, COURSE_REQUIRED, course_path, 1, problems)
    iri = str(meta.get("id", ""))
    if iri and not _IRI.match(iri):
        problems.error(course_path, lines.get("id", 1), f"course id {iri!r} is not an absolute IRI",
                       "use a stable address your academy controls, e.g. https://academy.example.org/courses/NAME")
    iri = iri.rstrip("/")
    course = model.Course(
        iri=iri,
        slug=course_dir.resolve().name,
        title=str(meta.get("title", "")),
        version=str(meta.get("version", "")),
        description=str(meta.get("description", "")).strip(),
        source_language=str(meta.get("source_language", "en")),
        languages=[str(x) for x in _as_list(meta.get("languages")) or [meta.get("source_language", "en")]],
        audience=str(meta.get("audience", "")).strip(),
        objectives=[str(x) for x in _as_list(meta.get("objectives"))],
    )
    seen = set()
    for slug in _as_list(meta.get("modules")):
        slug = str(slug)
        line = lines.get("modules", 1)
        if slug in seen:
            problems.error(course_path, line, f"module {slug!r} is listed twice")
            continue
        seen.add(slug)
        path = course_dir / MODULES_DIR / f"{slug}.md"
        if not path.is_file():
            known = sorted(p.stem for p in (course_dir / MODULES_DIR).glob("*.md"))
            problems.error(course_path, line, f"module {slug!r} has no file {MODULES_DIR}/{slug}.md",
                           _did_you_mean(slug, known) or "create the file or remove the module from the list")
            continue
        module = read_module(path, f"{iri}/modules/{slug}", problems)
        if module is not None:
            course.modules.append(module)
    if "modules" in meta and not course.modules and not problems.errors:
        problems.error(course_path, lines.get("modules", 1), "the course has no modules")
    return course, problems


def load_course(course_dir: str | Path) -> tuple[model.Course, Problems]:
    """Parse a course folder; raise :class:`CourseError` if it has any error."""
    course, problems = read_course(course_dir)
    if problems.errors or course is None:
        raise CourseError(problems.sorted())
    return course, problems


def read_module(path: Path, iri: str, problems: Problems) -> model.Module | None:
    """Parse one module's Markdown file."""
    shown = str(path)
    text = path.read_text(encoding="utf-8")
    tokens = markdown().parse(text)
    root = SyntaxTreeNode(tokens)
    children = list(root.children)
    if not children or children[0].type != "front_matter":
        problems.error(shown, 1, "the module has no front matter",
                       "start the file with a --- block giving type, title and duration")
        return None
    front = children[0]
    meta, lines = _load_yaml(shown, front.content, 1, problems)
    if meta is None:
        return None
    _check_keys(meta, lines, MODULE_KEYS, MODULE_REQUIRED, shown, 1, problems)
    module_type = meta.get("type")
    if module_type is not None and module_type not in model.MODULE_TYPES:
        problems.error(shown, lines.get("type", 1), f"unknown module type {module_type!r}",
                       "use type: self-paced or type: live")
    module = model.Module(
        slug=path.stem,
        iri=iri,
        type=str(module_type or model.SELF_PACED),
        title=str(meta.get("title", "")),
        duration=_minutes(meta.get("duration"), shown, lines.get("duration", 1), problems),
        objectives=[str(x) for x in _as_list(meta.get("objectives"))],
    )
    src_lines = text.splitlines()
    for node in nodes.unclosed_containers(root, src_lines):
        opening = src_lines[node.map[0]].strip()
        problems.error(shown, nodes.line(node), f"the block '{opening}' is never closed",
                       f"end it with a line of {opening.split()[0].count(':')} colons after its content")
    if module.type == model.LIVE:
        _read_live(module, children[1:], src_lines, shown, problems)
    else:
        pass_mark = _pass_mark(meta.get("pass_mark", 0.7), shown, lines.get("pass_mark", 1), problems)
        _read_self_paced(module, children[1:], src_lines, pass_mark, shown, problems)
    return module


def _read_self_paced(module, blocks, src_lines, pass_mark, path, problems) -> None:
    """Each ``#`` heading starts a page; a ``:::: quiz`` block ends the module."""
    segments: list[str] = []
    page = None

    def close_page():
        if page is not None:
            page.body = "\n\n".join(segments)
            module.pages.append(page)

    for node in blocks:
        line = nodes.line(node)
        if node.type == "heading" and node.tag == "h1":
            close_page()
            title = nodes.inline_text(node)
            page = model.Page(id=_unique_slug(title, {p.id for p in module.pages}), title=title, body="", line=line)
            segments = []
        elif node.type == "container_quiz":
            if module.quiz is not None:
                problems.error(path, line, "a module has at most one quiz",
                               "merge the questions into the first quiz")
                continue
            module.quiz = read_quiz(node, pass_mark, path, problems, src_lines)
        elif node.type.startswith("container_") and node.type[10:] not in CALLOUTS:
            problems.error(path, line, f"'{node.type[10:]}' blocks belong in live modules",
                           "use them in a module with type: live")
        elif page is None:
            problems.error(path, line, "text before the first page heading",
                           "start each page with a '# Title' line")
        elif module.quiz is not None:
            problems.error(path, line, "page content after the quiz", "the quiz must come last in the module")
        else:
            segments.append(nodes.source(node, src_lines))
            _read_images(module, node, Path(path), problems)
    close_page()
    if not module.pages:
        problems.error(path, 1, "a self-paced module needs at least one page", "add a '# Title' line and some text")


def _read_images(module: model.Module, node, path: Path, problems: Problems) -> None:
    """Check every image of a block and record where its file lies in the course folder."""
    course_dir = path.parent.parent.resolve()
    for src, alt, line in nodes.images(node):
        if not alt:
            problems.error(path, line, f"image {src!r} has no alt text",
                           "describe the image in the brackets: ![what the image shows](file.png)")
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", src):
            problems.warning(path, line, f"image {src!r} is not in the course folder",
                             "learners on slow connections load it from another site; copy it into the course")
            continue
        file = (path.parent / src).resolve()
        if not file.is_relative_to(course_dir):
            problems.error(path, line, f"image {src!r} is outside the course folder",
                           "keep images inside the course folder, e.g. in images/")
        elif file.suffix.lower() not in IMAGE_TYPES:
            problems.error(path, line, f"image {src!r} is not a PNG, JPEG, GIF or WebP file")
        elif not file.is_file():
            problems.error(path, line, f"image {src!r} does not exist", f"no file at {file.relative_to(course_dir)}")
        else:
            try:
                inspect_image(file)
            except ImageError as exc:
                problems.error(path, line, f"image {src!r}: {exc}", "save a smaller version of the image")
            else:
                module.assets[src] = file.relative_to(course_dir).as_posix()


def _read_live(module, blocks, src_lines, path, problems) -> None:
    """A live module: an agenda, slides (``#`` headings), activities and notes."""
    slide = None
    agenda_line = 0
    for node in blocks:
        line = nodes.line(node)
        if node.type == "container_agenda":
            agenda_line = line
            _read_agenda(module, node, path, problems)
        elif node.type == "heading" and node.tag == "h1":
            slide = model.Slide(title=nodes.inline_text(node), bullets=[], line=line)
            module.slides.append(slide)
        elif node.type == "container_activity":
            slide = _read_activity(node, path, problems)
            module.slides.append(slide)
        elif node.type == "container_notes":
            if slide is None:
                problems.error(path, line, "facilitator notes before any slide",
                               "put '::: notes' after the slide heading they belong to")
            else:
                slide.notes = _join_notes(slide.notes, nodes.plain_blocks(node.children))
        elif node.type == "container_quiz":
            problems.error(path, line, "quizzes belong in self-paced modules", "move the quiz to a self-paced module")
        elif slide is None:
            problems.error(path, line, "text before the first slide heading",
                           "start each slide with a '# Title' line")
        else:
            slide.bullets.extend(nodes.plain_blocks([node]))
    if not module.agenda:
        problems.error(path, 1, "a live module needs an agenda",
                       "add a '::: agenda' block listing '15 min: Welcome' lines")
    elif module.duration and sum(a.minutes for a in module.agenda) != module.duration:
        total = sum(a.minutes for a in module.agenda)
        problems.warning(path, agenda_line, f"the agenda adds up to {total} min but the module lasts {module.duration} min",
                         "adjust the timings or the duration in the front matter")
    if not module.slides:
        problems.error(path, 1, "a live module needs at least one slide or activity",
                       "add a '# Title' line or an activity block")


def _read_agenda(module, node, path, problems) -> None:
    for child in node.children:
        items = child.children if child.type == "bullet_list" else [child]
        for item in items:
            text = nodes.item_text(item) if item.type == "list_item" else ""
            match = _TIMED.match(text)
            if not match:
                problems.error(path, nodes.line(item), "an agenda line must read '15 min: what happens'",
                               "list each block as '- 15 min: Welcome and objectives'")
                continue
            module.agenda.append(model.AgendaItem(int(match[1]), match[2].strip(), nodes.line(item)))


def _read_activity(node, path, problems) -> model.Slide:
    line = nodes.line(node)
    info = nodes.container_info(node, "activity")
    match = _TIMED.match(info)
    minutes = None
    if match:
        minutes, title = int(match[1]), match[2].strip()
    else:
        title = info
        problems.error(path, line, "an activity needs a duration and a title",
                       "write ':::: activity 30 min: Title of the activity'")
    slide = model.Slide(title=title, bullets=[], kind="activity", minutes=minutes, line=line)
    for child in node.children:
        if child.type == "container_notes":
            slide.notes = _join_notes(slide.notes, nodes.plain_blocks(child.children))
        else:
            slide.bullets.extend(nodes.plain_blocks([child]))
    return slide


# -- small helpers ---------------------------------------------------------

def _load_yaml(path, text: str, offset: int, problems: Problems) -> tuple[dict | None, dict[str, int]]:
    """Parse YAML; return the mapping and the 1-based line of each top-level key."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = offset + (mark.line + 1 if mark else 1)
        problems.error(path, line, f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
                       "check indentation and quote values that contain ':'")
        return None, {}
    if not isinstance(data, dict):
        problems.error(path, offset + 1, "expected 'key: value' lines", "see docs/authoring.md for the keys")
        return None, {}
    lines = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            lines[str(key_node.value)] = offset + key_node.start_mark.line + 1
    return data, lines


def _check_keys(data, lines, known, required, path, line, problems) -> None:
    for key in data:
        if key not in known:
            problems.error(path, lines.get(str(key), line), f"unknown key {key!r}",
                           _did_you_mean(str(key), list(known)) or f"known keys: {', '.join(known)}")
    for key in required:
        if key not in data or data[key] in (None, ""):
            problems.error(path, line, f"missing {key!r}", f"add '{key}:' ({known[key]})")


def _did_you_mean(word: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1)
    return f"did you mean {close[0]!r}?" if close else ""


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _minutes(value, path, line, problems) -> int:
    if value is None:
        return 0
    match = re.fullmatch(r"\s*(\d+)\s*(min|minutes|h|hours?)?\s*", str(value))
    if not match:
        problems.error(path, line, f"duration {value!r} is not a number of minutes", "write e.g. 'duration: 45'")
        return 0
    unit = match[2] or "min"
    return int(match[1]) * (60 if unit.startswith("h") else 1)


def _pass_mark(value, path, line, problems) -> float:
    text = str(value).strip()
    try:
        mark = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        mark = -1.0
    if not 0 < mark <= 1:
        problems.error(path, line, f"pass mark {value!r} is not between 0 and 1", "write e.g. 'pass_mark: 70%'")
        return 0.7
    return mark


def _join_notes(existing: str, lines: list[str]) -> str:
    return "\n".join(filter(None, [existing, *lines]))


def _slugify(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", nodes.plain(text).lower(), flags=re.UNICODE).strip("-")
    return slug or "page"


def _unique_slug(text: str, taken: set[str]) -> str:
    base = _slugify(text)
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug

