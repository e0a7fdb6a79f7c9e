"""Images for low bandwidth: checked when read, resized and recompressed with Pillow when built."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 50_000_000
_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}


class ImageError(ValueError):
    """An image cannot be used; the message says why."""


@dataclass(frozen=True)
class ImageSettings:
    """How images are prepared for learners on slow connections."""

    max_width: int = 960
    quality: int = 70


def inspect(path: Path) -> tuple[int, int]:
    """Return an image's size after checking it without decoding it; raise :class:`ImageError`."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImageError(f"the image is {size / 2**20:.0f} MB; images may be at most {MAX_FILE_BYTES // 2**20} MB")
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageError(f"the file is not a readable image ({exc})") from None
    if width * height > MAX_PIXELS:
        raise ImageError(f"the image has {width}x{height} pixels; at most {MAX_PIXELS // 1_000_000} million")
    return width, height


def dimensions(data: bytes) -> tuple[int, int]:
    """Return the width and height of an image that :func:`optimise` wrote."""
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def optimise(data: bytes, suffix: str, settings: ImageSettings) -> bytes:
    """Return the image resized to the maximum width and recompressed; never bigger than it was."""
    fmt = _FORMATS[suffix.lower()]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            if fmt == "GIF" and getattr(image, "is_animated", False):
                return data  # re-encoding animations loses frames; keep them as they are
            image = ImageOps.exif_transpose(image)
        except (UnidentifiedImageError, OSError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise ImageError(f"the image cannot be read ({exc})") from None
    resized = image.width > settings.max_width
    if resized:
        height = round(image.height * settings.max_width / image.width)
        image = image.resize((settings.max_width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=settings.quality, optimize=True, progressive=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=settings.quality, method=6)
    elif fmt == "PNG":
        # PNGs are diagrams and screenshots (photographs belong in JPEG): a 256-colour
        # palette keeps them sharp at a third of the size, as pngquant does.
        image.convert("RGBA").quantize(256, method=Image.Quantize.FASTOCTREE).save(out, "PNG", optimize=True)
    else:
        image.save(out, fmt, optimize=True)
    result = out.getvalue()
    return result if resized or len(result) < len(data) else data
