"""Write and read course packages: one zip per course version.

A package holds ``manifest.json`` (identity, modules, languages, a SHA-256 of
every file, build info, translation coverage), ``course.json`` (the course
model the LMS imports) and the rendered files of each module; each
translation has the same under ``languages/<lang>/``.  It is also a cmi5
course package: ``cmi5.xml`` and the files that launch each self-paced
module as an AU (see :mod:`authoring.cmi5`).  Reading treats the zip as hostile:
names, sizes and hashes are all checked before anything is trusted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from . import model

FORMAT = "passerelle-course-package"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
COURSE_JSON = "course.json"
ASSETS = "assets"
LANGUAGES = "languages"

MAX_MEMBERS = 5_000
MAX_MEMBER_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 500 * 1024 * 1024
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # what all files together may inflate to
MAX_JSON_BYTES = 10 * 1024 * 1024  # course.json and manifest.json: the sample course's take 50 KB
MAX_JSON_DEPTH = 32  # a course model is nested about 8 deep
MAX_NUMBER_CHARS = 40  # beyond this a JSON number is refused before Python converts it
MAX_NAME_CHARS = 100
MAX_MINUTES = 7 * 24 * 60  # a module, an agenda item or an activity: a week at most
MAX_ATTEMPTS = 1_000
MAX_POINTS = 1_000
MAX_ANSWER = 1e15  # beyond this a float no longer tells whole numbers apart
MAX_IMAGE_SIDE = 100_000
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
#: course.json is deflated in parts, a module at a time (see :func:`join_parts`), at zlib's fastest level: a
#: full build deflates every part, four times faster than at its default level for a fifth more bytes.
COURSE_LEVEL = 1
#: The end of a raw deflate stream whose last part ended on a byte boundary: an empty final block.
_LAST_BLOCK = b"\x03\x00"


class PackageError(Exception):
    """The file is not a valid course package; the message says why."""


@dataclass
class Package:
    """A course package that passed every check."""

    manifest: dict
    course: model.Course
    sha256: str


@dataclass(frozen=True)
class Deflated:
    """A file compressed once, ready to go into any zip: its deflated bytes, size, CRC-32 and SHA-256.

    A build keeps each rendered file deflated in its cache, so that a package
    is assembled from the files of unchanged modules without compressing them
    again.
    """

    data: bytes
    size: int
    crc: int
    sha256: str


def deflate(data: bytes, level: int = zlib.Z_DEFAULT_COMPRESSION) -> Deflated:
    """Compress a file as a zip member (raw deflate, at zlib's default level unless told, as :mod:`zipfile` does)."""
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    return Deflated(packer.compress(data) + packer.flush(), len(data), zlib.crc32(data),
                    hashlib.sha256(data).hexdigest())


#: Zip records (PKWARE's APPNOTE, sections 4.3.7, 4.3.12 and 4.3.16), little-endian, without zip64.
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_DEFLATED, _NEEDED, _MADE_BY = 8, 20, (3 << 8) | 20  # deflate; version 2.0; made on Unix
_UTF8 = 0x800  # the name is UTF-8
_DOS_DATE = ((_ZIP_DATE[0] - 1980) << 9) | (_ZIP_DATE[1] << 5) | _ZIP_DATE[2]
_DOS_TIME = (_ZIP_DATE[3] << 11) | (_ZIP_DATE[4] << 5) | (_ZIP_DATE[5] // 2)


@dataclass(frozen=True)
class Part:
    """A piece of a file and the same piece deflated on its own, ending on a byte boundary, not final.

    Parts deflated separately, put end to end and closed with an empty final
    block, are one valid deflate stream: a file made of parts that change one
    at a time (``course.json``, a module at a time) is deflated again only in
    the parts that changed.
    """

    data: bytes
    deflated: bytes


def part(data: bytes, level: int = COURSE_LEVEL) -> Part:
    """Deflate a piece of a file to be joined with others by :func:`join_parts`."""
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    return Part(data, packer.compress(data) + packer.flush(zlib.Z_SYNC_FLUSH))


def join_parts(parts: list[Part]) -> Deflated:
    """Return the file made of ``parts`` in order, as one deflated zip member."""
    crc, digest, size = 0, hashlib.sha256(), 0
    for piece in parts:
        crc = zlib.crc32(piece.data, crc)
        digest.update(piece.data)
        size += len(piece.data)
    return Deflated(b"".join(piece.deflated for piece in parts) + _LAST_BLOCK, size, crc, digest.hexdigest())


def zip_deflated(files: dict[str, Deflated], sort: bool = True) -> bytes:
    """Return a zip of files already deflated, whose bytes depend only on names and contents.

    :mod:`zipfile` compresses whatever it writes; this writes members that are
    compressed already (see :class:`Deflated`), so that the package of an
    incremental build costs no compression for what did not change.
    """
    names = sorted(files) if sort else list(files)
    if len(names) >= 0xFFFF:
        raise ValueError(f"a zip without zip64 holds fewer than 65535 files, not {len(names)}")
    parts, central, offset = [], [], 0
    for name in names:
        member, encoded = files[name], name.encode("utf-8")
        flags = 0 if encoded.isascii() else _UTF8
        header = _LOCAL.pack(0x04034B50, _NEEDED, flags, _DEFLATED, _DOS_TIME, _DOS_DATE, member.crc,
                             len(member.data), member.size, len(encoded), 0)
        central.append(_CENTRAL.pack(0x02014B50, _MADE_BY, _NEEDED, flags, _DEFLATED, _DOS_TIME, _DOS_DATE,
                                     member.crc, len(member.data), member.size, len(encoded), 0, 0, 0, 0,
                                     0o644 << 16, offset) + encoded)
        parts += [header, encoded, member.data]
        offset += len(header) + len(encoded) + len(member.data)
    directory = b"".join(central)
    if offset + len(directory) > 0xFFFFFFFF:
        raise ValueError("a zip without zip64 holds less than 4 GB")
    parts += [directory, _END.pack(0x06054B50, 0, 0, len(names), len(names), len(directory), offset, 0)]
    return b"".join(parts)


def zip_bytes(files: dict[str, bytes], sort: bool = True) -> bytes:
    """Return a zip of ``files`` whose bytes depend only on names and contents."""
    return zip_deflated({name: deflate(data) for name, data in files.items()}, sort)


def module_file(module: model.Module, name: str, language: str = "") -> str:
    """Return the path inside the package of one of a module's files, in a translation if ``language`` is given."""
    return f"{language_dir(language)}modules/{module.slug}/{name}"


def language_dir(language: str) -> str:
    """Return the folder of a translation inside the package (``languages/fr/``), or "" for the source."""
    return f"{LANGUAGES}/{language}/" if language else ""


def asset_file(course_path: str) -> str:
    """Return the path inside the package of an image, from its path in the course folder."""
    return f"{ASSETS}/{course_path}"


def write_package(course: model.Course, module_files: dict[str, dict[str, bytes | Deflated]],
                  assets: dict[str, bytes | Deflated], build: dict,
                  translations: dict[str, tuple[model.Course, dict[str, dict[str, bytes | Deflated]]]] | None = None,
                  coverage: dict[str, dict] | None = None, course_files: dict[str, Deflated] | None = None,
                  au_files: dict[str, bytes | Deflated] | None = None) -> bytes:
    """Return the zip bytes of a package.

    ``module_files`` maps each module's slug to its rendered files; ``assets``
    maps course-relative paths of images to their optimised bytes;
    ``translations`` maps a language to its translated course and files, and
    ``coverage`` to what the manifest says of it.  Files may be given
    deflated already; so may each language's ``course.json`` in
    ``course_files`` (keyed by language, "" for the source), which must be
    :func:`course_file` of that edition, and the files that make the package
    a cmi5 course package in ``au_files`` (:func:`authoring.cmi5.package_files`
    of the same editions), made here if not given.
    """
    files: dict[str, Deflated] = {asset_file(path): _deflated(data) for path, data in assets.items()}
    modules = []
    editions = {"": (course, module_files)} | dict(sorted((translations or {}).items()))
    for language, (edition, rendered) in editions.items():
        for module in edition.modules:
            names = []
            for name, data in sorted(rendered.get(module.slug, {}).items()):
                path = module_file(module, name, language)
                files[path] = _deflated(data)
                names.append(path)
            if not language:
                modules.append({"slug": module.slug, "iri": module.iri, "type": module.type,
                                "title": module.title, "files": names})
        given = (course_files or {}).get(language)
        files[language_dir(language) + COURSE_JSON] = given or course_member(
            edition, [part(module_json(module).encode("utf-8")) for module in edition.modules])
    if au_files is None:
        from . import cmi5  # which renders pages with authoring.html, which imports this module

        au_files = cmi5.package_files({language: edition for language, (edition, _files) in editions.items()})
    files |= {name: _deflated(data) for name, data in au_files.items()}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "course": {"iri": course.iri, "slug": course.slug, "title": course.title, "version": course.version,
                   "source_language": course.source_language,
                   "languages": [course.source_language] + [lang for lang in editions if lang]},
        "modules": modules,
        "translations": coverage or {},
        "files": {name: member.sha256 for name, member in sorted(files.items())},
        "build": build,
    }
    files[MANIFEST] = deflate((_compact(manifest) + "\n").encode("utf-8"))
    return zip_deflated(files)


def course_file(course: model.Course) -> bytes:
    """Return a package's ``course.json`` for one edition of the course (the LMS reads it, people rarely do)."""
    head, tail = _around_modules(course)
    return (head + ",".join(module_json(module) for module in course.modules) + tail).encode("utf-8")


def course_member(course: model.Course, modules: list[Part]) -> Deflated:
    """Return :func:`course_file` deflated, from its modules' :func:`module_json` deflated before as parts."""
    head, tail = _around_modules(course)
    parts = [part(head.encode("utf-8"))]
    for number, module in enumerate(modules):
        parts += [_COMMA, module] if number else [module]
    return join_parts(parts + [part(tail.encode("utf-8"))])


def _around_modules(course: model.Course) -> tuple[str, str]:
    """Return what ``course.json`` holds before its modules' list and after it: the course's own fields."""
    data = dataclasses.replace(course, modules=[]).to_dict()
    text = "{" + ",".join(f"{_compact(key)}:" + ("\0" if key == "modules" else _compact(data[key]))
                          for key in sorted(data)) + "}"
    head, tail = text.split("\0")
    return head + "[", "]" + tail


_COMMA = part(b",")


def module_json(module: model.Module) -> str:
    """Return a module as it stands in ``course.json``."""
    return _compact(module.to_dict())


def _compact(data) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _deflated(data: bytes | Deflated) -> Deflated:
    return data if isinstance(data, Deflated) else deflate(data)


def read_package(stream: BinaryIO) -> Package:
    """Check and read a package from a binary file; raise :class:`PackageError` if it is not one."""
    data = stream.read(MAX_TOTAL_BYTES + 1)
    if len(data) > MAX_TOTAL_BYTES:
        raise PackageError(f"the package is larger than {MAX_TOTAL_BYTES // 2**20} MB")
    zf = _open_zip(io.BytesIO(data))
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise PackageError(f"the package has more than {MAX_MEMBERS} files")
        for info in infos:
            _check_name(info.filename)
            if info.file_size > MAX_MEMBER_BYTES:  # refused on what it declares, before inflating any of it
                raise PackageError(f"{info.filename} is larger than {MAX_MEMBER_BYTES // 2**20} MB")
        if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
            raise PackageError(f"the package would inflate to more than {MAX_UNPACKED_BYTES // 2**20} MB")
        names = {info.filename for info in infos}
        if MANIFEST not in names:
            raise PackageError(f"the zip has no {MANIFEST}; it is not a course package")
        manifest = _load_json(zf, MANIFEST)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise PackageError(f"{MANIFEST} does not describe a {FORMAT}")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise PackageError(f"package format version {manifest.get('format_version')!r} is not supported "
                               f"(expected {FORMAT_VERSION})")
        hashes = manifest.get("files")
        if not isinstance(hashes, dict) or COURSE_JSON not in hashes:
            raise PackageError(f"{MANIFEST} lists no files")
        for name, digest in hashes.items():
            if name not in names:
                raise PackageError(f"{name} is listed in the manifest but missing from the zip")
            if hashlib.sha256(_read(zf, name)).hexdigest() != digest:
                raise PackageError(f"{name} does not match its hash in the manifest; the package is damaged")
        course = _load_course(zf, COURSE_JSON)
        # Each translation is read when a learner asks for its language: check it now, while it can be refused.
        for name in sorted(names):
            if name.startswith(LANGUAGES + "/") and name.endswith("/" + COURSE_JSON):
                _load_course(zf, name)
    if not course.iri or not course.version or not course.modules:
        raise PackageError(f"{COURSE_JSON} has no course id, version or modules")
    return Package(manifest=manifest, course=course, sha256=hashlib.sha256(data).hexdigest())


def read_translation(stream: BinaryIO, language: str) -> model.Course:
    """Return the course of a checked package in one of its translations; raise :class:`PackageError` if absent."""
    name = language_dir(language) + COURSE_JSON
    with _open_zip(stream) as zf:
        _check_name(name)
        try:
            return _load_course(zf, name)
        except KeyError:
            raise PackageError(f"the package has no {language!r} translation") from None


def read_member(stream: BinaryIO, name: str) -> bytes:
    """Return one file of a package that was already checked by :func:`read_package`."""
    with _open_zip(stream) as zf:
        _check_name(name)
        return _read(zf, name)


#: What may name a course, module, page, scenario, step, language or version: one path segment, safe in a
#: folder and in a URL on every system.
_NAME = re.compile(r"\w[\w.+-]*")
#: Characters no file name in a package may hold: separators and drive letters of other systems, controls.
_UNSAFE = re.compile(r"[\\:\x00-\x1f\x7f]")


def _safe_path(name: str) -> bool:
    """Tell whether ``name`` is a relative path that stays inside the folder it is joined to."""
    path = PurePosixPath(name)
    return bool(name) and not _UNSAFE.search(name) and not path.is_absolute() and ".." not in path.parts


def _check_name(name: str) -> None:
    if not _safe_path(name):
        raise PackageError(f"unsafe file name in the package: {name!r}")


def _check_course(course: model.Course, where: str) -> None:
    """Refuse a course whose names could leave a folder or break a URL, or whose numbers the LMS cannot use.

    Every name that reaches a file name or a URL is checked here, in one place: the course's slug names
    its package file in the LMS, module slugs and page, scenario and step ids name files inside the package
    and parts of URLs, languages name folders, and assets, downloads and images are paths in the package.
    """

    def fail(message: str):
        raise PackageError(f"{where}: {message}")

    def name(what: str, value: str) -> None:
        if len(value) > MAX_NAME_CHARS or not _NAME.fullmatch(value):
            fail(f"{what} {value[:MAX_NAME_CHARS + 1]!r} is not a safe name: use letters, digits, '.', '-', '_' "
                 f"and '+', starting with a letter or digit, at most {MAX_NAME_CHARS} characters")

    def path(what: str, value: str) -> None:
        if not _safe_path(value) or "" in value.split("/"):
            fail(f"{what} {value!r} is not a safe path inside the package")

    def number(what: str, value, low, high) -> None:
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            fail(f"{what} is {value!r}; it must be between {low} and {high}")

    name("course slug", course.slug)
    name("version", course.version)
    for language in {course.source_language, *course.languages, *([course.language] if course.language else [])}:
        name("language", language)
    for rule in course.completion:
        number(f"the min_score of module {rule.module!r} in the completion rules", rule.min_score, 0, 1)
    marks = ", ".join(model.ATTENDANCE_MARKS)
    if not course.live_completion:
        fail(f"live_completion lists no attendance mark; it must list some of {marks}")
    for mark in course.live_completion:
        if mark not in model.ATTENDANCE_MARKS:
            fail(f"live_completion names {mark[:MAX_NAME_CHARS + 1]!r}, which is not an attendance mark ({marks})")
    for module in course.modules:
        name("module slug", module.slug)
        about = f"module {module.slug!r}"
        number(f"the duration of {about}", module.duration, 0, MAX_MINUTES)
        for page in module.pages:
            name(f"page id in {about}", page.id)
        for scenario in module.scenarios:
            name(f"scenario id in {about}", scenario.id)
            for step in scenario.steps:
                name(f"step id in scenario {scenario.id!r}", step.id)
        for item in module.agenda:
            number(f"the minutes of an agenda item of {about}", item.minutes, 0, MAX_MINUTES)
        for slide in module.slides:
            number(f"the minutes of slide {slide.title[:40]!r} of {about}", slide.minutes, 0, MAX_MINUTES)
        for asset in module.assets.values():
            path(f"asset of {about}", asset)
        for download, size in module.downloads.items():
            path(f"download of {about}", download)
            number(f"the size of download {download!r}", size, 0, MAX_MEMBER_BYTES)
        for image, size in module.images.items():
            path(f"image of {about}", image)
            if len(size) != 2 or not all(1 <= side <= MAX_IMAGE_SIDE for side in size):
                fail(f"the size of image {image!r} is {size!r}; it must be [width, height] in pixels")
        if module.quiz:
            quiz = module.quiz
            number(f"the pass_mark of the quiz of {about}", quiz.pass_mark, 0, 1)
            number(f"the attempts of the quiz of {about}", quiz.attempts, 0, MAX_ATTEMPTS)
            for question in quiz.questions:
                what = f"question {question.id[:40]!r} of {about}"
                number(f"the points of {what}", question.points, 0, MAX_POINTS)
                number(f"the number that answers {what}", question.number, -MAX_ANSWER, MAX_ANSWER)
                number(f"the tolerance of {what}", question.tolerance, 0, MAX_ANSWER)
    # The LMS reports on these M&E declarations without checking them again: each names one of the modules
    # checked above, with what it needs.
    for test in course.knowledge:
        for slug in (test.pre, test.post):
            module = course.module(slug)
            if module is None or module.quiz is None:
                fail(f"knowledge test {slug[:MAX_NAME_CHARS + 1]!r} is not a module of the course with a quiz")
    if course.follow_up is not None:
        module = course.module(course.follow_up.module)
        if module is None or module.type != model.SELF_PACED or module.survey is None:
            fail(f"follow_up {course.follow_up.module[:MAX_NAME_CHARS + 1]!r} is not a self-paced module of the "
                 "course with a survey")
        number("the after_days of follow_up", course.follow_up.after_days, 1, model.MAX_FOLLOW_UP_DAYS)


def _open_zip(stream: BinaryIO) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise PackageError("the file is not a zip archive; build one with 'passerelle build'") from None


def _read(zf: zipfile.ZipFile, name: str) -> bytes:
    """Read a member without trusting the size the zip claims for it."""
    try:
        with zf.open(name) as member:
            data = member.read(MAX_MEMBER_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as exc:
        # A wrong checksum, a header that lies, a method or encryption zipfile cannot read.
        raise PackageError(f"{name} is damaged or cannot be read: {exc}") from None
    if len(data) > MAX_MEMBER_BYTES:
        raise PackageError(f"{name} is larger than {MAX_MEMBER_BYTES // 2**20} MB")
    return data


def _load_course(zf: zipfile.ZipFile, name: str) -> model.Course:
    try:
        course = model.Course.from_dict(_load_json(zf, name))
    except ValueError as exc:
        raise PackageError(f"{name} is malformed: {exc}") from None
    _check_course(course, name)
    return course


def _load_json(zf: zipfile.ZipFile, name: str):
    return _parse_json(_read(zf, name), name)


def _parse_json(data: bytes, name: str):
    """Parse a JSON file of a package, refusing what would exhaust the reader or the LMS later.

    Each number is bounded while parsing, before Python converts it: a number of thousands of digits takes
    long to convert, or fails, and ``1e999`` is infinity.  Nesting is bounded after parsing; JSON nested
    deeper than the parser can recurse is refused by the parser's own limit.
    """
    if len(data) > MAX_JSON_BYTES:
        raise PackageError(f"{name} is larger than {MAX_JSON_BYTES // 2**20} MB")

    def short(text: str) -> str:
        if len(text) > MAX_NUMBER_CHARS:
            raise PackageError(f"{name} holds a number of more than {MAX_NUMBER_CHARS} characters")
        return text

    def integer(text: str) -> int:
        return int(short(text))

    def real(text: str) -> float:
        value = float(short(text))
        if not math.isfinite(value):
            raise PackageError(f"{name} holds the number {text}, too large to be used")
        return value

    def constant(text: str):
        raise PackageError(f"{name} holds {text}, which is not a JSON number")

    too_deep = PackageError(f"{name} is nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        value = json.loads(data.decode("utf-8"), parse_int=integer, parse_float=real, parse_constant=constant)
    except RecursionError:
        raise too_deep from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(f"{name} is not valid JSON: {exc}") from None
    level = [value] if isinstance(value, (dict, list)) else []  # a level at a time, containers only
    for _ in range(MAX_JSON_DEPTH):
        level = [child for item in level for child in (item.values() if isinstance(item, dict) else item)
                 if isinstance(child, (dict, list))]
    if level:
        raise too_deep
    return value
