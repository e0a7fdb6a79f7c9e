"""Turn a course written in Markdown into a course package.

The pipeline reads ``course.yaml`` and the modules' Markdown into a typed
model (:mod:`authoring.model`), validates it, renders HTML pages and PPTX
decks from that one model and writes a zip package with a manifest.  It
works without the web application.
"""

from pathlib import Path

#: Noto Sans and Noto Naskh Arabic (SIL Open Font License, beside them): decks are measured with them, and
#: the LMS draws certificates with them.
FONTS = Path(__file__).resolve().parent / "fonts"
