"""Text on slides fits its box: titles above the bullets, bullets inside their box, nothing off the slide.

Two checks: the geometry python-pptx reads back (fast, every deck of the
sample course), and the decks as LibreOffice shows them, converted to PDF in
one run of ``soffice`` and read line by line with pypdf.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from PIL import ImageFont
from pptx import Presentation
from pptx.util import Emu, Pt
from pypdf import PdfReader

from authoring import deck, model
from authoring.reader import read_course
from conftest import SAMPLE_COURSE
from test_deck import make_template

SOFFICE = os.environ.get("PASSERELLE_SOFFICE") or shutil.which("soffice") or "/usr/bin/soffice"

LONG_TITLE = ("What a consular crisis cell does in the first seventy-two hours after a disaster strikes a country "
              "where many of our nationals live, work, study or travel, and how it hands over to the recovery team")
LONG_TITLE_RU = ("Что делает консульская кризисная группа в первые семьдесят два часа после стихийного бедствия "
                 "в стране, где живут, работают, учатся или путешествуют многие наши граждане")


def constructed(language: str = "en", title: str = LONG_TITLE) -> tuple[model.Course, model.Module]:
    """A live module with a very long title, an activity with a long title and a slide of many long bullets."""
    bullets = [f"Point {n}: the crisis cell confirms each report with two independent sources before it tells "
               "families or the media anything about the nationals concerned" for n in range(1, 26)]
    module = model.Module(
        slug="long", iri="https://example.test/long", type=model.LIVE, title=title, duration=90,
        agenda=[model.AgendaItem(10, f"Item {n} of a long agenda, with a description that wraps on the slide")
                for n in range(1, 16)],
        slides=[model.Slide(title, bullets, notes="Take your time."),
                model.Slide(title, ["Short"], kind="activity", minutes=30, group="three teams",
                            materials=["flipchart", "markers"], notes="Walk round."),
                model.Slide(title, bullets[:6], tables=[[["Role", "Task"], ["Head of mission", "Chairs"]]],
                            notes="Read the table.")])
    course = model.Course(iri="https://example.test", slug="long", title=title, version="1", description="",
                          source_language=language, languages=[language], modules=[module])
    return course, module


LONG_TABLE = [["Role", "Task in the first hours", "Hands over to"]] + [
    [f"Officer {n} of the crisis cell", "Confirms each report with two independent sources before telling families "
     "or the media anything about the nationals concerned", "The head of mission, who decides what the embassy "
     "says in public and when"] for n in range(1, 15)]


def with_long_table(language: str = "en") -> tuple[model.Course, model.Module]:
    """A live module whose one slide has two bullets and a table of fourteen rows of long, wrapping text."""
    module = model.Module(
        slug="table", iri="https://example.test/table", type=model.LIVE, title="Who does what", duration=30,
        slides=[model.Slide("Who does what", ["The cell meets at once", "Each officer has one task"],
                            tables=[LONG_TABLE], notes="Go through the roles.")])
    course = model.Course(iri="https://example.test", slug="table", title="Tables", version="1", description="",
                          source_language=language, languages=[language], modules=[module])
    return course, module


def sample_decks(package: Path) -> dict[str, bytes]:
    """Every deck of the sample course's package, by a file name that says its language and module."""
    with zipfile.ZipFile(package) as zf:
        return {name.replace("/", "_").replace("modules_", "").replace("languages_", ""): zf.read(name)
                for name in zf.namelist() if name.endswith("/deck.pptx")}


def all_decks(package: Path, tmp_path: Path) -> dict[str, bytes]:
    """The sample course's decks, and constructed ones: long titles, many bullets, in English, Russian, a template."""
    decks = sample_decks(package)
    decks["long_deck.pptx"] = deck.render_deck(*constructed())
    decks["ru_long_deck.pptx"] = deck.render_deck(*constructed("ru", LONG_TITLE_RU))
    decks["long_table_deck.pptx"] = deck.render_deck(*with_long_table())
    make_template(tmp_path / "template.pptx")
    decks["template_long_deck.pptx"] = deck.render_deck(*constructed(), template=(tmp_path / "template.pptx")
                                                        .read_bytes())
    return decks


# -- Geometry, as python-pptx reads it back -----------------------------------------------------------------------

def test_sample_decks_are_in_every_language_the_check_needs(sample_package):
    names = sample_decks(sample_package)
    for language in ("", "fr_", "ru_"):
        assert f"{language}earthquake-tabletop_deck.pptx" in names


def test_titles_end_above_the_bullets_and_every_shape_is_on_the_slide(sample_package, tmp_path):
    for name, data in all_decks(sample_package, tmp_path).items():
        prs = Presentation(io.BytesIO(data))
        for number, slide in enumerate(prs.slides, 1):
            title = slide.shapes.title
            where = f"{name}, slide {number}"
            for shape in slide.shapes:
                assert 0 <= shape.left and shape.left + shape.width <= prs.slide_width, where
                assert 0 <= shape.top and shape.top + shape.height <= prs.slide_height, where
                if shape.shape_id != title.shape_id:
                    assert title.top + title.height <= shape.top, f"{where}: {shape.name} starts inside the title"
                if shape.has_text_frame:  # every run carries the size its box was measured for
                    assert all(run.font.size for p in shape.text_frame.paragraphs for run in p.runs), where


def test_without_a_template_the_boxes_span_the_wide_slide(sample_package):
    prs = Presentation(io.BytesIO(sample_decks(sample_package)["earthquake-tabletop_deck.pptx"]))
    for slide in prs.slides:
        title = slide.shapes.title  # as wide a margin on the right as on the left
        assert abs(prs.slide_width - (title.left + title.width) - title.left) < Pt(1), title.text


def test_the_title_is_set_in_a_size_its_lines_fit_its_box_at():
    layout = deck._default_layout()
    text = "Activity (30 min): Round two — families, media and the question of departure"
    size, box = deck._title_box(layout.title, text, layout.body.box.bottom)
    assert box == layout.title.box and deck.SMALLEST_TITLE <= size < layout.title.size
    assert layout.title.height([text], size) <= box.height < layout.title.height([text], layout.title.size)


def test_a_very_long_title_grows_its_box_and_pushes_the_bullets_down():
    course, module = constructed()
    prs = Presentation(io.BytesIO(deck.render_deck(course, module)))
    layout = deck._default_layout()
    slide = prs.slides[2]
    title, body = slide.shapes.title, slide.placeholders[1]
    assert title.height > layout.title.box.height
    assert title.text_frame.paragraphs[0].runs[0].font.size == Pt(deck.SMALLEST_TITLE)
    assert body.top >= title.top + title.height
    assert body.top + body.height == layout.body.box.bottom


def test_bullets_that_do_not_fit_go_on_to_continued_slides():
    course, module = constructed()
    prs = Presentation(io.BytesIO(deck.render_deck(course, module)))
    titles = [slide.shapes.title.text for slide in prs.slides]
    continued = f"{LONG_TITLE} (continued)"
    assert titles[1:4] == ["Agenda", LONG_TITLE, continued]
    bullets = [p.text for slide in list(prs.slides)[2:] if slide.shapes.title.text in (LONG_TITLE, continued)
               for shape in slide.placeholders if shape.placeholder_format.idx == 1
               for p in shape.text_frame.paragraphs]
    assert bullets == module.slides[0].bullets + module.slides[2].bullets  # all of them, in order, once
    sizes = {run.font.size for slide in prs.slides for shape in slide.placeholders if shape.placeholder_format.idx
             for p in shape.text_frame.paragraphs for run in p.runs}
    assert min(sizes) >= Pt(deck.SMALLEST_BODY)
    assert deck.slide_count(module) == len(prs.slides)
    # The slide with a table: its bullets need more than the third above the table, so the table comes after.
    [table_slide] = [slide for slide in prs.slides if any(s.has_table for s in slide.shapes)]
    assert table_slide.shapes.title.text == continued
    assert table_slide == prs.slides[-1]
    assert "Read the table." in table_slide.notes_slide.notes_text_frame.text


def test_a_table_too_long_for_its_slide_goes_on_under_its_header_with_rows_as_high_as_their_text():
    course, module = with_long_table()
    prs = Presentation(io.BytesIO(deck.render_deck(course, module)))
    layout = deck._default_layout()
    tables = [(slide, shape) for slide in prs.slides for shape in slide.shapes if shape.has_table]
    assert len(tables) >= 2
    assert [slide.shapes.title.text for slide, _ in tables] == (
        ["Who does what"] + ["Who does what (continued)"] * (len(tables) - 1))
    rows = []
    for slide, shape in tables:
        table = shape.table
        cells = [[cell.text for cell in row.cells] for row in table.rows]
        assert cells[0] == LONG_TABLE[0]  # the header on every slide
        rows += cells[1:]
        assert shape.top + sum(row.height for row in table.rows) <= layout.body.box.bottom  # inside the slide's area
        sizes = {run.font.size for row in table.rows for cell in row.cells
                 for p in cell.text_frame.paragraphs for run in p.runs}
        assert min(sizes) >= Pt(deck.SMALLEST_TABLE)
        column = shape.width // len(table.columns)
        for index, row in enumerate(table.rows):  # each row is at least as high as its text measures
            size = min(s for s in sizes)
            assert row.height >= deck._row_height([c.text for c in row.cells], size.pt, column, index == 0)
    assert rows == LONG_TABLE[1:]  # every row once, in order
    assert deck.slide_count(module) == len(prs.slides)


def test_the_sample_courses_slide_count_is_its_decks():
    course, _ = read_course(SAMPLE_COURSE)
    for module in course.modules:
        if module.type == model.LIVE:
            prs = Presentation(io.BytesIO(deck.render_deck(course, module)))
            assert deck.slide_count(module) == len(prs.slides)


# -- The decks as LibreOffice shows them ---------------------------------------------------------------------------

def require_soffice(path: str = SOFFICE) -> None:
    """Skip a LibreOffice test when soffice is missing, with the reason; in CI (CI set), fail it instead."""
    if os.path.exists(path):
        return
    reason = (f"LibreOffice is not installed at {path}: apt-get install -y libreoffice-impress "
              "(or set PASSERELLE_SOFFICE to its path)")
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI shows every deck in LibreOffice")
    pytest.skip(reason)


def test_the_libreoffice_check_is_skipped_with_a_reason_but_fails_in_ci(tmp_path, monkeypatch):
    missing = str(tmp_path / "no-soffice")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y libreoffice-impress"):
        require_soffice(missing)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="LibreOffice is not installed"):
        require_soffice(missing)


@pytest.fixture(scope="module")
def shown(sample_package, tmp_path_factory) -> dict[str, tuple[Presentation, PdfReader]]:
    """Every deck and its PDF as LibreOffice renders it, all converted in one run of soffice."""
    require_soffice()
    folder = tmp_path_factory.mktemp("decks")
    decks = all_decks(sample_package, tmp_path_factory.mktemp("template"))
    for name, data in decks.items():
        (folder / name).write_bytes(data)
    profile = tmp_path_factory.mktemp("soffice-profile")  # a profile of its own: runs in parallel do not clash
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(folder), *sorted(str(folder / name) for name in decks)],
                   check=True, capture_output=True, timeout=600)
    return {name: (Presentation(io.BytesIO(data)), PdfReader(folder / name.replace(".pptx", ".pdf")))
            for name, data in decks.items()}


class Run:
    """A line of text (or part of one) on a PDF page: its text, baseline, size and the font's extent."""

    def __init__(self, text: str, x: float, y: float, size: float, font: dict):
        self.text, self.x, self.y, self.size = text, x, y, size
        self.font = str(font.get("/BaseFont", "")).split("+")[-1]
        ascent, descent = _extent(self.font, font)
        self.top, self.bottom = y + ascent * size, y + descent * size

    @property
    def right(self) -> float:
        """Where the run ends, measured with the font LibreOffice embedded (where it starts if that is not found)."""
        font = _font(self.font)
        return self.x if font is None else self.x + font.getlength(self.text) / 1000 * self.size


def _extent(name: str, font: dict) -> tuple[float, float]:
    """The font's ascent and descent (negative) in ems: the font file's, else its descriptor's, else a guess.

    LibreOffice writes 0 for both in the descriptor.
    """
    measured = _font(name)
    if measured is not None:
        ascent, descent = measured.getmetrics()
        return ascent / 1000, -descent / 1000
    descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    ascent, descent = float(descriptor.get("/Ascent", 0)) / 1000, float(descriptor.get("/Descent", 0)) / 1000
    return (ascent, descent) if ascent else (0.95, -0.3)


@functools.cache
def _font(name: str) -> ImageFont.FreeTypeFont | None:
    """The font LibreOffice used (the PDF embeds a subset of it), as fontconfig finds it, at 1000 pixels an em."""
    if not name or shutil.which("fc-match") is None:
        return None
    found = subprocess.run(["fc-match", "-f", "%{file}", name.replace("-", ":style=", 1)], capture_output=True,
                           text=True).stdout
    return ImageFont.truetype(found, 1000) if found.endswith((".ttf", ".otf")) else None


def runs(page) -> list[Run]:
    """The page's text runs, in the order they are drawn: the title's first, then the other shapes'."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip() and font is not None:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append(Run(text, x, y, size * (tm[3] * cm[3] + tm[2] * cm[1]), font))

    page.extract_text(visitor_text=visit)
    return found


def split_title(found: list[Run], title: str) -> tuple[list[Run], list[Run]]:
    """Split a page's runs into the title's and the rest: the first runs holding the title's letters.

    Letters are counted, not read in order: right-to-left lines come out of
    the PDF in the order they are drawn.
    """
    wanted = Counter(title.replace(" ", ""))
    seen: Counter = Counter()
    for index, run in enumerate(found):
        seen.update(run.text.replace(" ", ""))
        if seen == wanted:
            return found[:index + 1], found[index + 1:]
    raise AssertionError(f"the title {title!r} is not the first text drawn")


def test_libreoffice_shows_every_title_above_its_bullets_and_all_text_on_the_slide(shown):
    checked = 0
    for name, (prs, pdf) in shown.items():
        width, height = prs.slide_width / Pt(1), prs.slide_height / Pt(1)
        assert len(pdf.pages) == len(prs.slides), name
        for number, (slide, page) in enumerate(zip(prs.slides, pdf.pages), 1):
            where = f"{name}, slide {number}"
            title, rest = split_title(runs(page), slide.shapes.title.text)
            title_bottom = min(run.bottom for run in title)
            for run in rest:
                assert run.top <= title_bottom + 0.5, f"{where}: {run.text!r} overlaps the title's last line"
            for run in title + rest:
                assert run.x >= 0 and run.bottom >= 0 and run.top <= height, f"{where}: {run.text!r} is off the slide"
                assert run.right <= width + 0.5, f"{where}: {run.text!r} runs off the slide's right edge"
            for table in (s for s in slide.shapes if s.has_table):  # rows drawn no higher than laid out
                table_bottom = height - (table.top + sum(row.height for row in table.table.rows)) / Pt(1)
                for run in rest:
                    assert run.bottom >= table_bottom - 0.5, f"{where}: {run.text!r} falls below its table"
            body = next((s for s in slide.placeholders if s.placeholder_format.idx == 1), None)
            if body is not None and not any(s.has_table for s in slide.shapes):
                body_bottom = height - (body.top + body.height) / Pt(1)
                for run in rest:
                    assert run.bottom >= body_bottom - 0.5, f"{where}: {run.text!r} falls below its box"
            checked += 1
    assert checked > 100


def test_a_long_title_is_drawn_on_lines_that_fit_its_box(shown):
    prs, pdf = shown["long_deck.pptx"]
    slide, page = prs.slides[2], pdf.pages[2]
    title, _ = split_title(runs(page), slide.shapes.title.text)
    shape = slide.shapes.title
    top, bottom = [prs.slide_height / Pt(1) - Emu(y).pt for y in (shape.top, shape.top + shape.height)]
    assert len({round(run.y) for run in title}) >= 3  # it does wrap
    assert all(bottom <= run.bottom and run.top <= top for run in title)
