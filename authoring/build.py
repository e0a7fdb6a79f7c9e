"""Build a course folder into a package: read, validate, render, zip."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from . import html, model
from .deck import render_deck
from .images import ImageSettings, optimise
from .package import write_package
from .problems import Problem
from .reader import COURSE_FILE, MODULES_DIR, load_course


@dataclass
class BuildResult:
    """What a build wrote, with the figures its summary prints."""

    path: Path
    course: model.Course
    warnings: list[Problem]
    pages: int
    slides: int
    images: int
    image_bytes_before: int
    image_bytes_after: int
    seconds: float

    def summary(self) -> str:
        text = (f"{self.path}: {len(self.course.modules)} modules, {self.pages} pages, {self.slides} slides, "
                f"{len(self.warnings)} warnings in {self.seconds:.2f} s")
        if self.images:
            text += (f"\nimages: {self.images}, {_kb(self.image_bytes_before)} -> {_kb(self.image_bytes_after)}"
                     f" ({self.image_bytes_after / max(self.image_bytes_before, 1):.0%})")
        return text


def package_name(course: model.Course) -> str:
    """Return the file name of a course's package, e.g. ``crisis-management-1.0.zip``."""
    return f"{course.slug}-{course.version}.zip"


def build_course(course_dir: str | Path, out_dir: str | Path, images: ImageSettings | None = None) -> BuildResult:
    """Build ``course_dir`` into ``out_dir``; raise ``CourseError`` if the sources have errors."""
    started = time.perf_counter()
    images = images or ImageSettings()
    course_dir = Path(course_dir)
    course, problems = load_course(course_dir)
    assets, before = {}, 0
    for module in course.modules:
        for path in module.assets.values():
            if path not in assets:
                data = (course_dir / path).read_bytes()
                before += len(data)
                assets[path] = optimise(data, Path(path).suffix, images)
    module_files: dict[str, dict[str, bytes]] = {}
    pages = slides = 0
    for module in course.modules:
        files = {name: text.encode("utf-8") for name, text in html.render_module(course, module).items()}
        if module.type == model.LIVE:
            files["deck.pptx"] = render_deck(course, module)
            slides += len(module.slides) + 2  # title and agenda slides
        pages += len(module.pages)
        module_files[module.slug] = files
    build = {"generator": f"passerelle {_version()}", "source_sha256": _source_hash(course_dir, course)}
    data = write_package(course, module_files, assets, build)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / package_name(course)
    tmp = path.with_suffix(".zip.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # never leave a half-written package behind
    after = sum(len(data) for data in assets.values())
    return BuildResult(path, course, problems.warnings, pages, slides, len(assets), before, after,
                       time.perf_counter() - started)


def _source_hash(course_dir: Path, course: model.Course) -> str:
    """Hash the files the course was read from, in order."""
    digest = hashlib.sha256((course_dir / COURSE_FILE).read_bytes())
    for module in course.modules:
        digest.update((course_dir / MODULES_DIR / f"{module.slug}.md").read_bytes())
    return digest.hexdigest()


def _kb(size: int) -> str:
    return f"{size / 1024:.0f} KB"


def _version() -> str:
    try:
        return version("passerelle")
    except PackageNotFoundError:
        return "dev"
