"""Export a built course as packages other LMSs import: cmi5 (:mod:`.cmi5`) and SCORM 1.2 (:mod:`.scorm12`).

Both start from the course's own build (:func:`authoring.build.build_course`):
its pages, in each language, go into the export as they are.  What an export
adds, per self-paced module and language, is a quiz page (graded in the
browser: there is no Passerelle server behind an exported package) and a
launch page, which the host LMS opens: it shows the module's pages in a frame,
follows which ones the learner reads and reports progress, score and
completion through the standard's runtime script.  One package is written per
language, since an LMS launches a package in one language.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files as resource_files
from pathlib import Path

from jinja2 import ChoiceLoader, PackageLoader
from markupsafe import Markup

from .. import html, markdown, model, package, quiz
from ..build import BuildResult, build_course
from ..images import ImageSettings
from ..locales import direction

#: The folder inside an export's output folder where the course is built first (with its cache, so that an
#: export after a small edit renders only what changed).
BUILD_DIR = ".build"
#: The launch pages and their runtime script sit in this folder of an exported package.
LAUNCH_DIR = "launch"
RUNTIME = "runtime.js"
QUIZ_PAGE = "quiz.html"
#: Files of a module that an exported package leaves out: the decks of live sessions, which a trainer shows and no
#: learner launches.  (The build's manifest and course model stay out too: the export has its own manifest.)
_LEFT_OUT_SUFFIXES = (".pptx",)


@dataclass
class Unit:
    """A self-paced module as another LMS launches it: cmi5 calls it an AU, SCORM a SCO."""

    module: model.Module
    launch: str  # path of its launch page in the package
    files: list[str]  # paths of its files in the package: launch page and script, pages, quiz
    move_on: str  # cmi5's rule for moving on: Completed, CompletedAndPassed or NotApplicable
    mastery_score: float | None  # the share of quiz points that passes, if the module has a quiz


@dataclass
class Edition:
    """What an exported package holds for one language of the course."""

    course: model.Course
    language: str
    files: dict[str, bytes] = field(default_factory=dict)  # path in the package -> bytes, but the manifest
    units: list[Unit] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)  # paths of the files no unit has to itself: images, live modules


def move_on(course: model.Course, module: model.Module) -> tuple[str, float | None]:
    """Return cmi5's ``moveOn`` and ``masteryScore`` of a module, from the course's completion rules and its quiz.

    A module the rules require with a quiz score must be completed and
    passed, at that score; one they require as completed must be completed
    (its quiz, if any, is passed at its own pass mark); a module they do not
    name is not needed to move on.
    """
    rule = next((r for r in course.completion if r.module == module.slug), None)
    mastery = module.quiz.pass_mark if module.quiz else None
    if rule is not None and rule.min_score is not None:
        mastery = rule.min_score
    if rule is None:
        return "NotApplicable", mastery
    if rule.min_score is not None and module.quiz is not None:
        return "CompletedAndPassed", mastery
    return "Completed", mastery


def package_name(course: model.Course, standard: str, language: str) -> str:
    """Return the file name of an exported package, e.g. ``crisis-management-1.0-cmi5-fr.zip``."""
    return f"{course.slug}-{course.version}-{standard}-{language}.zip"


def write_packages(result: BuildResult, out_dir: Path, standard: str,
                   manifest: Callable[[Edition], tuple[str, bytes]]) -> list[Path]:
    """Write a package per language of a built course; return their paths.

    ``standard`` names the package and its launch pages' adapter script
    (``scripts/<standard>.js``); ``manifest`` gives the name and bytes of the
    file that describes a language's package to an LMS.
    """
    paths = []
    for edition in editions(result, runtime_script(f"{standard}.js")):
        name, data = manifest(edition)
        paths.append(write_zip(out_dir / package_name(edition.course, standard, edition.language),
                               edition.files | {name: data}))
    return paths


def editions(result: BuildResult, runtime: str) -> list[Edition]:
    """Return each language's exported files: the build's, and for every self-paced module a quiz and a launch page.

    ``runtime`` is the launch pages' script.
    """
    with zipfile.ZipFile(result.path) as built:
        members = {name: built.read(name) for name in built.namelist()}
    shared = {name: data for name, data in members.items() if name.startswith(package.ASSETS + "/")}
    courses = [("", result.course)] + [(t.language, t.course) for t in result.translations if t.course is not None]
    found = []
    for language, course in courses:
        edition = Edition(course=course, language=course.text_language, files=dict(shared))
        folder = package.language_dir(language)
        for name, data in members.items():
            if name.startswith(folder + "modules/") and not name.endswith(_LEFT_OUT_SUFFIXES):
                edition.files[name] = data
        edition.files[f"{LAUNCH_DIR}/{RUNTIME}"] = runtime.encode("utf-8")
        for module in course.modules:
            if module.type != model.SELF_PACED:
                continue
            rule, mastery = move_on(course, module)
            unit = Unit(module=module, launch=f"{LAUNCH_DIR}/{module.slug}.html", files=[], move_on=rule,
                        mastery_score=mastery)
            for name, text in unit_pages(course, module, language).items():
                edition.files[name] = text.encode("utf-8")
            unit.files = [unit.launch, f"{LAUNCH_DIR}/{RUNTIME}"] + sorted(
                name for name in edition.files if name.startswith(package.module_file(module, "", language)))
            edition.units.append(unit)
        own = {name for unit in edition.units for name in unit.files}
        edition.shared = sorted(name for name in edition.files if name not in own)
        found.append(edition)
    return found


def unit_pages(course: model.Course, module: model.Module, language: str) -> dict[str, str]:
    """Return ``{path in the package: HTML}`` of what an export adds to a module: its quiz page and launch page.

    ``language`` is the translation's ("" for the source language), which places the module's files.
    """
    text_language = course.text_language
    env = _env(text_language)
    root = "../../../../" if language else "../../"  # as the build renders the module's own pages
    fallback, way = html.fallback_of(course, module), direction(text_language)
    back, forward = html.ARROWS[way]
    common = {"course": course, "module": module, "links": html.package_links(module, root), "fallback": fallback,
              "language": text_language, "direction": way, "back": back, "forward": forward,
              "isolation": html.isolation(fallback, way),
              "source_name": html.language_name(fallback.language, text_language)}
    pages = {}
    if module.quiz is not None:
        pages[package.module_file(module, QUIZ_PAGE, language)] = env.get_template("quiz.html").render(
            quiz=module.quiz, **common)
    base = "../" + package.module_file(module, "", language)
    rule, mastery = move_on(course, module)
    # What the launch page's script needs: where the pages are, which ones count, the rule and the answer key.
    data = {
        "language": text_language, "base": base, "moveOn": rule, "masteryScore": mastery,
        "pages": [{"id": page.id, "iri": module.page_iri(page),
                   "title": Markup(markdown.render_inline(page.title)).striptags()} for page in module.pages],
        "quiz": None if module.quiz is None else {
            "questions": [quiz.answer_key(question) for question in module.quiz.questions]},
    }
    pages[f"{LAUNCH_DIR}/{module.slug}.html"] = env.get_template("launch.html").render(
        data=data, base=base, **common)
    return pages


def _env(language: str):
    """The build's template environment for a language (its words, filters), able to find the export's templates too."""
    env = html._env(language)  # the same words and filters as every page of the build
    return env.overlay(loader=ChoiceLoader([PackageLoader("authoring.export", "templates"), env.loader]))


def runtime_script(adapter: str) -> str:
    """Return the launch pages' script: what every export shares, then the standard's adapter (``cmi5.js``...)."""
    scripts = resource_files("authoring.export") / "scripts"
    common = (scripts / RUNTIME).read_text(encoding="utf-8")
    return "(function () {\n\"use strict\";\n" + common + "\n" + (scripts / adapter).read_text(encoding="utf-8") \
        + "\n})();\n"


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    """Write a package's files as a zip (the build's deterministic writer), replacing ``path`` only once complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(package.zip_bytes(files))
    tmp.replace(path)
    return path


def export(course_dir: str | Path, out_dir: str | Path, write: Callable[[BuildResult, Path], list[Path]],
           images: ImageSettings | None = None) -> tuple[BuildResult, list[Path]]:
    """Build the course into ``out_dir/.build``, write its export into ``out_dir`` with ``write``.

    Return the build's result (its warnings) and the packages written; raise
    ``CourseError`` if the sources have errors, before anything is written.
    """
    result = build_course(course_dir, Path(out_dir) / BUILD_DIR, images)
    return result, write(result, Path(out_dir))
