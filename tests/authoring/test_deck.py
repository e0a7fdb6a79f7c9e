"""Decks of live modules, opened with python-pptx: slides, tables, pictures, notes, an academy's template."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches

from authoring.build import build_course
from authoring.deck import TEMPLATE
from authoring.problems import CourseError
from conftest import SAMPLE_COURSE


def deck_of(package, module: str) -> Presentation:
    with zipfile.ZipFile(package) as zf:
        return Presentation(io.BytesIO(zf.read(f"modules/{module}/deck.pptx")))


def slide_titled(deck, title: str):
    return next(s for s in deck.slides if s.shapes.title.text == title)


def test_table_slides_carry_a_real_table(sample_package):
    deck = deck_of(sample_package, "earthquake-tabletop")
    roles = slide_titled(deck, "Who holds what")
    [table] = [shape.table for shape in roles.shapes if shape.has_table]
    assert [cell.text for cell in table.rows[0].cells] == ["Role", "First hour", "By hour six"]
    assert len(table.rows) == 5
    assert table.cell(3, 2).text == "Calls back every family"
    assert "Leave this slide up during round two" in roles.notes_slide.notes_text_frame.text


def test_pictures_are_placed_beside_the_bullets(sample_package):
    deck = deck_of(sample_package, "earthquake-tabletop")
    cycle = slide_titled(deck, "The crisis cycle, in one picture")
    [picture] = [s for s in cycle.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    body = next(s for s in cycle.placeholders if s.placeholder_format.idx == 1)
    assert picture.left >= body.left + body.width  # right of the text, not over it
    assert picture.left + picture.width <= deck.slide_width
    assert picture.top + picture.height <= deck.slide_height
    assert "Prepare, alert, respond, recover" in body.text_frame.text


def test_activity_slides_give_timing_groups_and_materials(sample_package):
    deck = deck_of(sample_package, "debrief-action-planning")
    titles = [s.shapes.title.text for s in deck.slides]
    assert titles[:2] == ["Debrief and action-planning workshop", "Agenda"]
    activity = slide_titled(deck, "Activity (35 min): Action plans in mission teams")
    text = activity.placeholders[1].text_frame.text
    assert text.startswith("Groups: one team per mission, 3 to 6 people")
    assert "Materials: flipchart, markers, printed action-plan template" in text
    assert "Push back on improvements" in activity.notes_slide.notes_text_frame.text
    plan = slide_titled(deck, "An action plan that gets done")
    assert any(shape.has_table for shape in plan.shapes)


def test_every_slide_after_the_agenda_has_speaker_notes(sample_package):
    for module in ("earthquake-tabletop", "debrief-action-planning"):
        deck = deck_of(sample_package, module)
        assert all(slide.notes_slide.notes_text_frame.text.strip() for slide in list(deck.slides)[2:])


def make_template(path) -> None:
    """An academy's template: 4:3 slides, renamed layouts and a sample slide that must not reach decks."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(10), Inches(7.5)
    prs.slide_layouts[0].name = "Academy title"
    prs.slide_layouts[1].name = "Academy content"
    sample = prs.slides.add_slide(prs.slide_layouts[5])
    sample.shapes.title.text = "Sample slide of the template"
    prs.save(path)


def test_an_academy_template_gives_its_layouts_and_size(tmp_path):
    course = tmp_path / "crisis-management"
    shutil.copytree(SAMPLE_COURSE, course)
    make_template(course / TEMPLATE)
    package = build_course(course, tmp_path / "dist").path
    deck = deck_of(package, "earthquake-tabletop")
    assert (deck.slide_width, deck.slide_height) == (Inches(10), Inches(7.5))
    layouts = [slide.slide_layout.name for slide in deck.slides]
    assert layouts[0] == "Academy title"
    assert set(layouts[1:]) == {"Academy content"}
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert "Sample slide of the template" not in titles
    assert titles[0] == "Tabletop exercise — an earthquake where many nationals live"
    # Pictures and tables still fit on the narrower slides.
    for slide in deck.slides:
        for shape in slide.shapes:
            assert shape.left + shape.width <= deck.slide_width


def test_a_template_whose_title_box_is_too_narrow_for_text_is_a_build_error_naming_it(tmp_path):
    course = tmp_path / "crisis-management"
    shutil.copytree(SAMPLE_COURSE, course)
    prs = Presentation()
    title = next(p for p in prs.slide_layouts[1].placeholders if p.placeholder_format.idx == 0)
    title.width = Inches(0.15)  # narrower than its own margins: no line of text fits
    prs.save(course / TEMPLATE)
    with pytest.raises(CourseError) as failure:
        build_course(course, tmp_path / "dist")
    [problem] = failure.value.problems
    assert problem.path.endswith(TEMPLATE) and "too small to hold text" in problem.message
    assert "Title and Content" in problem.message
    assert not (tmp_path / "dist").exists()
