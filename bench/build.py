"""Time building a generated course of 50 modules (about 800 KB of Markdown) in its five languages.

Usage: .venv/bin/python bench/build.py [--modules 50] [--kb 800]

The course holds the sample course's six modules and copies of them, each
grown with more pages (self-paced) or slides (live) until the Markdown
reaches the target size, with the sample course's catalogs: every language
the course declares is built (the grown pages are not translated, so they
fall back to English).  Figures, each the best of three runs:

- check: reading and validating only (``passerelle check``);
- full build: every language's HTML pages, decks, guides and handouts and the
  package, no cache;
- one-module rebuild: after one module's text changes, with the cache;
- one-PO-file rebuild: after one translation in the French catalog changes;
- peak memory of a full build, in a process of its own;
- pandoc, when installed: the same Markdown files to HTML and to PPTX, one
  process per file, run once per language in the same run; the ratio is
  pandoc's time over ours, per language.

Targets: pandoc / ours >= 5 per language, one-module rebuild <= 0.5 s,
one-PO-file rebuild <= 1 s, peak memory <= 300 MB.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from authoring.build import build_course  # noqa: E402
from authoring.reader import read_course  # noqa: E402

SAMPLE = ROOT / "courses" / "crisis-management"
ORDER = ["consular-crisis-response", "registration-contingency", "families-and-media", "migrants-in-crisis",
         "earthquake-tabletop", "debrief-action-planning"]

EXTRA_PAGE = """
# Further reading {n}

Consular crisis work depends on **preparation**: a current registration, a tested
contingency plan and partners who know what to expect. This page adds practice
material for the module, part {n}.

- Check the warden list for region {n} and call two wardens at random
- Confirm the assembly points with the host civil protection
- Update the holding statement for the most likely crisis

| Step | Owner | When |
|---|---|---|
| Warden call | Consular officer | Monthly |
| Plan review | Head of mission | Yearly |

::: tip
Keep the crisis log open from the first call; every decision goes in it.
:::

A longer paragraph follows so that the page reads like real course text. The
mission reports at agreed times, speaks with one voice and never confirms a
death before formal identification. Families get one contact person and a time
for the next call; the media get the same facts, verified, and no names before
families are told.
"""

EXTRA_SLIDE = """
# Practice point {n}

- Who activates the crisis cell, and how fast?
- Which partners hold information we lack?
- What do we tell families in the first hour?

| Role | Task |
|---|---|
| Consular officer | Wardens |
| Press officer | Statement |

::: notes
Ask each group for one concrete answer per question; note them on the flipchart
and return to them in the debrief. Part {n}.
:::
"""


def grow(text: str, live: bool, target: int) -> str:
    """Add pages or slides to a module until it reaches ``target`` bytes."""
    marker = "\n::: handout" if live else "\n::::"
    cut = text.find(marker)
    head, tail = (text, "") if cut < 0 else (text[:cut], text[cut:])
    extra, n = [], 1
    while len((head + "".join(extra) + tail).encode()) < target:
        extra.append((EXTRA_SLIDE if live else EXTRA_PAGE).format(n=n))
        n += 1
    return head + "".join(extra) + tail


def generate(target: Path, modules: int, kilobytes: int) -> int:
    """Write a course of ``modules`` modules; return its Markdown size in bytes."""
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("modules"))
    (target / "modules").mkdir()
    per_module = kilobytes * 1024 // modules
    names, size = [], 0
    for n in range(modules):
        slug = ORDER[n % len(ORDER)]
        text = (SAMPLE / "modules" / f"{slug}.md").read_text()
        name = slug if n < len(ORDER) else f"{slug}-copy-{n:03d}"
        text = grow(text, "type: live" in text, per_module)
        (target / "modules" / f"{name}.md").write_text(text)
        names.append(name)
        size += len(text.encode())
    course_yaml = (SAMPLE / "course.yaml").read_text()
    head, rest = course_yaml.split("modules:\n", 1)
    completion = rest[rest.index("completion:"):]
    (target / "course.yaml").write_text(head + "modules:\n" + "".join(f"  - {n}\n" for n in names) + completion)
    # The catalogs sit where the build looks for them: translations/<course> beside the folder of courses.
    shutil.copytree(ROOT / "translations" / SAMPLE.name, target.parent.parent / "translations" / target.name)
    return size


def best_of(runs: int, action, prepare=lambda: None) -> float:
    times = []
    for _ in range(runs):
        prepare()
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def peak_memory_mb(course: Path, out: Path) -> float:
    """Peak resident memory of a full build in a fresh process, or of its largest worker if larger."""
    code = (f"import sys, resource; sys.path.insert(0, {str(ROOT)!r});"
            "from authoring.build import build_course;"
            f"build_course({str(course)!r}, {str(out)!r}, use_cache=False);"
            "print(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
            " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))")
    kilobytes = int(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                   text=True).stdout.split()[-1])
    return kilobytes / 1024


def pandoc_seconds(course: Path, out: Path) -> float | None:
    """Convert each module with pandoc, to HTML and to PPTX, one process per file."""
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        return None
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for source in sorted((course / "modules").glob("*.md")):
        for fmt in ("html", "pptx"):
            subprocess.run([pandoc, "--quiet", "-f", "markdown", "-t", fmt, "--resource-path", str(source.parent),
                            str(source), "-o", str(out / f"{source.stem}.{fmt}")], check=True)
    return time.perf_counter() - started


def verdict(met: bool) -> str:
    return "met" if met else "missed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=50)
    parser.add_argument("--kb", type=int, default=800, help="Markdown size to generate, in KB")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    try:
        course = work / "courses" / "bench-course"
        course.parent.mkdir()
        size = generate(course, args.modules, args.kb)
        _, problems = read_course(course)
        assert not problems.errors, [p.format() for p in problems.errors]
        check = best_of(3, lambda: read_course(course))
        full = best_of(3, lambda: build_course(course, work / "full", use_cache=False))
        result = build_course(course, work / "incremental")  # fills the cache
        languages = result.languages
        assert len(languages) == 5 and not result.translation_errors, (languages, result.translation_errors)
        edited = course / "modules" / f"{ORDER[2]}.md"
        original = edited.read_text()
        edits = iter(range(1000))

        def edit():
            edited.write_text(original + f"\nAn edit made for the benchmark, number {next(edits)}.\n")

        rendered = []
        rebuild = best_of(3, lambda: rendered.append(build_course(course, work / "incremental").rendered), edit)
        assert all(r == [(ORDER[2], language) for language in languages] for r in rendered), rendered

        catalog = work / "translations" / course.name / "fr.po"
        catalog_text = catalog.read_text(encoding="utf-8")
        wanted = 'msgstr "Une déclaration d\'attente est ce que l\'on dit'
        assert wanted in catalog_text, "the French catalog no longer has the entry the benchmark edits"

        def edit_catalog():
            catalog.write_text(catalog_text.replace(wanted, f"{wanted} ({next(edits)})"), encoding="utf-8")

        po_rendered = []
        po_rebuild = best_of(3, lambda: po_rendered.append(build_course(course, work / "incremental").rendered),
                             edit_catalog)
        assert all(r and all(language == "fr" for _slug, language in r) for r in po_rendered), po_rendered
        memory = peak_memory_mb(course, work / "memory")
        pandoc = [pandoc_seconds(course, work / "pandoc" / language) for language in languages]

        package = result.path.stat().st_size
        print(f"modules               {args.modules} ({result.pages} pages, {result.slides} slides)")
        print(f"languages             {len(languages)}: {', '.join(languages)}")
        print(f"markdown              {size / 1024:.0f} KB")
        print(f"package               {package / 1024:.0f} KB")
        print(f"check                 {check:.3f} s")
        print(f"full build            {full:.3f} s  ({full / len(languages):.3f} s per language, "
              f"{full / (args.modules * len(languages)) * 1000:.1f} ms per module and language)")
        print(f"one-module rebuild    {rebuild:.3f} s  ({len(rendered[0])} renderings; target <= 0.5 s: "
              f"{verdict(rebuild <= 0.5)})")
        print(f"one-PO-file rebuild   {po_rebuild:.3f} s  ({len(po_rendered[0])} renderings; target <= 1 s: "
              f"{verdict(po_rebuild <= 1.0)})")
        print(f"peak memory (build)   {memory:.0f} MB  (target <= 300 MB: {verdict(memory <= 300)})")
        if None in pandoc:
            print("pandoc                not installed: no comparison (apt-get install pandoc)")
        else:
            ours = full / len(languages)
            for language, seconds in zip(languages, pandoc, strict=True):
                print(f"pandoc, {language:<13} {seconds:.3f} s  (html+pptx, one process per file); "
                      f"pandoc / ours {seconds / ours:.1f}x  (target >= 5x: {verdict(seconds / ours >= 5)})")
            print(f"pandoc, {len(languages)} languages  {sum(pandoc):.3f} s; pandoc / full build "
                  f"{sum(pandoc) / full:.1f}x")
        print(f"this process peak     {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
