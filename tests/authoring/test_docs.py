"""The examples in docs/authoring.md are valid course Markdown, so the guide cannot drift from the format."""

from __future__ import annotations

import re

import pytest

from authoring.reader import COURSE_KEYS, read_course
from conftest import ROOT
from test_images import photo

#: The course the examples live in: ``m`` is the example, after the modules it may link to.
COURSE_YAML = """\
id: https://academy.example.org/doc
title: Examples
version: "1"
source_language: en
modules: [consular-crisis-response, registration-contingency, m]
"""
OTHER_MODULE = "---\ntype: self-paced\ntitle: {title}\nduration: 5\n---\n\n# Phases and triggers\n\nText.\n"
GUIDE = (ROOT / "docs" / "authoring.md").read_text()
EXAMPLES = re.findall(r"```markdown\n(.*?)```", GUIDE, re.S)
PAGE_HEADER = "---\ntype: self-paced\ntitle: Example\nduration: 5\n---\n\n# Page\n\n"


def test_the_guide_has_examples():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.splitlines()[0][:30] for e in EXAMPLES])
def test_each_example_reads_without_errors(tmp_path, example):
    course = tmp_path / "doc"
    (course / "modules").mkdir(parents=True)
    (course / "images").mkdir()
    (course / "images" / "crisis-cycle.png").write_bytes(photo(30, 20))
    (course / "handouts").mkdir()
    (course / "handouts" / "contingency-plan-checklist.pdf").write_bytes(b"%PDF-1.4\n")
    (course / "course.yaml").write_text(COURSE_YAML)
    for slug in ("consular-crisis-response", "registration-contingency"):
        (course / "modules" / f"{slug}.md").write_text(OTHER_MODULE.format(title=slug))
    text = example if example.startswith("---") else PAGE_HEADER + example
    if text.rstrip().endswith("---"):  # front matter shown alone: give it a page
        text += "\n# Page\n\nText.\n"
    if "::: question" in text and ":::: quiz" not in text:
        text = text.replace("# Page\n\n", "# Page\n\nText.\n\n:::: quiz\n") + "::::\n"
    (course / "modules" / "m.md").write_text(text)
    _, problems = read_course(course)
    assert [p.format() for p in problems.items] == []


def test_every_course_yaml_key_is_in_the_guides_table():
    assert [key for key in COURSE_KEYS if f"| `{key}` |" not in GUIDE] == []
