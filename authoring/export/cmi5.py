"""Export a course as cmi5 course packages: ``cmi5.xml`` and the modules' files, one zip per language.

The course structure (cmi5, section 13) holds the course, one block for it,
and an AU per self-paced module, whose ``moveOn`` and ``masteryScore`` come
from the course's completion rules and the module's quiz.  Each AU's launch
page speaks cmi5 itself (``scripts/cmi5.js``), so any cmi5 LMS can launch it.
"""

from __future__ import annotations

from pathlib import Path

from ..build import BuildResult
from ..cmi5 import COURSE_STRUCTURE, NAMESPACE, course_structure as _course_structure
from . import Edition, export, write_packages

__all__ = ["COURSE_STRUCTURE", "NAMESPACE", "course_structure", "write", "export_cmi5"]


def course_structure(edition: Edition) -> bytes:
    """Return the ``cmi5.xml`` of one language's package: an AU per unit, launched at its own page."""
    return _course_structure([edition.course], {unit.module.slug: unit.launch for unit in edition.units})


def write(result: BuildResult, out_dir: Path) -> list[Path]:
    """Write the cmi5 package of each language of a built course into ``out_dir``; return their paths."""
    return write_packages(result, out_dir, "cmi5", lambda edition: (COURSE_STRUCTURE, course_structure(edition)))


def export_cmi5(course_dir: str | Path, out_dir: str | Path, **options) -> list[Path]:
    """Build a course folder and write its cmi5 packages, one per language, into ``out_dir``."""
    return export(course_dir, out_dir, write, **options)[1]
