"""The examples in docs/authoring.md are valid course Markdown, so the guide cannot drift from the format."""

from __future__ import annotations

import re

import pytest

from authoring.reader import read_course
from conftest import ROOT
from test_images import COURSE_YAML, photo

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
    (course / "course.yaml").write_text(COURSE_YAML)
    text = example if example.startswith("---") else PAGE_HEADER + example
    if text.rstrip().endswith("---"):  # front matter shown alone: give it a page
        text += "\n# Page\n\nText.\n"
    if "::: question" in text and ":::: quiz" not in text:
        text = text.replace("# Page\n\n", "# Page\n\nText.\n\n:::: quiz\n") + "::::\n"
    (course / "modules" / "m.md").write_text(text)
    _, problems = read_course(course)
    assert [p.format() for p in problems.errors] == []
