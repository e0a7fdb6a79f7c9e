"""The sample course exported once a test session as cmi5 and SCORM 1.2 packages, and their schemas."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from authoring.export import BUILD_DIR, cmi5, scorm12
from authoring.build import build_course

SCHEMAS = Path(__file__).resolve().parent / "schemas"
SAMPLE_COURSE = Path(__file__).resolve().parent.parent / "courses" / "crisis-management"


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """The sample course's packages: ``{"cmi5": {language: zip}, "scorm12": {language: zip}}``."""
    out = tmp_path_factory.mktemp("exports")
    result = build_course(SAMPLE_COURSE, out / BUILD_DIR)
    packages = {}
    for name, standard in (("cmi5", cmi5), ("scorm12", scorm12)):
        paths = standard.write(result, out)
        packages[name] = {path.stem.rsplit("-", 1)[1]: path for path in paths}
    return packages


def members(path: Path) -> dict[str, bytes]:
    """Every file of a zip, by name."""
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def unzip(path: Path, folder: Path) -> Path:
    """Unpack a package as an LMS does before serving it; return the folder."""
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder)
    return folder
