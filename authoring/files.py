"""Files a module offers for download (handouts, optional media), and their size labels.

Learners on a 2G link must know what a link costs before they follow it, so
every download and media link is shown with its kind and size.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

#: Documents a module may offer for download, by extension.
DOCUMENT_TYPES = {
    ".pdf": "PDF", ".docx": "Word", ".doc": "Word", ".odt": "OpenDocument text", ".xlsx": "Excel",
    ".ods": "OpenDocument spreadsheet", ".pptx": "PowerPoint", ".odp": "OpenDocument presentation",
    ".csv": "CSV", ".txt": "text", ".zip": "zip",
}
#: Audio and video, always optional for learners on slow connections.
MEDIA_TYPES = {".mp4": "video", ".webm": "video", ".ogv": "video", ".mp3": "audio", ".m4a": "audio",
               ".ogg": "audio", ".oga": "audio", ".wav": "audio"}
MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024

_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(B|KB|MB|GB)\s*$", re.I)
_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def kind_of(href: str) -> str:
    """Return "document", "media" or "" for a link's target, from its extension."""
    suffix = PurePosixPath(href.split("?", 1)[0].split("#", 1)[0]).suffix.lower()
    if suffix in DOCUMENT_TYPES:
        return "document"
    if suffix in MEDIA_TYPES:
        return "media"
    return ""


def parse_size(text: str) -> int | None:
    """Read a size an author declares, e.g. ``38MB`` or ``1.5 GB``; None if it is not one."""
    match = _SIZE.match(text)
    if not match:
        return None
    return int(float(match[1].replace(",", ".")) * _UNITS[match[2].lower()])


def human_size(size: int) -> str:
    """Return a size as people read it: ``820 B``, ``24 KB``, ``3.2 MB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024**2:
        return f"{size / 1024:.0f} KB"
    if size < 1024**3:
        return f"{size / 1024**2:.1f} MB"
    return f"{size / 1024**3:.1f} GB"


def file_label(href: str, size: int | None) -> str:
    """Return the label shown after a download link, e.g. ``PDF, 120 KB`` or ``optional video, 38 MB``."""
    suffix = PurePosixPath(href.split("?", 1)[0].split("#", 1)[0]).suffix.lower()
    if suffix in MEDIA_TYPES:
        kind = f"optional {MEDIA_TYPES[suffix]}"
    else:
        kind = DOCUMENT_TYPES.get(suffix, "file")
    return f"{kind}, {human_size(size)}" if size is not None else kind
