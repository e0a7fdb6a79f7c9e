"""Export a built course as packages other LMSs import: cmi5 (:mod:`.cmi5`) and SCORM 1.2 (:mod:`.scorm12`).

Both start from the course's own build (:func:`authoring.build.build_course`):
its pages, in each language, go into the export as they are, with the quiz
page the build makes of each self-paced module (graded in the browser: there
is no Passerelle server behind an exported package; see :mod:`authoring.cmi5`).
A quiz graded on the server only is left out, answer key and all: its module
is a unit of its pages alone, and the export warns once that it is.
What an export adds, per self-paced module and language, is a launch page,
which the host LMS opens: it shows the module's pages in a frame, follows
which ones the learner reads and reports progress, score and completion
through the standard's runtime script.  One package is written per language,
since an LMS launches a package in one language.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import model, package
from ..build import BuildResult, build_course
from ..cmi5 import LAUNCH_DIR, RUNTIME, is_au, launch_data, launch_page, left_out_warnings, move_on, runtime_script
from ..images import ImageSettings

#: The folder inside an export's output folder where the course is built first (with its cache, so that an
#: export after a small edit renders only what changed).
BUILD_DIR = ".build"
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
    mastery_score: float | None  # the share of quiz points that passes, if the unit grades a quiz


@dataclass
class Edition:
    """What an exported package holds for one language of the course."""

    course: model.Course
    language: str
    files: dict[str, bytes] = field(default_factory=dict)  # path in the package -> bytes, but the manifest
    units: list[Unit] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)  # paths of the files no unit has to itself: images, live modules


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
    """Return each language's exported files: the build's (quiz pages included), and a launch page per self-paced module.

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
        for module in filter(is_au, course.modules):
            rule, mastery = move_on(course, module)
            unit = Unit(module=module, launch=f"{LAUNCH_DIR}/{module.slug}.html", files=[], move_on=rule,
                        mastery_score=mastery)
            edition.files[unit.launch] = launch_page(course, module, language,
                                                     launch_data(course, module, language)).encode("utf-8")
            unit.files = [unit.launch, f"{LAUNCH_DIR}/{RUNTIME}"] + sorted(
                name for name in edition.files if name.startswith(package.module_file(module, "", language)))
            edition.units.append(unit)
        own = {name for unit in edition.units for name in unit.files}
        edition.shared = sorted(name for name in edition.files if name not in own)
        found.append(edition)
    return found


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

    Return the build's result (its warnings, with one for each quiz the
    export leaves out) and the packages written; raise ``CourseError`` if
    the sources have errors, before anything is written.
    """
    result = build_course(course_dir, Path(out_dir) / BUILD_DIR, images)
    result.warnings = result.warnings + [problem for problem in left_out_warnings(result.course, course_dir)
                                         if problem not in result.warnings]
    return result, write(result, Path(out_dir))
