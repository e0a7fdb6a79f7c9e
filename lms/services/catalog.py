"""The catalogue: import course packages, find courses, enrol learners."""

from __future__ import annotations

import json
import re
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from authoring.model import Course as CourseModel
from authoring.package import Package, PackageError, read_package, read_translation

from ..models import Course, CourseVersion, Enrolment, User
from . import NotFound


try:
    from packaging.version import Version
except ImportError:  # packaging is not required: versions are then compared as dotted numbers
    Version = None


class PackageConflict(PackageError):
    """A valid package that conflicts with what is already imported."""


class OlderVersion(PackageConflict):
    """A package whose version is older than the one learners see, or cannot be compared with it."""


def import_package(session: Session, stream: BinaryIO, package_dir: str | Path,
                   allow_downgrade: bool = False) -> tuple[CourseVersion, bool]:
    """Check and import a package; return its course version and whether it is new.

    Importing the same package twice is harmless.  A different package with a
    version number already imported is refused, so a published version never
    changes under learners.  The version imported last is the one learners see
    (:attr:`Course.current`), so a version older than the one they see now is
    refused unless ``allow_downgrade`` says it should replace it.  Nothing is
    stored, in the database or the package folder, before every check passed.
    """
    package = read_package(stream)
    course_model = package.course
    _check_fits(course_model)
    course = session.scalar(select(Course).where(Course.iri == course_model.iri))
    if course is None:
        if session.scalar(select(Course).where(Course.slug == course_model.slug)):
            raise PackageConflict(f"another course already uses the short name {course_model.slug!r}")
        course = Course(iri=course_model.iri, slug=course_model.slug, title=course_model.title)
        session.add(course)
    else:
        for existing in course.versions:
            if existing.version == course_model.version:
                if existing.sha256 == package.sha256:
                    return existing, False
                raise PackageConflict(f"version {course_model.version} of {course_model.title!r} is already imported "
                                   "with different content; raise the version in course.yaml and build again")
        current = course.versions[-1].version if course.versions else None
        if current and not allow_downgrade and is_older(course_model.version, current):
            raise OlderVersion(f"version {course_model.version} is older than {current}, the version learners see now")
        course.title = course_model.title
    path = _save(package, stream, Path(package_dir))
    version = CourseVersion(course=course, version=course_model.version, sha256=package.sha256,
                            package_path=str(path), content=json.dumps(course_model.to_dict(), ensure_ascii=False))
    session.add(version)
    session.flush()
    return version, True


def is_older(version: str, than: str) -> bool:
    """Tell whether course version ``version`` comes before ``than``: 0.9 before 1.0, 1.9 before 1.10.

    With ``packaging`` installed any PEP 440 version compares (1.0rc1 before 1.0); without it, dotted
    numbers.  Raise :class:`OlderVersion` for versions that cannot be compared.
    """
    try:
        if Version is not None:
            return Version(version) < Version(than)
        return _numbers(version) < _numbers(than)
    except ValueError:  # packaging's InvalidVersion is one
        raise OlderVersion(f"cannot tell whether version {version!r} is older than {than!r}: versions are compared "
                           "as numbers such as 1.0 or 1.2.3") from None


def _numbers(version: str) -> tuple[int, ...]:
    if not re.fullmatch(r"\d+(\.\d+)*", version, re.ASCII):
        raise ValueError(version)
    numbers = [int(part) for part in version.split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:  # 1.0 is 1.0.0
        numbers.pop()
    return tuple(numbers)


def _check_fits(course_model: CourseModel) -> None:
    """Refuse what the catalogue's columns cannot hold, rather than fail in the database."""
    for column, value in ((Course.iri, course_model.iri), (Course.slug, course_model.slug),
                          (Course.title, course_model.title), (CourseVersion.version, course_model.version)):
        if len(value) > column.type.length:
            raise PackageError(f"the course's {column.key} is longer than {column.type.length} characters")


def _save(package: Package, stream: BinaryIO, package_dir: Path) -> Path:
    """Keep the package file, named by content so that nothing is overwritten."""
    package_dir.mkdir(parents=True, exist_ok=True)
    path = package_dir / f"{package.course.slug}-{package.sha256[:16]}.zip"
    if not path.exists():
        stream.seek(0)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(stream.read())
        tmp.replace(path)
    return path


def list_courses(session: Session) -> list[Course]:
    return list(session.scalars(select(Course).order_by(Course.title)))


def get_course(session: Session, slug: str) -> Course:
    course = session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not course.versions:
        raise NotFound(f"no course {slug!r}")
    return course


def edition(version: CourseVersion, language: str) -> CourseModel:
    """Return the course of ``version`` in ``language`` if its package has that translation, else in its own.

    A translation keeps the source's ids (modules, pages, questions), so statements
    made in any language are about the same activities.
    """
    source = version.model
    if language == source.source_language or language not in source.languages:
        return source
    return _translation(version.sha256, version.package_path, language) or source


@lru_cache(maxsize=128)
def _translation(sha256: str, package_path: str, language: str) -> CourseModel | None:
    # Keyed by the package hash, like the source model: a version never changes once imported.
    try:
        with open(package_path, "rb") as stream:
            return read_translation(stream, language)
    except (OSError, PackageError):
        return None  # not built (the translation failed) or the file is gone: the source language


def download_size(version: CourseVersion, names: list[str]) -> int:
    """About how many bytes the named files of a version's package take to download: their size compressed in it."""
    sizes = _compressed_sizes(version.sha256, version.package_path)
    return sum(sizes.get(name, 0) for name in names)


@lru_cache(maxsize=32)
def _compressed_sizes(sha256: str, package_path: str) -> dict[str, int]:
    try:
        with zipfile.ZipFile(package_path) as zf:
            return {info.filename: info.compress_size for info in zf.infolist()}
    except (OSError, zipfile.BadZipFile):
        return {}


def enrolment_for(session: Session, user: User, course: Course) -> Enrolment | None:
    return session.scalar(select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id))


def enrol(session: Session, user: User, course: Course) -> Enrolment:
    """Enrol a user in a course (once; enrolling again returns the enrolment)."""
    enrolment = enrolment_for(session, user, course)
    if enrolment is None:
        enrolment = Enrolment(user=user, course=course)
        session.add(enrolment)
        session.flush()
    return enrolment


def count_enrolments(session: Session, course: Course) -> int:
    return session.scalar(select(func.count(Enrolment.id)).where(Enrolment.course_id == course.id))
