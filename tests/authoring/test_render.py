"""Golden files for the HTML renderer: ``render/NAME.md`` and the ``render/NAME.html`` it must give."""

from __future__ import annotations

from pathlib import Path

import pytest

from authoring.markdown import Links, render

CASES = Path(__file__).parent / "render"


LINKS = Links(
    asset_url=lambda src: f"/assets/{src.removeprefix('../')}",
    page_url=lambda module, page: f"/modules/{module or 'this'}/{page or 'start'}",
    sizes={"../handouts/plan.pdf": 123_456},
)


@pytest.mark.parametrize("case", sorted(p.stem for p in CASES.glob("*.md")))
def test_render_matches_golden_file(case):
    html = render((CASES / f"{case}.md").read_text(), LINKS)
    assert html == (CASES / f"{case}.html").read_text()
