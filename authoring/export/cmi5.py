"""Export a course as cmi5 course packages: ``cmi5.xml`` and the modules' files, one zip per language.

The course structure (cmi5, section 13) holds the course, one block for it,
and an AU per self-paced module, whose ``moveOn`` and ``masteryScore`` come
from the course's completion rules and the module's quiz.  Each AU's launch
page speaks cmi5 itself (``scripts/cmi5.js``), so any cmi5 LMS can launch it.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from ..build import BuildResult
from . import Edition, export, write_packages

NAMESPACE = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
COURSE_STRUCTURE = "cmi5.xml"


def course_structure(edition: Edition) -> bytes:
    """Return the ``cmi5.xml`` of one language's package."""
    course, language = edition.course, edition.language
    ET.register_namespace("", NAMESPACE)

    def element(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
        return ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attributes)

    def text(parent: ET.Element, tag: str, value: str) -> None:
        element(element(parent, tag), "langstring", lang=language).text = value

    root = ET.Element(f"{{{NAMESPACE}}}courseStructure")
    head = element(root, "course", id=course.iri)
    text(head, "title", course.title)
    text(head, "description", course.description.strip() or course.title)
    block = element(root, "block", id=f"{course.iri}/block")
    text(block, "title", course.title)
    text(block, "description", course.description.strip() or course.title)
    for unit in edition.units:
        module = unit.module
        attributes = {"id": module.iri, "moveOn": unit.move_on, "launchMethod": "AnyWindow"}
        if unit.mastery_score is not None:
            attributes["masteryScore"] = f"{unit.mastery_score:.4f}".rstrip("0").rstrip(".")
        au = element(block, "au", **attributes)
        text(au, "title", module.title)
        text(au, "description", "; ".join(module.objectives) or module.title)
        element(au, "url").text = unit.launch
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def write(result: BuildResult, out_dir: Path) -> list[Path]:
    """Write the cmi5 package of each language of a built course into ``out_dir``; return their paths."""
    return write_packages(result, out_dir, "cmi5", lambda edition: (COURSE_STRUCTURE, course_structure(edition)))


def export_cmi5(course_dir: str | Path, out_dir: str | Path, **options) -> list[Path]:
    """Build a course folder and write its cmi5 packages, one per language, into ``out_dir``."""
    return export(course_dir, out_dir, write, **options)[1]
