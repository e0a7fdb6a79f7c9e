"""Read a course folder (``course.yaml`` and ``modules/*.md``) into the model.

Every problem is collected with its file and line rather than raised at the
first one, so ``passerelle check`` can list them all at once.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from markdown_it.tree import SyntaxTreeNode

from . import model, nodes
from .cache import BuildCache, code_version
from .cache import key as cache_key
from .deck import TEMPLATE, TemplateError, check_template
from .files import MAX_DOWNLOAD_BYTES, human_size, kind_of, parse_size
from .images import IMAGE_TYPES, ImageError
from .images import inspect as inspect_image
from .locales import locale_of
from .markdown import GLOSSARY, internal_link, markdown
from .parallel import map_work
from .problems import CourseError, Problem, Problems
from .quiz import read_quiz
from .scenario import read_scenario
from .survey import read_survey

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
    "prerequisites": "what learners should know or have done before the course",
    "modules": "module file names (without .md), in the order learners take them",
    "completion": "the modules that make the course complete, each 'completed' or a quiz score such as 70%",
    "live_completion": "the attendance marks that complete a live module, e.g. [present]; present and late by default",
    "knowledge": "pre/post knowledge tests: a list of '{pre: module, post: module}' whose quizzes are compared",
    "follow_up": "a follow-up survey: '{module: module with a survey, after_days: 90}' after the course's completion",
}
COURSE_REQUIRED = ("id", "title", "version", "source_language", "modules")

MODULE_KEYS = {
    "type": "self-paced or live",
    "title": "the module title",
    "duration": "expected duration in minutes",
    "objectives": "what learners will be able to do after the module",
    "prerequisites": "modules (file names without .md) to take before this one",
    "pass_mark": "share of quiz points needed to pass, e.g. 0.7 or \"70%\"",
    "graded": "who grades the quiz: device (a practice quiz, graded offline too) or server (its key stays there)",
}
MODULE_REQUIRED = ("type", "title", "duration")

#: Blocks that only make sense inside another block.
_PARENTS = {"question": "quiz", "item": "survey", "step": "scenario", "debrief": "scenario"}
#: Blocks of live modules.
_LIVE_ONLY = ("agenda", "activity", "notes", "handout")
#: Blocks of self-paced modules, with their plural.
_SELF_PACED_ONLY = {"quiz": "quizzes", "scenario": "scenarios"}
#: "15 min: Welcome" -- an agenda line or an activity's heading.
_TIMED = re.compile(r"^(\d+)\s*min(?:utes?|s)?\s*[:\u2014\u2013-]\s*(.+)$")
#: "group: 4 to 6 people" or "materials: map, phone list" at the top of an activity.
_ACTIVITY_KEY = re.compile(r"^(group|materials):\s*(.*)$", re.I)
_IRI = re.compile(r"^https?://[^\s/]+\S*$")


def read_course(course_dir: str | Path, cache: BuildCache | None = None) -> tuple[model.Course | None, Problems]:
    """Parse a course folder; return the course (None if unreadable) and its problems.

    With a ``cache``, a module whose file and images are unchanged since an
    earlier read without errors is taken from the cache instead of parsed.
    """
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
        prerequisites=[str(x) for x in _as_list(meta.get("prerequisites"))],
    )
    _check_languages(course, lines, course_path, problems)
    template = course_dir / TEMPLATE
    if template.exists():
        try:
            check_template(template)
        except TemplateError as exc:
            problems.error(template, 1, str(exc), "save the academy's template from PowerPoint as a .pptx file, "
                           "or remove it to use the default look")
    pending: list[_Ref] = []
    seen = set()
    jobs = []
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
        jobs.append((path, f"{iri}/modules/{slug}"))
    course.modules = [m for m in _read_modules(jobs, problems, pending, cache) if m is not None]
    if "modules" in meta and not course.modules and not problems.errors:
        problems.error(course_path, lines.get("modules", 1), "the course has no modules")
    _check_refs(course, pending, problems)
    if "follow_up" in meta:
        course.follow_up = _read_follow_up(course, meta["follow_up"], course_path, lines, problems)
    course.completion = _read_completion(course, meta.get("completion"), course_path, lines, problems)
    if "live_completion" in meta:
        course.live_completion = _read_live_completion(meta["live_completion"], course_path, lines, problems)
    if "knowledge" in meta:
        course.knowledge = _read_knowledge(course, meta["knowledge"], course_path, lines, problems)
    return course, problems


def load_course(course_dir: str | Path, cache: BuildCache | None = None) -> tuple[model.Course, Problems]:
    """Parse a course folder; raise :class:`CourseError` if it has any error."""
    course, problems = read_course(course_dir, cache)
    if problems.errors or course is None:
        raise CourseError(problems.sorted())
    return course, problems


def _read_modules(jobs: list[tuple[Path, str]], problems: Problems, pending: list[_Ref],
                  cache: BuildCache | None) -> list[model.Module | None]:
    """Read modules given as (file, IRI), taking from the cache those whose file and the files they use
    are unchanged, and reading the others, in several processes when there are many."""
    results: list[tuple[model.Module | None, list[Problem], list[_Ref]] | None] = []
    keys = []
    for path, iri in jobs:
        entry_key = cache_key(code_version(), iri, str(path), path.read_bytes())
        keys.append(entry_key)
        results.append(_cached_module(cache.get_json("modules", entry_key), path) if cache else None)
    missing = [index for index, result in enumerate(results) if result is None]
    for index, result in zip(missing, map_work(_read_one, None, [jobs[i] for i in missing]), strict=True):
        results[index] = result
        module, items, refs = result
        if cache is not None and module is not None and not any(p.severity == "error" for p in items):
            course_dir = jobs[index][0].parent.parent
            files = {name: _file_hash(course_dir / name) for name in sorted(set(module.assets.values()))}
            cache.put_json("modules", keys[index], {
                "module": module.to_dict(), "files": files,
                "problems": [dataclasses.asdict(p) for p in items],
                "refs": [{**dataclasses.asdict(r), "path": str(r.path)} for r in refs],
            })
    modules = []
    for module, items, refs in results:
        problems.items.extend(items)
        pending.extend(refs)
        modules.append(module)
    return modules


def _read_one(_shared, job: tuple[Path, str]) -> tuple[model.Module | None, list[Problem], list[_Ref]]:
    path, iri = job
    own, refs = Problems(), []
    module = read_module(path, iri, own, refs)
    return module, own.items, refs


def _cached_module(entry, path: Path) -> tuple[model.Module, list[Problem], list[_Ref]] | None:
    """Return a module from its cache entry if the files it uses are unchanged; None otherwise."""
    if entry is None:
        return None
    course_dir = path.parent.parent
    try:
        if not all(_file_hash(course_dir / name) == digest for name, digest in entry["files"].items()):
            return None
        return (model.Module.from_dict(entry["module"]),
                [Problem(**p) for p in entry["problems"]],
                [_Ref(**{**r, "path": Path(r["path"]), "target": tuple(r["target"])}) for r in entry["refs"]])
    except (KeyError, TypeError, ValueError):
        return None  # an entry of another shape: read the module again


def _file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def read_module(path: Path, iri: str, problems: Problems, pending: list[_Ref] | None = None,
                text: str | None = None) -> model.Module | None:
    """Parse one module's Markdown file; links to other modules are added to ``pending`` for checking.

    ``text``, if given, is read in place of the file's contents (a translation of it).
    """
    shown = str(path)
    text = path.read_text(encoding="utf-8") if text is None else text
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
        prerequisites=[str(x) for x in _as_list(meta.get("prerequisites"))],
    )
    src_lines = text.splitlines()
    pending = pending if pending is not None else []
    pending.extend(_Ref(path, lines.get("prerequisites", 1), module.slug, (slug, None), prerequisite=True)
                   for slug in module.prerequisites)
    reader = _BlockReader(module, Path(path), problems, src_lines, pending)
    for node in nodes.unclosed_containers(root, src_lines):
        opening = src_lines[node.map[0]].strip()
        problems.error(shown, nodes.line(node), f"the block '{opening}' is never closed",
                       f"end it with a line of {opening.split()[0].count(':')} colons after its content")
    if module.type == model.LIVE:
        _read_live(reader, children[1:])
    else:
        pass_mark = _pass_mark(meta.get("pass_mark", 0.7), shown, lines.get("pass_mark", 1), problems)
        graded = _graded(meta.get("graded", model.DEVICE), shown, lines.get("graded", 1), problems)
        _read_self_paced(reader, children[1:], pass_mark, graded)
    return module


@dataclass
class _Ref:
    """A link to a page of the course, or a prerequisite, checked once every module is read."""

    path: Path
    line: int
    module: str  # the module that refers
    target: tuple[str | None, str | None]  # (module slug or None for the same module, page id or None)
    prerequisite: bool = False
    column: int = 1


class _BlockReader:
    """What every block reader of a module needs: the module, its file, the problems, the source lines."""

    def __init__(self, module: model.Module, path: Path, problems: Problems, lines: list[str],
                 pending: list[_Ref]) -> None:
        self.module, self.path, self.problems, self.lines, self.pending = module, path, problems, lines, pending

    def misplaced(self, node, live: bool) -> bool:
        """Report a ``:::`` block that does not belong where it is; return True if it was one."""
        name = node.type[len("container_"):] if node.type.startswith("container_") else ""
        line = nodes.line(node)
        if name in _PARENTS:
            self.problems.error(self.path, line, f"'{name}' blocks belong inside a '{_PARENTS[name]}' block",
                                f"wrap it in ':::: {_PARENTS[name]}' ... '::::'")
        elif name in _LIVE_ONLY and not live:
            self.problems.error(self.path, line, f"'{name}' blocks belong in live modules",
                                "use them in a module with type: live")
        elif name in _SELF_PACED_ONLY and live:
            self.problems.error(self.path, line, f"{_SELF_PACED_ONLY[name]} belong in self-paced modules",
                                f"move the {name} to a self-paced module")
        else:
            return False
        return True

    def position(self, text: str, line: int) -> tuple[int, int]:
        """Return the line and column of ``text`` from ``line`` on (a link's target), or ``(line, 1)``."""
        for number in range(line, min(line + 50, len(self.lines) + 1)):
            column = self.lines[number - 1].find(text)
            if column >= 0:
                return number, column + 3
        return line, 1

    def check_block(self, node) -> None:
        """Check the images and links of a block of text, recording the files they use."""
        self.read_images(node)
        self.read_links(node)

    def read_images(self, node) -> list[model.Picture]:
        """Check every image of a block and record where its file lies in the course folder."""
        module, path, problems = self.module, self.path, self.problems
        course_dir = path.parent.parent.resolve()
        found = []
        for src, alt, line in nodes.images(node):
            line, column = self.position(f"]({src}", line)
            if not alt:
                problems.error(path, line, f"image {src!r} has no alt text",
                               "describe the image in the brackets: ![what the image shows](file.png)", column=column)
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", src):
                problems.warning(path, line, f"image {src!r} is not in the course folder",
                                 "learners on slow connections load it from another site; copy it into the course", column=column)
                continue
            file = (path.parent / src).resolve()
            if not file.is_relative_to(course_dir):
                problems.error(path, line, f"image {src!r} is outside the course folder",
                               "keep images inside the course folder, e.g. in images/", column=column)
            elif file.suffix.lower() not in IMAGE_TYPES:
                problems.error(path, line, f"image {src!r} is not a PNG, JPEG, GIF or WebP file", column=column)
            elif not file.is_file():
                problems.error(path, line, f"image {src!r} does not exist",
                               f"no file at {file.relative_to(course_dir)}", column=column)
            else:
                try:
                    inspect_image(file)
                except ImageError as exc:
                    problems.error(path, line, f"image {src!r}: {exc}", "save a smaller version of the image", column=column)
                else:
                    module.assets[src] = file.relative_to(course_dir).as_posix()
                    found.append(model.Picture(src, alt))
        return found

    def read_links(self, node) -> None:
        """Check every link of a block: pages of the course, downloads and media."""
        module, path, problems = self.module, self.path, self.problems
        course_dir = path.parent.parent.resolve()
        for href, declared, line in nodes.links(node):
            line, column = self.position(f"]({href}", line)
            target = internal_link(href)
            if target is not None:
                self.pending.append(_Ref(path, line, module.slug, target, column=column))
                continue
            if declared is not None and parse_size(declared) is None:
                problems.error(path, line, f"size {declared!r} of link {href!r} is not a size",
                               "write it like {size=38MB} or {size=800KB}", column=column)
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", href) or href.startswith("/"):
                if kind_of(href) == "media" and declared is None:
                    problems.warning(path, line, f"media link {href!r} does not say how large it is",
                                     "add its size after the link, e.g. [Watch](https://...){size=38MB}, "
                                     "so learners on slow connections can decide", column=column)
                continue
            file = (path.parent / href.split("#", 1)[0]).resolve()
            if not file.is_relative_to(course_dir):
                problems.error(path, line, f"link {href!r} points outside the course folder",
                               "keep handouts inside the course folder, e.g. in handouts/", column=column)
            elif not kind_of(href):
                problems.error(path, line, f"link {href!r} is neither a page of the course nor a file to download",
                               "link to other-module.md#page-id, or to a PDF, Office, text or media file", column=column)
            elif not file.is_file():
                problems.error(path, line, f"link {href!r}: the file does not exist",
                               f"no file at {file.relative_to(course_dir)}", column=column)
            elif file.stat().st_size > MAX_DOWNLOAD_BYTES:
                problems.error(path, line, f"file {href!r} is larger than {human_size(MAX_DOWNLOAD_BYTES)}",
                               "offer a smaller file, or link to where it is published", column=column)
            else:
                relative = file.relative_to(course_dir).as_posix()
                module.assets[href] = relative
                module.downloads[relative] = file.stat().st_size

    def read_glossary(self, node) -> None:
        """Collect the terms of a ``::: glossary`` block (a definition list)."""
        known = {t.term.casefold() for t in self.module.glossary}
        for child in node.children:
            if child.type != "dl":
                self.problems.error(self.path, nodes.line(child), "a glossary holds only terms and definitions",
                                    "write the term on one line and ': its definition' on the next")
                continue
            term = None
            for entry in child.children:
                if entry.type == "dt":
                    term = model.Term(nodes.inline_text(entry), "", nodes.line(entry))
                    if term.term.casefold() in known:
                        self.problems.warning(self.path, term.line, f"the term {term.term!r} is defined twice",
                                              "keep one definition")
                    known.add(term.term.casefold())
                    self.module.glossary.append(term)
                elif entry.type == "dd" and term is not None:
                    paragraphs = [nodes.inline_text(c) for c in entry.children if c.type == "paragraph"]
                    term.definition = "\n\n".join(filter(None, [term.definition, *paragraphs]))
            self.check_block(child)


def _read_self_paced(reader: _BlockReader, blocks, pass_mark: float, graded: str) -> None:
    """Each ``#`` heading starts a page; quizzes, surveys and scenarios are read as such."""
    module, path, problems = reader.module, reader.path, reader.problems
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
            module.quiz = read_quiz(node, pass_mark, path, problems, reader.lines, graded)
        elif node.type == "container_survey":
            _read_survey(reader, node)
        elif node.type == "container_scenario":
            taken = {s.id for s in module.scenarios}
            scenario = read_scenario(node, _unique_slug(nodes.container_info(node, "scenario"), taken), path,
                                     problems, reader.lines, reader.check_block)
            if scenario.id in taken:
                problems.error(path, line, f"scenario id {scenario.id!r} is used twice in the module",
                               "give each scenario its own #id")
            module.scenarios.append(scenario)
        elif reader.misplaced(node, live=False):
            continue
        elif page is None:
            problems.error(path, line, "text before the first page heading",
                           "start each page with a '# Title' line")
        elif module.quiz is not None or module.survey is not None:
            problems.error(path, line, "page content after the quiz or survey",
                           "quizzes and surveys come after the module's pages")
        else:
            if node.type == f"container_{GLOSSARY}":
                reader.read_glossary(node)
            else:
                reader.check_block(node)
            segments.append(nodes.source(node, reader.lines))
    close_page()
    if not module.pages:
        problems.error(path, 1, "a self-paced module needs at least one page", "add a '# Title' line and some text")


def _read_survey(reader: _BlockReader, node) -> None:
    if reader.module.survey is not None:
        reader.problems.error(reader.path, nodes.line(node), "a module has at most one survey",
                              "merge the items into the first survey")
    else:
        reader.module.survey = read_survey(node, reader.path, reader.problems)


def _read_live(reader: _BlockReader, blocks) -> None:
    """A live module: an agenda, slides (``#`` headings), activities, notes, handout text."""
    module, path, problems = reader.module, reader.path, reader.problems
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
            slide = _read_activity(reader, node)
            module.slides.append(slide)
        elif node.type == "container_notes":
            if slide is None:
                problems.error(path, line, "facilitator notes before any slide",
                               "put '::: notes' after the slide heading they belong to")
            else:
                slide.notes = _join_notes(slide.notes, nodes.plain_blocks(node.children))
        elif node.type == "container_handout":
            reader.check_block(node)
            module.handout = "\n\n".join(filter(None, [module.handout, nodes.child_source(node, reader.lines)]))
        elif node.type == f"container_{GLOSSARY}":
            reader.read_glossary(node)
        elif node.type == "container_survey":
            _read_survey(reader, node)
        elif reader.misplaced(node, live=True):
            continue
        elif slide is None:
            problems.error(path, line, "text before the first slide heading",
                           "start each slide with a '# Title' line")
        else:
            _read_slide_block(reader, slide, node)
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


def _read_slide_block(reader: _BlockReader, slide: model.Slide, node) -> None:
    """Add a block to a slide: a table, pictures, or text as bullets."""
    reader.read_links(node)
    if node.type == "table":
        slide.tables.append(nodes.table_rows(node))
        return
    slide.images.extend(reader.read_images(node))
    slide.bullets.extend(nodes.plain_blocks([node]))


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


def _read_activity(reader: _BlockReader, node) -> model.Slide:
    path, problems = reader.path, reader.problems
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
    for index, child in enumerate(node.children):
        text = nodes.inline_text(child) if child.type == "paragraph" else ""
        if index == 0 and _ACTIVITY_KEY.match(text.split("\n", 1)[0]):
            for offset, part in enumerate(text.splitlines()):
                key = _ACTIVITY_KEY.match(part)
                if not key:
                    problems.error(path, nodes.line(child) + offset, "a line among the activity's settings does not "
                                   "start with 'group:' or 'materials:'", "leave a blank line before the instructions")
                elif key[1].lower() == "group":
                    slide.group = key[2].strip()
                else:
                    slide.materials = [m.strip() for m in key[2].split(",") if m.strip()]
        elif child.type == "container_notes":
            slide.notes = _join_notes(slide.notes, nodes.plain_blocks(child.children))
        elif not reader.misplaced(child, live=True):
            _read_slide_block(reader, slide, child)
    return slide


def _check_refs(course: model.Course, pending: list[_Ref], problems: Problems) -> None:
    """Links lead to modules and pages that exist; prerequisites are earlier modules."""
    order = [m.slug for m in course.modules]
    for ref in pending:
        slug, page_id = ref.target
        module = course.module(slug or ref.module)
        if ref.prerequisite:
            if module is None:
                problems.error(ref.path, ref.line, f"prerequisite {slug!r} is not a module of the course",
                               _did_you_mean(slug, order) or "list module file names without .md", column=ref.column)
            elif order.index(slug) >= order.index(ref.module):
                problems.error(ref.path, ref.line, f"prerequisite {slug!r} does not come before this module",
                               "move it earlier in course.yaml's module list", column=ref.column)
        elif module is None:
            problems.error(ref.path, ref.line, f"the link leads to module {slug!r}, which is not in the course",
                           _did_you_mean(slug, order)
                           or "link to a module listed in course.yaml, e.g. other-module.md#page-id", column=ref.column)
        elif page_id is not None and module.page(page_id) is None:
            pages = [p.id for p in module.pages]
            problems.error(ref.path, ref.line, f"the link leads to page {page_id!r}, which is not in module "
                           f"{module.slug!r}", _did_you_mean(page_id, pages)
                           or (f"its pages: {', '.join(pages)}" if pages else "a live module has no pages; "
                               "link to the module itself"), column=ref.column)


def _read_completion(course: model.Course, value, path: Path, lines: dict[str, int], problems: Problems) -> list:
    """Read the completion rules; without any, every self-paced module but the follow-up survey's must be completed."""
    line = lines.get("completion", 1)
    if value is None:
        # The follow-up survey opens only after completion, so it cannot be one of its conditions by default.
        follow_up = course.follow_up.module if course.follow_up else None
        return [model.CompletionRule(m.slug, line=line) for m in course.modules
                if m.type == model.SELF_PACED and m.slug != follow_up]
    if not isinstance(value, dict) or not value:
        problems.error(path, line, "completion must list modules with 'completed' or a quiz score",
                       "write e.g. 'completion: {consular-crisis-cycle: 70%, registration: completed}'")
        return []
    rules = []
    for slug, requirement in value.items():
        line = lines.get(f"completion.{slug}", lines.get("completion", 1))
        module = course.module(str(slug))
        if module is None:
            problems.error(path, line, f"completion names module {slug!r}, which is not in the course",
                           _did_you_mean(str(slug), [m.slug for m in course.modules]) or "use a module file name")
            continue
        if str(requirement).strip().lower() == "completed":
            rules.append(model.CompletionRule(module.slug, line=line))
            continue
        if module.quiz is None:
            problems.error(path, line, f"completion asks for a score in {slug!r}, which has no quiz",
                           "write 'completed' for this module")
            continue
        rules.append(model.CompletionRule(module.slug, _pass_mark(requirement, path, line, problems), line))
    return rules


def _read_live_completion(value, path: Path, lines: dict[str, int], problems: Problems) -> list[str]:
    """Read which attendance marks complete a live module: some of model.ATTENDANCE_MARKS, at least one."""
    marks = []
    for index, mark in enumerate(_as_list(value)):
        mark = str(mark).strip()
        if mark not in model.ATTENDANCE_MARKS:
            problems.error(path, lines.get(f"live_completion[{index}]", lines.get("live_completion", 1)),
                           f"unknown attendance mark {mark!r} in live_completion",
                           _did_you_mean(mark, list(model.ATTENDANCE_MARKS))
                           or f"choose from {', '.join(model.ATTENDANCE_MARKS)}")
        elif mark not in marks:
            marks.append(mark)
    if not _as_list(value):
        problems.error(path, lines.get("live_completion", 1), "live_completion lists no attendance mark, so no "
                       "live module could be completed", "write e.g. 'live_completion: [present]', or remove the key "
                       "to count present and late")
    return marks or list(model.DEFAULT_LIVE_COMPLETION)


_KNOWLEDGE_KEYS = {"pre": "the module whose quiz is taken before", "post": "the module whose quiz is taken after"}
_KNOWLEDGE_EXAMPLE = "write e.g. 'knowledge: [{pre: first-module, post: first-module}]'"
_FOLLOW_UP_KEYS = {"module": "a self-paced module with a survey", "after_days": "days after the course's completion"}
_FOLLOW_UP_EXAMPLE = "write e.g. 'follow_up: {module: follow-up-survey, after_days: 90}'"


def _read_knowledge(course: model.Course, value, path: Path, lines: dict[str, int],
                    problems: Problems) -> list[model.KnowledgeTest]:
    """Read the pre/post knowledge tests: pairs of self-paced modules whose quizzes are compared."""
    if not isinstance(value, list) or not value:
        problems.error(path, lines.get("knowledge", 1), "knowledge must list pre/post tests, each with a 'pre' "
                       "and a 'post' module", _KNOWLEDGE_EXAMPLE)
        return []
    order = [m.slug for m in course.modules]
    tests: list[model.KnowledgeTest] = []
    for index, item in enumerate(value):
        where = f"knowledge[{index}]"
        line = lines.get(where, lines.get("knowledge", 1))
        if not isinstance(item, dict):
            problems.error(path, line, f"knowledge test {item!r:.80} is not a pair of 'pre' and 'post' modules",
                           "write '- pre: first-module' and, under it, '  post: first-module'")
            continue
        if not _check_entry(item, lines, where, line, _KNOWLEDGE_KEYS, "a knowledge test", path, problems):
            continue
        test = model.KnowledgeTest(str(item["pre"]), str(item["post"]), line)
        ok = True
        for key in ("pre", "post"):
            slug = str(item[key])
            module = _entry_module(course, slug, f"knowledge {key}-test", lines.get(f"{where}.{key}", line),
                                   path, problems)
            if module is None:
                ok = False
            elif module.quiz is None:
                problems.error(path, lines.get(f"{where}.{key}", line), f"knowledge {key}-test {slug!r} has no quiz",
                               "name a self-paced module that ends with a ':::: quiz' block")
                ok = False
        if not ok:
            continue
        if test.same_quiz and course.module(test.pre).quiz.attempts == 1:
            problems.error(path, line, f"the quiz of {test.pre!r} allows one attempt, so it cannot be taken again "
                           "as the post-test", "allow more attempts (e.g. ':::: quiz attempts=3') or name another "
                           "module's quiz as post")
        elif order.index(test.pre) > order.index(test.post):
            problems.error(path, line, f"pre-test {test.pre!r} comes after post-test {test.post!r} in the module list",
                           "list the pre-test's module earlier in 'modules', or swap pre and post")
        elif (test.pre, test.post) in {(t.pre, t.post) for t in tests}:
            problems.error(path, line, f"knowledge test {test.pre!r} -> {test.post!r} is listed twice",
                           "remove the second one")
        else:
            tests.append(test)
    return tests


def _read_follow_up(course: model.Course, value, path: Path, lines: dict[str, int],
                    problems: Problems) -> model.FollowUp | None:
    """Read the follow-up survey: a self-paced module's survey, due some days after the course's completion."""
    line = lines.get("follow_up", 1)
    if not isinstance(value, dict):
        problems.error(path, line, "follow_up must name a 'module' with a survey and 'after_days'", _FOLLOW_UP_EXAMPLE)
        return None
    if not _check_entry(value, lines, "follow_up", line, _FOLLOW_UP_KEYS, "follow_up", path, problems):
        return None
    slug, days = str(value["module"]), value["after_days"]
    ok = True
    module = _entry_module(course, slug, "follow_up", lines.get("follow_up.module", line), path, problems)
    if module is not None and module.survey is None:
        problems.error(path, lines.get("follow_up.module", line), f"follow_up module {slug!r} has no survey",
                       "name a self-paced module with a '::: survey' block")
        ok = False
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= model.MAX_FOLLOW_UP_DAYS:
        problems.error(path, lines.get("follow_up.after_days", line), f"after_days {days!r:.40} is not a whole number "
                       f"of days from 1 to {model.MAX_FOLLOW_UP_DAYS}", "write e.g. 'after_days: 90' for three months "
                       "after the course's completion")
        ok = False
    return model.FollowUp(slug, days, line) if ok and module is not None else None


def _check_entry(data: dict, lines: dict[str, int], where: str, line: int, known: dict[str, str], what: str,
                 path: Path, problems: Problems) -> bool:
    """Report unknown and missing keys of a mapping in course.yaml; return True if it has no such problem."""
    ok = True
    for key in data:
        if key not in known:
            problems.error(path, lines.get(f"{where}.{key}", line), f"unknown key {key!r} in {what}",
                           _did_you_mean(str(key), list(known)) or f"known keys: {', '.join(known)}")
            ok = False
    for key, meaning in known.items():
        if data.get(key) in (None, ""):
            problems.error(path, line, f"{what} is missing {key!r}", f"add '{key}:' ({meaning})")
            ok = False
    return ok


def _entry_module(course: model.Course, slug: str, what: str, line: int, path: Path,
                  problems: Problems) -> model.Module | None:
    """Return the self-paced module an M&E entry names, or report why there is none."""
    module = course.module(slug)
    if module is None:
        problems.error(path, line, f"{what} names module {slug!r}, which is not in the course",
                       _did_you_mean(slug, [m.slug for m in course.modules]) or "use a module file name without .md")
    elif module.type == model.LIVE:
        problems.error(path, line, f"{what} names live module {slug!r}",
                       "name a self-paced module, which each learner opens and answers on their own")
        return None
    return module


# -- small helpers ---------------------------------------------------------

#: libyaml's loader when PyYAML has it (it reads the same documents, several times faster), else PyYAML's own.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str):
    """Parse a YAML document as ``yaml.safe_load`` does."""
    return yaml.load(text, Loader=YAML_LOADER)


def _plainer(text: str, exc: yaml.YAMLError) -> yaml.YAMLError:
    """Return PyYAML's own error for a document libyaml refused: it says what it expected and what it found."""
    if YAML_LOADER is yaml.SafeLoader:
        return exc
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as plainer:
        return plainer
    return exc


def _load_yaml(path, text: str, offset: int, problems: Problems) -> tuple[dict | None, dict[str, int]]:
    """Parse YAML; return the mapping and the 1-based line of each top-level key, and of the keys or items under it."""
    try:
        node = yaml.compose(text, Loader=YAML_LOADER)
        data = load_yaml(text)
    except yaml.YAMLError as found:
        exc = _plainer(text, found)
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
        for key_node, value_node in node.value:
            lines[str(key_node.value)] = offset + key_node.start_mark.line + 1
            if isinstance(value_node, yaml.MappingNode):  # e.g. "completion.first"
                for sub_key, _ in value_node.value:
                    lines[f"{key_node.value}.{sub_key.value}"] = offset + sub_key.start_mark.line + 1
            elif isinstance(value_node, yaml.SequenceNode):  # e.g. "live_completion[1]"
                for index, item in enumerate(value_node.value):
                    lines[f"{key_node.value}[{index}]"] = offset + item.start_mark.line + 1
                    if isinstance(item, yaml.MappingNode):  # e.g. "knowledge[0].post"
                        for sub_key, _ in item.value:
                            lines[f"{key_node.value}[{index}].{sub_key.value}"] = offset + sub_key.start_mark.line + 1
    return data, lines


def _check_keys(data, lines, known, required, path, line, problems) -> None:
    for key in data:
        if key not in known:
            problems.error(path, lines.get(str(key), line), f"unknown key {key!r}",
                           _did_you_mean(str(key), list(known)) or f"known keys: {', '.join(known)}")
    for key in required:
        if key not in data or data[key] in (None, ""):
            problems.error(path, line, f"missing {key!r}", f"add '{key}:' ({known[key]})")


def _check_languages(course: model.Course, lines: dict, course_path: Path, problems: Problems) -> None:
    """The source language must be a language; a target that is not one is left out of the build."""
    hint = "use a language code such as en, fr, es, ru, ar or pt-BR"
    if locale_of(course.source_language) is None:
        problems.error(course_path, lines.get("source_language", 1),
                       f"source_language {course.source_language!r} is not a language code", hint)
    for code in course.languages:
        if locale_of(code) is None:
            problems.warning(course_path, lines.get("languages", 1),
                             f"{code!r} in languages is not a language code; it will not be built", hint)


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


def _graded(value, path, line, problems) -> str:
    if value not in model.GRADED_BY:
        problems.error(path, line, f"graded {value!r} is neither 'server' nor 'device'",
                       "write 'graded: server' for a test whose answer key stays on the server, or leave it out "
                       "for a practice quiz")
        return model.SERVER  # a test meant to count keeps its key on the server, whatever was misspelt
    return value


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

