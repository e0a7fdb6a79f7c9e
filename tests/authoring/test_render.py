"""Golden files for the HTML renderer: ``render/NAME.md`` and the ``render/NAME.html`` it must give."""

from __future__ import annotations

from pathlib import Path

import pytest

from authoring.markdown import render

CASES = Path(__file__).parent / "render"


def asset_url(src: str) -> str:
    return "/assets/images/cycle.png" if src == "../images/cycle.png" else src


@pytest.mark.parametrize("case", sorted(p.stem for p in CASES.glob("*.md")))
def test_render_matches_golden_file(case):
    html = render((CASES / f"{case}.md").read_text(), asset_url)
    assert html == (CASES / f"{case}.html").read_text()
