"""Comparing built packages: byte for byte, and when they differ, which files differ (not a diff of megabytes)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path


def assert_same_package(built: Path | bytes, expected: Path | bytes) -> None:
    """Fail unless two packages (paths or bytes) are the same bytes; name the files that differ if they are not."""
    first = built.read_bytes() if isinstance(built, Path) else built
    second = expected.read_bytes() if isinstance(expected, Path) else expected
    if first == second:
        return
    with zipfile.ZipFile(io.BytesIO(first)) as a, zipfile.ZipFile(io.BytesIO(second)) as b:
        names_a, names_b = a.namelist(), b.namelist()
        only = sorted(set(names_a) ^ set(names_b))
        changed = sorted(name for name in set(names_a) & set(names_b) if a.read(name) != b.read(name))
        order = names_a != names_b and not only
    raise AssertionError(f"the packages differ ({len(first)} and {len(second)} bytes): files in one only {only[:10]}, "
                         f"files that differ {changed[:10]}" + (", files in another order" if order else ""))
