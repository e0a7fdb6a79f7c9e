"""The direction of imports in DESIGN.md: authoring and xapi never import lms,
and xapi never imports authoring."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"authoring": {"lms"}, "xapi": {"lms", "authoring"}}


def imported_packages(path: Path) -> set[tuple[str, int]]:
    """Return (top-level package, line) for every absolute import in a file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update((alias.name.split(".")[0], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module.split(".")[0], node.lineno))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_library_packages_do_not_import_the_web_app(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no Python files"
    offences = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                for path in files for name, line in imported_packages(path) if name in FORBIDDEN[package]]
    assert offences == []


def test_the_check_sees_a_forbidden_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom lms.models import User\nimport lms.db as db\nfrom . import model\n")
    assert {name for name, _ in imported_packages(sample)} == {"os", "lms"}
