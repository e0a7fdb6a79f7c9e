"""Time building a generated course of many modules.

Usage: .venv/bin/python bench/build.py [--modules 50]

Generates a course by repeating the sample course's self-paced and live
modules, builds it three times and prints the best time, the time per module
and the Markdown and package sizes.  The baseline in the same run is reading
and validating the course without rendering (``passerelle check``), so the
ratio says how much rendering and packaging cost on top of parsing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from authoring.build import build_course  # noqa: E402
from authoring.reader import read_course  # noqa: E402

SAMPLE = ROOT / "courses" / "crisis-management"


def generate(target: Path, modules: int) -> int:
    """Write a course of ``modules`` modules; return its Markdown size in bytes."""
    sources = sorted((SAMPLE / "modules").glob("*.md"))
    (target / "modules").mkdir(parents=True)
    names, size = [], 0
    for n in range(modules):
        text = sources[n % len(sources)].read_text()
        name = f"module-{n:03d}"
        (target / "modules" / f"{name}.md").write_text(text)
        names.append(name)
        size += len(text.encode())
    course_yaml = (SAMPLE / "course.yaml").read_text().split("modules:")[0]
    (target / "course.yaml").write_text(course_yaml + "modules:\n" + "".join(f"  - {n}\n" for n in names))
    return size


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    try:
        course = work / "bench-course"
        size = generate(course, args.modules)
        check = best_of(3, lambda: read_course(course))
        build = best_of(3, lambda: build_course(course, work / "dist"))
        package = next((work / "dist").glob("*.zip")).stat().st_size
        print(f"modules            {args.modules}")
        print(f"markdown           {size / 1024:.0f} KB")
        print(f"package            {package / 1024:.0f} KB")
        print(f"check (baseline)   {check:.3f} s")
        print(f"build              {build:.3f} s  ({build / args.modules * 1000:.1f} ms per module)")
        print(f"build / check      {build / check:.1f}x")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
