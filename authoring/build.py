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
from .images import IMAGE_TYPES, ImageSettings, dimensions, optimise
from .package import write_package, zip_bytes
from .parallel import map_work
from .problems import Problem
from .reader import COURSE_FILE, MODULES_DIR, load_course
from .translation import CourseTranslation, source_files, translate_course

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
    translations: list[CourseTranslation] = field(default_factory=list)  # one per target language
    report_path: Path | None = None  # the translation report: every segment shown in the source language

    @property
    def languages(self) -> list[str]:
        """The languages the package holds: the source's, then every translation without errors."""
        return [self.course.source_language] + [t.language for t in self.translations if t.course is not None]

    @property
    def translation_errors(self) -> list[Problem]:
        return [p for t in self.translations for p in t.problems.errors]

    def summary(self) -> str:
        modules = len(self.course.modules)
        text = (f"{self.path}: {modules} modules ({len(self.rebuilt)} rebuilt, {modules - len(self.rebuilt)} "
                f"unchanged), {self.pages} pages, {self.slides} slides, {len(self.warnings)} warnings "
                f"in {self.seconds:.2f} s")
        if self.images:
            text += (f"\nimages: {self.images}, {_kb(self.image_bytes_before)} -> {_kb(self.image_bytes_after)}"
                     f" ({self.image_bytes_after / max(self.image_bytes_before, 1):.0%})")
        for t in self.translations:
            stats = t.stats
            if t.course is None:
                text += f"\n{t.language}: not built, {len(t.problems.errors)} errors in its catalog"
            else:
                text += (f"\n{t.language}: {stats.translated}/{stats.total} segments translated "
                         f"({stats.percent(stats.translated):.0f}%), {stats.fuzzy} fuzzy, "
                         f"{len(t.fallbacks)} shown in {self.course.source_language}")
        if self.report_path and any(t.fallbacks for t in self.translations):
            text += f"\nsegments shown in {self.course.source_language}: {self.report_path}"
        return text


def package_name(course: model.Course) -> str:
    """Return the file name of a course's package, e.g. ``crisis-management-1.0.zip``."""
    return f"{course.slug}-{course.version}.zip"


def build_course(course_dir: str | Path, out_dir: str | Path, images: ImageSettings | None = None,
                 use_cache: bool = True, progress: Progress | None = None,
                 translations_root: str | Path | None = None) -> BuildResult:
    """Build ``course_dir`` into ``out_dir``; raise ``CourseError`` if the sources have errors.

    Every target language of the course is built from its catalog (see
    :mod:`authoring.translation`); a language whose catalog has errors is
    left out of the package and its problems are in the result.  The cache
    lives in ``out_dir/.cache/<course>/``; ``use_cache=False`` builds
    everything from scratch (and leaves the cache alone).
    """
    started = time.perf_counter()
    images = images or ImageSettings()
    course_dir = Path(course_dir)
    out = Path(out_dir)
    cache = BuildCache(out / CACHE_DIR / course_dir.resolve().name) if use_cache else None
    course, problems = load_course(course_dir, cache)
    sources = source_files(course_dir) if len(course.languages) > 1 else []
    translations = [translate_course(course_dir, course, language, translations_root, sources)
                    for language in course.languages if language != course.source_language]
    editions = {"": course} | {t.language: t.course for t in translations if t.course is not None}
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
    # Pages give each image its size, so that nothing moves while it loads (they are lazy-loaded).
    sizes = {path: list(dimensions(data)) for path, data in assets.items() if Path(path).suffix.lower() in IMAGE_TYPES}
    for edition in editions.values():
        for module in edition.modules:
            module.images = {path: sizes[path] for path in sorted(set(module.assets.values())) if path in sizes}

    # Everything outside the module's own file that its rendered files depend on.
    shared = cache_key(code_version(), (course_dir / COURSE_FILE).read_bytes(), template or b"", repr(images))
    module_files: dict[tuple[str, str], dict[str, bytes]] = {}  # (language or "", module slug) -> files
    keys, todo = {}, []
    for language, edition in editions.items():
        around = cache_key(shared, language, _course_json(edition),
                           "\n".join(f"{m.slug} {m.type} {m.title}" for m in edition.modules))
        for module in edition.modules:
            job = (language, module.slug)
            keys[job] = cache_key(around, _module_json(module),
                                  *(assets[path] for path in sorted(set(module.assets.values()))))
            files = _unzip(cache.get("render", keys[job])) if cache else None
            if files is None:
                todo.append(job)
            else:
                module_files[job] = files
    done, total = len(module_files), len(keys)
    if progress and done:
        progress(done, total, "unchanged modules")
    # Decks take longest: start them first so that no worker is left with one at the end.
    todo.sort(key=lambda job: course.module(job[1]).type != model.LIVE)
    for job, files in zip(todo, map_work(_render, (editions, assets, template), todo), strict=True):
        module_files[job] = files
        if cache:
            cache.put("render", keys[job], zip_bytes(files))
        done += 1
        if progress:
            progress(done, total, "/".join(filter(None, job)))
    rebuilt = [m.slug for m in course.modules if ("", m.slug) in todo]

    catalogs = [t.catalog_path for t in translations if t.course is not None]
    build = {"generator": f"passerelle {_version()}", "source_sha256": _source_hash(course_dir, course, catalogs)}
    data = write_package(course, {slug: files for (language, slug), files in module_files.items() if not language},
                         assets, build, {language: (edition, {slug: files for (lang, slug), files
                                                              in module_files.items() if lang == language})
                                         for language, edition in editions.items() if language},
                         {t.language: _coverage(t) for t in translations if t.course is not None})
    out.mkdir(parents=True, exist_ok=True)
    path = out / package_name(course)
    tmp = path.with_suffix(".zip.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # never leave a half-written package behind
    if cache:
        cache.commit()
    report = out / f"{path.stem}.translations.txt"
    if translations:
        _write_report(report, course, translations)
    return BuildResult(
        path=path, course=course, warnings=problems.warnings,
        pages=sum(len(m.pages) for m in course.modules),
        slides=sum(slide_count(m) for m in course.modules if m.type == model.LIVE),
        images=sum(Path(p).suffix.lower() in IMAGE_TYPES for p in assets),
        image_bytes_before=before, image_bytes_after=after,
        seconds=time.perf_counter() - started, rebuilt=rebuilt, translations=translations,
        report_path=report if translations else None,
    )


def _render(shared: tuple[dict[str, model.Course], dict[str, bytes], bytes | None],
            job: tuple[str, str]) -> dict[str, bytes]:
    """Render one module in one language: its HTML and, for a live module, its deck."""
    editions, assets, template = shared
    language, slug = job
    course = editions[language]
    module = course.module(slug)
    root = "../../../../" if language else "../../"  # translations sit in languages/<lang>/modules/<slug>/
    files = {name: text.encode("utf-8") for name, text in html.render_module(course, module, root).items()}
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


def _course_json(course: model.Course) -> str:
    """The course's own fields, which every page shows (its title), without its modules."""
    return json.dumps({k: v for k, v in course.to_dict().items() if k != "modules"}, sort_keys=True)


def _coverage(translation: CourseTranslation) -> dict:
    """What the manifest says of a translation: its counts and where it falls back to the source."""
    stats = translation.stats
    return {"translated": stats.translated, "fuzzy": stats.fuzzy, "untranslated": stats.untranslated,
            "fallback": [f"{f.path}:{f.line}" for f in translation.fallbacks]}


def _write_report(path: Path, course: model.Course, translations: list[CourseTranslation]) -> None:
    """Write, per language, its problems and every segment it shows in the source language."""
    lines = []
    for t in translations:
        stats = t.stats
        lines.append(f"# {t.language}: {stats.translated} translated, {stats.fuzzy} fuzzy, "
                     f"{stats.untranslated} untranslated of {stats.total}"
                     + ("" if t.course is not None else " -- not built"))
        lines += [p.format() for p in t.problems.sorted()]
        lines += [f"{f.path}:{f.line}: {'fuzzy' if f.fuzzy else 'untranslated'}, shown in "
                  f"{course.source_language}: {f.text}" for f in t.fallbacks]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def _unzip(data: bytes | None) -> dict[str, bytes] | None:
    if data is None:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return {name: zf.read(name) for name in zf.namelist()}
    except zipfile.BadZipFile:
        return None


def _source_hash(course_dir: Path, course: model.Course, catalogs: list[Path]) -> str:
    """Hash the files the course was read from, in order, and the catalogs of the languages built."""
    digest = hashlib.sha256((course_dir / COURSE_FILE).read_bytes())
    for module in course.modules:
        digest.update((course_dir / MODULES_DIR / f"{module.slug}.md").read_bytes())
    for path in catalogs:
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def _kb(size: int) -> str:
    return f"{size / 1024:.0f} KB"


def _version() -> str:
    try:
        return version("passerelle")
    except PackageNotFoundError:
        return "dev"
