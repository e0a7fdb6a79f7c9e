"""Write and read course packages: one zip per course version.

A package holds ``manifest.json`` (identity, modules, languages, a SHA-256 of
every file, build info, translation coverage), ``course.json`` (the course
model the LMS imports) and the rendered files of each module; each
translation has the same under ``languages/<lang>/``.  Reading treats the zip as hostile:
names, sizes and hashes are all checked before anything is trusted.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
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
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class PackageError(Exception):
    """The file is not a valid course package; the message says why."""


@dataclass
class Package:
    """A course package that passed every check."""

    manifest: dict
    course: model.Course
    sha256: str


def zip_bytes(files: dict[str, bytes], sort: bool = True) -> bytes:
    """Return a zip of ``files`` whose bytes depend only on names and contents."""
    out = io.BytesIO()
    names = sorted(files) if sort else list(files)
    with zipfile.ZipFile(out, "w") as zf:
        for name in names:
            info = zipfile.ZipInfo(name, _ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name])
    return out.getvalue()


def module_file(module: model.Module, name: str, language: str = "") -> str:
    """Return the path inside the package of one of a module's files, in a translation if ``language`` is given."""
    return f"{language_dir(language)}modules/{module.slug}/{name}"


def language_dir(language: str) -> str:
    """Return the folder of a translation inside the package (``languages/fr/``), or "" for the source."""
    return f"{LANGUAGES}/{language}/" if language else ""


def asset_file(course_path: str) -> str:
    """Return the path inside the package of an image, from its path in the course folder."""
    return f"{ASSETS}/{course_path}"


def write_package(course: model.Course, module_files: dict[str, dict[str, bytes]], assets: dict[str, bytes],
                  build: dict, translations: dict[str, tuple[model.Course, dict[str, dict[str, bytes]]]] | None = None,
                  coverage: dict[str, dict] | None = None) -> bytes:
    """Return the zip bytes of a package.

    ``module_files`` maps each module's slug to its rendered files; ``assets``
    maps course-relative paths of images to their optimised bytes;
    ``translations`` maps a language to its translated course and files, and
    ``coverage`` to what the manifest says of it.
    """
    files: dict[str, bytes] = {asset_file(path): data for path, data in assets.items()}
    modules = []
    editions = {"": (course, module_files)} | dict(sorted((translations or {}).items()))
    for language, (edition, rendered) in editions.items():
        for module in edition.modules:
            names = []
            for name, data in sorted(rendered.get(module.slug, {}).items()):
                path = module_file(module, name, language)
                files[path] = data
                names.append(path)
            if not language:
                modules.append({"slug": module.slug, "iri": module.iri, "type": module.type,
                                "title": module.title, "files": names})
        files[language_dir(language) + COURSE_JSON] = _json(edition.to_dict())
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "course": {"iri": course.iri, "slug": course.slug, "title": course.title, "version": course.version,
                   "source_language": course.source_language,
                   "languages": [course.source_language] + [lang for lang in editions if lang]},
        "modules": modules,
        "translations": coverage or {},
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
        "build": build,
    }
    files[MANIFEST] = _json(manifest)
    return zip_bytes(files)


def read_package(stream: BinaryIO) -> Package:
    """Check and read a package from a binary file; raise :class:`PackageError` if it is not one."""
    data = stream.read(MAX_TOTAL_BYTES + 1)
    if len(data) > MAX_TOTAL_BYTES:
        raise PackageError(f"the package is larger than {MAX_TOTAL_BYTES // 2**20} MB")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise PackageError("the file is not a zip archive; build one with 'passerelle build'") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise PackageError(f"the package has more than {MAX_MEMBERS} files")
        for info in infos:
            _check_name(info.filename)
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
        try:
            course = model.Course.from_dict(_load_json(zf, COURSE_JSON))
        except ValueError as exc:
            raise PackageError(f"{COURSE_JSON} is malformed: {exc}") from None
    if not course.iri or not course.version or not course.modules:
        raise PackageError(f"{COURSE_JSON} has no course id, version or modules")
    return Package(manifest=manifest, course=course, sha256=hashlib.sha256(data).hexdigest())


def read_translation(stream: BinaryIO, language: str) -> model.Course:
    """Return the course of a checked package in one of its translations; raise :class:`PackageError` if absent."""
    name = language_dir(language) + COURSE_JSON
    try:
        data = json.loads(read_member(stream, name))
        return model.Course.from_dict(data)
    except KeyError:
        raise PackageError(f"the package has no {language!r} translation") from None
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise PackageError(f"{name} is malformed: {exc}") from None


def read_member(stream: BinaryIO, name: str) -> bytes:
    """Return one file of a package that was already checked by :func:`read_package`."""
    with zipfile.ZipFile(stream) as zf:
        _check_name(name)
        return _read(zf, name)


def _check_name(name: str) -> None:
    path = PurePosixPath(name)
    if "\\" in name or path.is_absolute() or ".." in path.parts or ":" in name:
        raise PackageError(f"unsafe file name in the package: {name!r}")


def _read(zf: zipfile.ZipFile, name: str) -> bytes:
    """Read a member without trusting the size the zip claims for it."""
    with zf.open(name) as member:
        data = member.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:
        raise PackageError(f"{name} is larger than {MAX_MEMBER_BYTES // 2**20} MB")
    return data


def _load_json(zf: zipfile.ZipFile, name: str):
    try:
        return json.loads(_read(zf, name))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(f"{name} is not valid JSON: {exc}") from None


def _json(data) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
