"""Build a course folder into a package: read, validate, render, zip.

Builds are deterministic (the same sources give the same bytes) and
incremental: with a cache folder, a module whose sources, images, course
settings and template are unchanged is taken from the cache, not re-read or
re-rendered, and so is each optimised image.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from . import html, model
from .cache import BuildCache, code_version
from .cache import key as cache_key
from .deck import TEMPLATE, render_deck, slide_count
from .images import IMAGE_TYPES, ImageSettings, optimise
from .package import write_package, zip_bytes
from .parallel import map_work
from .problems import Problem
from .reader import COURSE_FILE, MODULES_DIR, load_course

#: The cache folder inside the output folder.
CACHE_DIR = ".cache"

#: Called as each module is done: (modules done, modules in all, module slug).
Progress = Callable[[int, int, str], None]


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
    rebuilt: list[str] = field(default_factory=list)  # slugs of the modules rendered in this build

    def summary(self) -> str:
        modules = len(self.course.modules)
        text = (f"{self.path}: {modules} modules ({len(self.rebuilt)} rebuilt, {modules - len(self.rebuilt)} "
                f"unchanged), {self.pages} pages, {self.slides} slides, {len(self.warnings)} warnings "
                f"in {self.seconds:.2f} s")
        if self.images:
            text += (f"\nimages: {self.images}, {_kb(self.image_bytes_before)} -> {_kb(self.image_bytes_after)}"
                     f" ({self.image_bytes_after / max(self.image_bytes_before, 1):.0%})")
        return text


def package_name(course: model.Course) -> str:
    """Return the file name of a course's package, e.g. ``crisis-management-1.0.zip``."""
    return f"{course.slug}-{course.version}.zip"


def build_course(course_dir: str | Path, out_dir: str | Path, images: ImageSettings | None = None,
                 use_cache: bool = True, progress: Progress | None = None) -> BuildResult:
    """Build ``course_dir`` into ``out_dir``; raise ``CourseError`` if the sources have errors.

    The cache lives in ``out_dir/.cache/<course>/``; ``use_cache=False``
    builds everything from scratch (and leaves the cache alone).
    """
    started = time.perf_counter()
    images = images or ImageSettings()
    course_dir = Path(course_dir)
    out = Path(out_dir)
    cache = BuildCache(out / CACHE_DIR / course_dir.resolve().name) if use_cache else None
    course, problems = load_course(course_dir, cache)
    template_path = course_dir / TEMPLATE
    template = template_path.read_bytes() if template_path.is_file() else None

    assets: dict[str, bytes] = {}
    before = after = 0
    for module in course.modules:
        for path in module.assets.values():
            if path not in assets:
                data = (course_dir / path).read_bytes()
                assets[path] = _optimised(data, path, images, cache)
                if Path(path).suffix.lower() in IMAGE_TYPES:
                    before, after = before + len(data), after + len(assets[path])

    # Everything outside the module's own file that its rendered files depend on.
    shared = cache_key(code_version(), (course_dir / COURSE_FILE).read_bytes(), template or b"",
                       repr(images), "\n".join(f"{m.slug} {m.type} {m.title}" for m in course.modules))
    module_files: dict[str, dict[str, bytes]] = {}
    keys, todo = {}, []
    for module in course.modules:
        keys[module.slug] = cache_key(shared, _module_json(module),
                                      *(assets[path] for path in sorted(set(module.assets.values()))))
        files = _unzip(cache.get("render", keys[module.slug])) if cache else None
        if files is None:
            todo.append(module.slug)
        else:
            module_files[module.slug] = files
    done = len(module_files)
    if progress and done:
        progress(done, len(course.modules), "unchanged modules")
    # Decks take longest: start them first so that no worker is left with one at the end.
    todo.sort(key=lambda slug: course.module(slug).type != model.LIVE)
    for slug, files in zip(todo, map_work(_render, (course, assets, template), todo), strict=True):
        module_files[slug] = files
        if cache:
            cache.put("render", keys[slug], zip_bytes(files))
        done += 1
        if progress:
            progress(done, len(course.modules), slug)
    rebuilt = [m.slug for m in course.modules if m.slug in todo]

    build = {"generator": f"passerelle {_version()}", "source_sha256": _source_hash(course_dir, course)}
    data = write_package(course, module_files, assets, build)
    out.mkdir(parents=True, exist_ok=True)
    path = out / package_name(course)
    tmp = path.with_suffix(".zip.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # never leave a half-written package behind
    if cache:
        cache.commit()
    return BuildResult(
        path=path, course=course, warnings=problems.warnings,
        pages=sum(len(m.pages) for m in course.modules),
        slides=sum(slide_count(m) for m in course.modules if m.type == model.LIVE),
        images=sum(Path(p).suffix.lower() in IMAGE_TYPES for p in assets),
        image_bytes_before=before, image_bytes_after=after,
        seconds=time.perf_counter() - started, rebuilt=rebuilt,
    )


def _render(shared: tuple[model.Course, dict[str, bytes], bytes | None], slug: str) -> dict[str, bytes]:
    """Render one module's files: its HTML and, for a live module, its deck."""
    course, assets, template = shared
    module = course.module(slug)
    files = {name: text.encode("utf-8") for name, text in html.render_module(course, module).items()}
    if module.type == model.LIVE:
        files["deck.pptx"] = render_deck(course, module, assets, template)
    return files


def _optimised(data: bytes, path: str, settings: ImageSettings, cache: BuildCache | None) -> bytes:
    """Return an image resized and recompressed, or a download as it is."""
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_TYPES:
        return data
    entry_key = cache_key(code_version(), repr(settings), suffix, data)
    cached = cache.get("images", entry_key) if cache else None
    if cached is not None:
        return cached
    result = optimise(data, suffix, settings)
    if cache:
        cache.put("images", entry_key, result)
    return result


def _module_json(module: model.Module) -> str:
    return json.dumps(module.to_dict(), sort_keys=True)


def _unzip(data: bytes | None) -> dict[str, bytes] | None:
    if data is None:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return {name: zf.read(name) for name in zf.namelist()}
    except zipfile.BadZipFile:
        return None


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
