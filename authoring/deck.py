"""Render a live module as a PowerPoint deck with python-pptx.

Slides: a title slide, the agenda, then each content or activity slide; the
facilitator notes become the speaker notes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from pptx import Presentation
from pptx.util import Inches, Pt

from . import model
from .package import zip_bytes

#: Fixed document dates, so the same sources give the same bytes.
BUILD_EPOCH = dt.datetime(2000, 1, 1)

# Layout indexes of python-pptx's default template.
_TITLE, _TITLE_AND_CONTENT = 0, 1


def render_deck(course: model.Course, module: model.Module) -> bytes:
    """Return the PPTX bytes of a live module."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    props = prs.core_properties
    props.title = module.title
    props.subject = course.title
    props.author = props.last_modified_by = "Passerelle"
    props.created = props.modified = BUILD_EPOCH
    props.revision = 1

    title = prs.slides.add_slide(prs.slide_layouts[_TITLE])
    title.shapes.title.text = module.title
    title.placeholders[1].text = f"{course.title}\n{module.duration} min"

    agenda = [f"{item.minutes} min — {item.text}" for item in module.agenda]
    _bullet_slide(prs, "Agenda", agenda, notes="")
    for slide in module.slides:
        heading = slide.title
        if slide.kind == "activity":
            heading = f"Activity ({slide.minutes} min): {slide.title}"
        _bullet_slide(prs, heading, slide.bullets, slide.notes)

    out = io.BytesIO()
    prs.save(out)
    # python-pptx stamps each zip member with the current time; repack it.
    with zipfile.ZipFile(out) as pptx:
        return zip_bytes({info.filename: pptx.read(info) for info in pptx.infolist()}, sort=False)


def _bullet_slide(prs, title: str, bullets: list[str], notes: str) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[_TITLE_AND_CONTENT])
    slide.shapes.title.text = title
    body = slide.placeholders[1]
    body.width = prs.slide_width - 2 * body.left
    frame = body.text_frame
    for index, text in enumerate(bullets):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.text = text
        paragraph.font.size = Pt(24 if len(bullets) <= 4 else 20)
    if notes:
        slide.notes_slide.notes_text_frame.text = notes

