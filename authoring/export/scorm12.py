"""Export a course as SCORM 1.2 packages: ``imsmanifest.xml`` and the modules' files, one zip per language.

Each self-paced module is a SCO: its launch page finds the LMS's API and keeps
there the lesson status, score, place to resume and session time
(``scripts/scorm12.js``).  The images and downloads the modules share are one
asset resource that each SCO depends on.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree as ET

from ..build import BuildResult
from . import Edition, export, write_packages

MANIFEST = "imsmanifest.xml"
IMSCP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
IMSMD = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML = "http://www.w3.org/XML/1998/namespace"
SCHEMA_LOCATION = (f"{IMSCP} imscp_rootv1p1p2.xsd {IMSMD} imsmd_rootv1p2p1.xsd {ADLCP} adlcp_rootv1p2.xsd")
#: What an identifier (an XML ID, so an NCName) may not hold.
_NOT_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def identifier(prefix: str, name: str) -> str:
    """Return an identifier the manifest's schema accepts (an NCName) for a slug, which may hold ``+``."""
    return f"{prefix}-{_NOT_NAME.sub('_', name)}"


def manifest(edition: Edition) -> bytes:
    """Return the ``imsmanifest.xml`` of one language's package."""
    course, language = edition.course, edition.language
    for prefix, uri in (("", IMSCP), ("adlcp", ADLCP), ("imsmd", IMSMD), ("xsi", XSI)):
        ET.register_namespace(prefix, uri)

    def cp(parent: ET.Element | None, tag: str, **attributes: str) -> ET.Element:
        name = f"{{{IMSCP}}}{tag}"
        return ET.Element(name, attributes) if parent is None else ET.SubElement(parent, name, attributes)

    shared = identifier("RES", f"{course.slug}-files")
    root = cp(None, "manifest", identifier=identifier("MANIFEST", f"{course.slug}-{course.version}-{language}"),
              version=course.version)
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    metadata = cp(root, "metadata")
    cp(metadata, "schema").text = "ADL SCORM"
    cp(metadata, "schemaversion").text = "1.2"
    general = ET.SubElement(ET.SubElement(metadata, f"{{{IMSMD}}}lom"), f"{{{IMSMD}}}general")
    for tag, value in (("title", course.title), ("description", course.description.strip())):
        holder = ET.SubElement(general, f"{{{IMSMD}}}{tag}")
        ET.SubElement(holder, f"{{{IMSMD}}}langstring", {f"{{{XML}}}lang": language}).text = value
    organisations = cp(root, "organizations", default=identifier("ORG", course.slug))
    organisation = cp(organisations, "organization", identifier=identifier("ORG", course.slug))
    cp(organisation, "title").text = course.title
    for unit in edition.units:
        slug = unit.module.slug
        item = cp(organisation, "item", identifier=identifier("ITEM", slug), identifierref=identifier("RES", slug),
                  isvisible="true")
        cp(item, "title").text = unit.module.title
        if unit.mastery_score is not None:
            ET.SubElement(item, f"{{{ADLCP}}}masteryscore").text = f"{unit.mastery_score * 100:g}"
    resources = cp(root, "resources")
    for unit in edition.units:
        resource = cp(resources, "resource", identifier=identifier("RES", unit.module.slug), type="webcontent",
                      href=unit.launch)
        resource.set(f"{{{ADLCP}}}scormtype", "sco")
        for name in unit.files:
            cp(resource, "file", href=name)
        cp(resource, "dependency", identifierref=shared)
    files = cp(resources, "resource", identifier=shared, type="webcontent")
    files.set(f"{{{ADLCP}}}scormtype", "asset")
    for name in edition.shared:
        cp(files, "file", href=name)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def write(result: BuildResult, out_dir: Path) -> list[Path]:
    """Write the SCORM 1.2 package of each language of a built course into ``out_dir``; return their paths."""
    return write_packages(result, out_dir, "scorm12", lambda edition: (MANIFEST, manifest(edition)))


def export_scorm12(course_dir: str | Path, out_dir: str | Path, **options) -> list[Path]:
    """Build a course folder and write its SCORM 1.2 packages, one per language, into ``out_dir``."""
    return export(course_dir, out_dir, write, **options)[1]
