"""The catalogue: import course packages, find courses, enrol learners."""

from __future__ import annotations

import json
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


class PackageConflict(PackageError):
    """A valid package that conflicts with what is already imported."""


def import_package(session: Session, stream: BinaryIO, package_dir: str | Path) -> tuple[CourseVersion, bool]:
    """Check and import a package; return its course version and whether it is new.

    Importing the same package twice is harmless.  A different package with a
    version number already imported is refused, so a published version never
    changes under learners.
    """
    package = read_package(stream)
    course_model = package.course
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
        course.title = course_model.title
    path = _save(package, stream, Path(package_dir))
    version = CourseVersion(course=course, version=course_model.version, sha256=package.sha256,
                            package_path=str(path), content=json.dumps(course_model.to_dict(), ensure_ascii=False))
    session.add(version)
    session.flush()
    return version, True


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
