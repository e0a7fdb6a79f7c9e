"""What makes a package's self-paced modules cmi5 AUs: the course structure, quiz pages, launch page and script.

A build's package is a cmi5 course package as well as Passerelle's own
(:func:`package_files`): ``cmi5.xml`` at its top names an AU per self-paced
module, launched at the package's one launch page, ``launch/au.html``, with
the module (and, if the LMS adds it, the language) in its address; the page
reads the module's data in that language from ``launch/<language>.json``.
The exports (:mod:`authoring.export`) use the same pieces, with a launch
page per module.  Nothing here imports the build, which imports this.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from importlib.resources import files as resource_files
from pathlib import Path
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from markupsafe import Markup

from . import html, markdown, model, package, quiz
from .locales import direction
from .problems import Problem

NAMESPACE = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
COURSE_STRUCTURE = "cmi5.xml"
#: The launch pages and their runtime script sit in this folder of a package.
LAUNCH_DIR = "launch"
RUNTIME = "runtime.js"
#: A self-paced module's quiz as an AU shows it (graded in the browser), beside the module's pages.
QUIZ_PAGE = "quiz.html"
#: A build's package's one launch page, for every AU in every language.
LAUNCH_PAGE = "au.html"
#: The adapter script of cmi5 (in ``scripts/``), which follows the runtime every launch page shares.
ADAPTER = "cmi5.js"


def move_on(course: model.Course, module: model.Module) -> tuple[str, float | None]:
    """Return cmi5's ``moveOn`` and ``masteryScore`` of a module, from the course's completion rules and its quiz.

    A module the rules require with a quiz score must be completed and
    passed, at that score; one they require as completed must be completed
    (its quiz, if any, is passed at its own pass mark); a module they do not
    name is not needed to move on.  A module whose quiz is graded on the
    server only is an AU of its pages alone (:func:`quiz_left_out`): it is
    completed, never passed, so it has no masteryScore.
    """
    rule = next((r for r in course.completion if r.module == module.slug), None)
    if quiz_left_out(module):
        return ("NotApplicable" if rule is None else "Completed"), None
    mastery = module.quiz.pass_mark if module.quiz else None
    if rule is not None and rule.min_score is not None:
        mastery = rule.min_score
    if rule is None:
        return "NotApplicable", mastery
    if rule.min_score is not None and module.quiz is not None:
        return "CompletedAndPassed", mastery
    return "Completed", mastery


def is_au(module: model.Module) -> bool:
    """Tell whether a module is launched as an AU: a self-paced one (a trainer runs the live ones)."""
    return module.type == model.SELF_PACED


def has_quiz_page(module: model.Module) -> bool:
    """Tell whether a module has a quiz page as an AU: a self-paced module with a quiz the browser may grade."""
    return is_au(module) and module.quiz is not None and not module.quiz.graded_on_server_only


def quiz_left_out(module: model.Module) -> bool:
    """Tell whether an AU leaves its module's quiz out: one graded on the server only, whose answer key never
    reaches the browser, and so no package member (the learner takes it in Passerelle)."""
    return is_au(module) and module.quiz is not None and module.quiz.graded_on_server_only


def left_out_warnings(course: model.Course, course_dir: str | Path = "") -> list[Problem]:
    """Return a warning for each AU of ``course`` (read from ``course_dir``) that leaves its quiz out."""
    return [Problem(str(Path(course_dir) / "modules" / f"{module.slug}.md"), module.quiz.line, 1, "warning",
                    f"the quiz of {module.slug} is graded on the server only (graded: server): its cmi5 AU and "
                    "SCORM SCO leave it out (no answer key in the package), and are completed by reading the pages",
                    "learners take this quiz in Passerelle; to grade it in another LMS, make it a practice quiz "
                    "(graded: device)")
            for module in course.modules if quiz_left_out(module)]


def _root(language: str) -> str:
    """The way from a module's folder to the package's top: translations sit in ``languages/<lang>/modules/<slug>/``."""
    return "../../../../" if language else "../../"


def quiz_page(course: model.Course, module: model.Module, language: str) -> str:
    """Return the quiz page of a self-paced module with a quiz, which a launch page's script grades.

    ``language`` is the translation's ("" for the source language), which places the module's files.
    """
    env, common = html.module_context(course, module, _root(language))
    return env.get_template("au_quiz.html").render(quiz=module.quiz, **common)


def launch_data(course: model.Course, module: model.Module, language: str) -> dict:
    """Return what a launch page's script needs of a module: where its pages are, which count, the rule, the key.

    A quiz graded on the server only is left out, key and all: ``quizElsewhere`` says the learner takes it in
    Passerelle.
    """
    rule, mastery = move_on(course, module)
    return {
        "language": course.text_language, "base": "../" + package.module_file(module, "", language),
        "moveOn": rule, "masteryScore": mastery,
        "pages": [{"id": page.id, "iri": module.page_iri(page), "title": _plain(page.title)} for page in module.pages],
        "quiz": None if not has_quiz_page(module) else {
            "questions": [quiz.answer_key(question) for question in module.quiz.questions]},
        "quizElsewhere": quiz_left_out(module),
    }


def launch_page(course: model.Course, module: model.Module | None, language: str, data: dict) -> str:
    """Return a launch page: a module's (an export's), or with no module the package's one for every module.

    ``data`` is what its script reads (:func:`launch_data`, or for the
    package's page the languages it may show); the words come with it.
    """
    env, common = html.module_context(course, module, _root(language))
    return env.get_template("au_launch.html").render(data=data, base=data.get("base", ""), **common)


def runtime_script(adapter: str = ADAPTER) -> str:
    """Return the launch pages' script: what every standard shares, then its adapter (``cmi5.js``...)."""
    scripts = resource_files("authoring") / "export" / "scripts"
    common = (scripts / RUNTIME).read_text(encoding="utf-8")
    return "(function () {\n\"use strict\";\n" + common + "\n" + (scripts / adapter).read_text(encoding="utf-8") \
        + "\n})();\n"


def scripts_version() -> str:
    """Return a hash of the launch pages' scripts, which a build's cache keys must cover as they do its templates."""
    digest = hashlib.sha256()
    for path in sorted((resource_files("authoring") / "export" / "scripts").iterdir(), key=lambda p: p.name):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def course_structure(editions: list[model.Course], urls: dict[str, str]) -> bytes:
    """Return a ``cmi5.xml``: the course, a block for it, and an AU for each module in ``urls`` (slug -> launch URL).

    Titles and descriptions are given in the language of each edition; ids
    and rules are the first's (a translation keeps them).
    """
    course = editions[0]
    ET.register_namespace("", NAMESPACE)

    def element(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
        return ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attributes)

    def text(parent: ET.Element, tag: str, values: Callable[[model.Course], str]) -> None:
        holder = element(parent, tag)
        for edition in editions:
            element(holder, "langstring", lang=edition.text_language).text = values(edition)

    modules = [{module.slug: module for module in edition.modules} for edition in editions]

    def of_module(slug: str, value: Callable[[model.Module], str]) -> Callable[[model.Course], str]:
        return lambda edition: value(modules[editions.index(edition)][slug])

    root = ET.Element(f"{{{NAMESPACE}}}courseStructure")
    head = element(root, "course", id=course.iri)
    text(head, "title", lambda c: c.title)
    text(head, "description", lambda c: c.description.strip() or c.title)
    block = element(root, "block", id=f"{course.iri}/block")
    text(block, "title", lambda c: c.title)
    text(block, "description", lambda c: c.description.strip() or c.title)
    for module in course.modules:
        if module.slug not in urls:
            continue
        rule, mastery = move_on(course, module)
        attributes = {"id": module.iri, "moveOn": rule, "launchMethod": "AnyWindow"}
        if mastery is not None:
            attributes["masteryScore"] = f"{mastery:.4f}".rstrip("0").rstrip(".")
        au = element(block, "au", **attributes)
        text(au, "title", of_module(module.slug, lambda m: m.title))
        text(au, "description", of_module(module.slug, lambda m: "; ".join(m.objectives) or m.title))
        element(au, "url").text = urls[module.slug]
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def au_url(module: model.Module) -> str:
    """Return where a build's package launches a module as an AU (the LMS adds its own parameters)."""
    return f"{LAUNCH_DIR}/{LAUNCH_PAGE}?" + urlencode({"module": module.slug})


def package_files(editions: dict[str, model.Course]) -> dict[str, package.Deflated]:
    """Return the files that make a build's package a cmi5 course package, by their paths in it, deflated.

    ``editions`` maps each language of the package ("" for the source) to
    its course.  A build makes the same from its cache, part by part:
    :func:`course_structure_file` and :func:`launch_files` once, and in each
    language :func:`language_file` of each AU's :func:`module_data` and each
    AU's :func:`quiz_files`.
    """
    files = course_structure_file(editions) | launch_files(editions)
    for language, course in editions.items():
        files |= language_file(course, {module.slug: module_data(course, module, language)
                                        for module in filter(is_au, course.modules)})
        for module in course.modules:
            files |= quiz_files(course, module, language)
    return files


def course_structure_file(editions: dict[str, model.Course]) -> dict[str, package.Deflated]:
    """Return ``cmi5.xml`` of a build's package: an AU per self-paced module, at the package's launch page."""
    source = editions[""]
    return {COURSE_STRUCTURE: package.deflate(course_structure(list(editions.values()),
                                                               {m.slug: au_url(m) for m in source.modules if is_au(m)}))}


def launch_files(editions: dict[str, model.Course]) -> dict[str, package.Deflated]:
    """Return the launch page every AU of a build's package shares, and its script."""
    source = editions[""]
    page = launch_page(source, None, "", {"language": source.text_language,
                                          "languages": [course.text_language for course in editions.values()]})
    return {f"{LAUNCH_DIR}/{RUNTIME}": package.deflate(runtime_script().encode("utf-8")),
            f"{LAUNCH_DIR}/{LAUNCH_PAGE}": package.deflate(page.encode("utf-8"))}


def module_data(course: model.Course, module: model.Module, language: str) -> str:
    """Return, as JSON, an AU's :func:`launch_data` in a language with its title, as its language's file holds it."""
    data = launch_data(course, module, language) | {"title": _plain(module.title)}
    if data["quiz"] is not None:
        data["quiz"]["title"] = _plain(module.quiz.title)
    return _json(data)


def language_file(course: model.Course, modules: dict[str, str]) -> dict[str, package.Deflated]:
    """Return ``launch/<language>.json``: what the launch page shows in a language, and each AU's :func:`module_data`.

    ``modules`` maps each AU's slug to its data, made before (a build keeps each under its rendering's key).
    """
    env, _ = html.module_context(course, None)
    words = env.get_template("_au_words.html").module.words
    head = _json({"language": course.text_language, "direction": direction(course.text_language), "words": words,
                  "modules": None})
    before, after = head.split('"modules":null')
    body = ",".join(f"{_json(slug)}:{modules[slug]}" for slug in sorted(modules))
    text = before + '"modules":{' + body + "}" + after
    return {f"{LAUNCH_DIR}/{course.text_language}.json": package.deflate(text.encode("utf-8"))}


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def quiz_files(course: model.Course, module: model.Module, language: str) -> dict[str, package.Deflated]:
    """Return the quiz page of a module launched as an AU, if it has a quiz, at its path in the package."""
    if not has_quiz_page(module):
        return {}
    return {package.module_file(module, QUIZ_PAGE, language): package.deflate(
        quiz_page(course, module, language).encode("utf-8"))}


def _plain(text: str) -> str:
    """A title as plain text (a statement's name, a window's title): its Markdown rendered, then its tags dropped."""
    return Markup(markdown.render_inline(text)).striptags()
