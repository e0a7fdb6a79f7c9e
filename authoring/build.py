"""Build a course folder into a package: read, validate, render, zip.

Builds are deterministic (the same sources give the same bytes) and
incremental: with a cache folder, a module whose sources, images, course
settings and template are unchanged is taken from the cache, not re-read or
re-rendered, and so is each optimised image.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from . import cmi5, heap, html, model
from .cache import BuildCache, code_version
from .cache import key as cache_key
from .deck import TEMPLATE, render_deck, slide_count
from .images import IMAGE_TYPES, ImageSettings, dimensions, optimise
from .locales import interface_version
from .package import Deflated, Part, course_member, deflate, module_json, part, write_package
from .parallel import map_work
from .problems import Problem
from .reader import COURSE_FILE, MODULES_DIR, load_course
from .translation import CourseTranslation, source_files, translate_languages

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
    rebuilt: list[str] = field(default_factory=list)  # slugs of the modules rendered in this build, in any language
    rendered: list[tuple[str, str]] = field(default_factory=list)  # (module slug, language) rendered in this build
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
        languages = len(self.languages)
        text = (f"{self.path}: {modules} modules in {languages} language{'s' if languages > 1 else ''} "
                f"({len(self.rebuilt)} rebuilt, {modules - len(self.rebuilt)} unchanged; "
                f"{len(self.rendered)} of {modules * languages} renderings made), {self.pages} pages, {self.slides} slides, {len(self.warnings)} warnings "
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

    A build runs in stages, each with its own cache entries: read the sources,
    translate them into every target language of the course (see
    :mod:`authoring.translation`; a language whose catalog has errors is left
    out of the package and its problems are in the result), optimise the
    images, render each module in each language, and package.  The cache lives
    in ``out_dir/.cache/<course>/``; ``use_cache=False`` builds everything
    from scratch (and leaves the cache alone).
    """
    with heap.build():
        return _build(Path(course_dir), Path(out_dir), images or ImageSettings(), use_cache, progress,
                      translations_root)


def _build(course_dir: Path, out_dir: Path, images: ImageSettings, use_cache: bool, progress: Progress | None,
           translations_root: str | Path | None) -> BuildResult:
    started = time.perf_counter()
    cache = BuildCache(Path(out_dir) / CACHE_DIR / course_dir.resolve().name) if use_cache else None
    course, problems = load_course(course_dir, cache)
    heap.settled()
    translations = translate(course_dir, course, translations_root, cache)
    heap.settled()
    editions = {"": course} | {t.language: t.course for t in translations if t.course is not None}
    optimised = optimise_assets(course_dir, course, images, cache)
    for edition in editions.values():
        for module in edition.modules:
            module.images = {path: optimised.sizes[path] for path in sorted(set(module.assets.values()))
                             if path in optimised.sizes}
    template = _template(course_dir)
    rendered = render(course_dir, editions, translations, optimised, template, images, cache, progress)
    path = package(course_dir, Path(out_dir), editions, translations, optimised.files, rendered, cache)
    slides = sum(_slides(m, template, course.source_language, rendered.keys[("", m.slug)], cache)
                 for m in course.modules if m.type == model.LIVE)
    if cache:
        cache.commit()
    report = Path(out_dir) / f"{path.stem}.translations.txt"
    if translations:
        _write_report(report, course, translations)
    done = {slug for slug, _language in rendered.done}
    return BuildResult(
        path=path, course=course, warnings=problems.warnings,
        pages=sum(len(m.pages) for m in course.modules),
        slides=slides,
        images=len(optimised.sizes), image_bytes_before=optimised.before, image_bytes_after=optimised.after,
        seconds=time.perf_counter() - started, rebuilt=[m.slug for m in course.modules if m.slug in done],
        rendered=rendered.done, translations=translations, report_path=report if translations else None,
    )


# -- stages ------------------------------------------------------------------

def translate(course_dir: Path, course: model.Course, translations_root: str | Path | None,
              cache: BuildCache | None) -> list[CourseTranslation]:
    """Translate the course into each of its target languages, from its catalogs."""
    if len(course.languages) < 2:
        return []
    return translate_languages(course_dir, course, [language for language in course.languages
                                                    if language != course.source_language],
                               translations_root, source_files(course_dir, cache), cache)


@dataclass
class Assets:
    """The files modules use, as they go into the package: images optimised, downloads as they are."""

    data: dict[str, bytes]  # path in the course -> the file as it goes into the package
    files: dict[str, Deflated]  # and deflated
    sizes: dict[str, list[int]]  # path of an image -> [width, height]
    before: int = 0  # bytes of the images as written
    after: int = 0  # and once optimised


def optimise_assets(course_dir: Path, course: model.Course, settings: ImageSettings,
                    cache: BuildCache | None) -> Assets:
    """Read every file the modules use, and resize and recompress each image (from the cache if it was before)."""
    found = Assets({}, {}, {})
    for module in course.modules:
        for path in module.assets.values():
            if path in found.files:
                continue
            data = (course_dir / path).read_bytes()
            result = found.data[path] = _optimised(data, path, settings, cache)
            found.files[path] = deflate(result)
            if Path(path).suffix.lower() in IMAGE_TYPES:
                found.before, found.after = found.before + len(data), found.after + len(result)
                # Pages give each image its size, so that nothing moves while it loads (they are lazy-loaded).
                found.sizes[path] = list(dimensions(result))
    return found


@dataclass
class Rendered:
    """Each module's files in each language (deflated), the key they were made from, and what was rendered now."""

    files: dict[tuple[str, str], dict[str, Deflated]]  # (language or "", module slug) -> files
    keys: dict[tuple[str, str], str]
    done: list[tuple[str, str]]  # (module slug, language) rendered in this build, not taken from the cache


def render(course_dir: Path, editions: dict[str, model.Course], translations: list[CourseTranslation],
           assets: Assets, template: bytes | None, images: ImageSettings, cache: BuildCache | None,
           progress: Progress | None) -> Rendered:
    """Render every module in every language: HTML, and a deck for a live module.

    A module is rendered again when what it was made from changed: its source
    and, in a translation, the catalog entries of its segments; the course's
    settings, titles and template; the files it uses; the code.
    """
    course = editions[""]
    shared = cache_key(code_version(), (course_dir / COURSE_FILE).read_bytes(), template or b"", repr(images))
    made_from = {("", m.slug): cache_key(m.iri, (course_dir / MODULES_DIR / f"{m.slug}.md").read_bytes())
                 for m in course.modules}
    made_from |= {(t.language, slug): key for t in translations if t.course is not None
                  for slug, key in t.keys.items()}
    result, todo = Rendered({}, {}, []), []
    for language, edition in editions.items():
        around = cache_key(shared, language, interface_version(edition.text_language), _course_json(edition),
                           "\n".join(f"{m.slug} {m.type} {m.title}" for m in edition.modules))
        for module in edition.modules:
            job = (language, module.slug)
            result.keys[job] = cache_key(around, made_from[job],
                                         *(assets.files[path].sha256 for path in sorted(set(module.assets.values()))))
            files = _unpacked(cache.get("render", result.keys[job])) if cache else None
            if files is None:
                todo.append(job)
            else:
                result.files[job] = files
    done, total = len(result.files), len(result.keys)
    if progress and done:
        progress(done, total, "unchanged modules")
    # Decks take longest: start them first so that no worker is left with one at the end.
    todo.sort(key=lambda job: course.module(job[1]).type != model.LIVE)
    if todo:
        html.prepare([edition.text_language for edition in editions.values()])
    # Rendering a module takes tens of milliseconds or more: two of them pay for the workers.
    for job, files in zip(todo, map_work(_render, (editions, assets.data, template), todo, min_items=2), strict=True):
        result.files[job] = files
        if cache:
            cache.put("render", result.keys[job], _packed(files))
        done += 1
        if progress:
            progress(done, total, "/".join(filter(None, job)))
    languages = {language: edition.text_language for language, edition in editions.items()}
    now = set(todo)
    result.done = [(slug, languages[language]) for language, slug in result.keys if (language, slug) in now]
    return result


def package(course_dir: Path, out: Path, editions: dict[str, model.Course], translations: list[CourseTranslation],
            assets: dict[str, Deflated], rendered: Rendered, cache: BuildCache | None) -> Path:
    """Write the package, replacing the previous one only once it is complete; return its path.

    Each language's ``course.json`` is joined from its modules' parts, each
    kept deflated in the cache under the key of the module's rendering, which
    covers all of it; so are the files that make the package a cmi5 course
    package (:mod:`authoring.cmi5`).
    """
    course = editions[""]
    course_files = {language: course_member(edition, [_module_part(m, rendered.keys[(language, m.slug)], cache)
                                                      for m in edition.modules])
                    for language, edition in editions.items()}
    au_files = _cmi5_files(editions, rendered, cache)
    catalogs = [t.catalog_path for t in translations if t.course is not None]
    build = {"generator": f"passerelle {_version()}", "source_sha256": _source_hash(course_dir, course, catalogs)}
    by_language: dict[str, dict[str, dict[str, Deflated]]] = {language: {} for language in editions}
    for (language, slug), files in rendered.files.items():
        by_language[language][slug] = files
    data = write_package(course, by_language[""], assets, build,
                         {language: (edition, by_language[language])
                          for language, edition in editions.items() if language},
                         {t.language: _coverage(t) for t in translations if t.course is not None}, course_files,
                         au_files)
    out.mkdir(parents=True, exist_ok=True)
    path = out / package_name(course)
    tmp = path.with_suffix(".zip.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # never leave a half-written package behind
    return path


def _cmi5_files(editions: dict[str, model.Course], rendered: Rendered, cache: BuildCache | None) -> dict[str, Deflated]:
    """Return the files that make the package a cmi5 course package (:func:`authoring.cmi5.package_files`).

    Each AU's data and quiz page are kept under the key of its rendering, the
    launch page and its script under what they are made from; ``cmi5.xml``
    is small and made each time.
    """
    source = editions[""]
    files = _kept_files(cache, cache_key(code_version(), cmi5.scripts_version(), _course_json(source),
                                         *(edition.text_language for edition in editions.values())),
                        lambda: cmi5.launch_files(editions))
    files |= cmi5.course_structure_file(editions)
    for language, edition in editions.items():
        modules = {}
        for module in filter(cmi5.is_au, edition.modules):
            render_key = rendered.keys[(language, module.slug)]
            kept = cache.get("au-data", render_key) if cache else None
            modules[module.slug] = kept.decode("utf-8") if kept else cmi5.module_data(edition, module, language)
            if cache and not kept:
                cache.put("au-data", render_key, modules[module.slug].encode("utf-8"))
            files |= _kept_files(cache, render_key, lambda: cmi5.quiz_files(edition, module, language))
        files |= cmi5.language_file(edition, modules)
    return files


def _kept_files(cache: BuildCache | None, entry_key: str, make: Callable[[], dict[str, Deflated]]) -> dict[str, Deflated]:
    """Return files kept in the cache under ``entry_key``, or made (and kept) now."""
    files = _unpacked(cache.get("au", entry_key)) if cache else None
    if files is None:
        files = make()
        if cache:
            cache.put("au", entry_key, _packed(files))
    return files


def _render(shared: tuple[dict[str, model.Course], dict[str, bytes], bytes | None],
            job: tuple[str, str]) -> dict[str, Deflated]:
    """Render one module in one language: its HTML and, for a live module, its deck; deflated for the package."""
    editions, assets, template = shared
    language, slug = job
    course = editions[language]
    module = course.module(slug)
    root = "../../../../" if language else "../../"  # translations sit in languages/<lang>/modules/<slug>/
    files = {name: text.encode("utf-8") for name, text in html.render_module(course, module, root).items()}
    if module.type == model.LIVE:
        files["deck.pptx"] = render_deck(course, module, assets, template)
    return {name: deflate(data) for name, data in files.items()}


def _template(course_dir: Path) -> bytes | None:
    """Return the academy's deck template, if the course has one."""
    path = course_dir / TEMPLATE
    return path.read_bytes() if path.is_file() else None


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


def _slides(module: model.Module, template: bytes | None, language: str, render_key: str,
            cache: BuildCache | None) -> int:
    """Return how many slides a live module's deck has; kept under the key of its rendering, which covers it."""
    kept = cache.get_json("slides", render_key) if cache else None
    if isinstance(kept, int):
        return kept
    count = slide_count(module, template, language)
    if cache:
        cache.put_json("slides", render_key, count)
    return count


def _module_part(module: model.Module, render_key: str, cache: BuildCache | None) -> Part:
    """Return a module as ``course.json`` holds it, deflated as a part of it; kept under the key of its rendering."""
    kept = cache.get("json", render_key) if cache else None
    size = int.from_bytes(kept[:8], "big") if kept is not None else -1
    if 0 <= size <= len(kept) - 8:
        return Part(kept[8:8 + size], kept[8 + size:])
    made = part(module_json(module).encode("utf-8"))
    if cache:
        cache.put("json", render_key, len(made.data).to_bytes(8, "big") + made.data + made.deflated)
    return made


def _course_json(course: model.Course) -> str:
    """The course's own fields, which every page shows (its title), without its modules."""
    return json.dumps(dataclasses.replace(course, modules=[]).to_dict(), sort_keys=True)


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


def _packed(files: dict[str, Deflated]) -> bytes:
    """Return a module's rendered files as a cache entry: a line of JSON describing them, then their bytes."""
    index = [[name, member.size, member.crc, member.sha256, len(member.data)] for name, member in files.items()]
    return json.dumps(index).encode("utf-8") + b"\n" + b"".join(member.data for member in files.values())


def _unpacked(data: bytes | None) -> dict[str, Deflated] | None:
    """Return the files of a cache entry made by :func:`_packed`, or None if it is not one."""
    if data is None:
        return None
    head, _, body = data.partition(b"\n")
    try:
        files, at = {}, 0
        for name, size, crc, sha256, length in json.loads(head):
            files[name] = Deflated(body[at:at + length], size, crc, sha256)
            at += length
    except (ValueError, TypeError):
        return None
    return files if at == len(body) else None


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
