"""Languages: which codes are valid, which way each is written, and the interface's catalogs.

The interface's catalogs (``translations/interface/<lang>/LC_MESSAGES/messages.po``)
translate the words the platform itself adds to a course: headings such as
"Objectives", the default Likert scale, "True" and "False", the deck's labels.
The LMS reads the same catalogs for its pages.
"""

from __future__ import annotations

import gettext
import hashlib
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

#: The languages the interface is translated into, with their own names.
INTERFACE_LANGUAGES = {"en": "English", "fr": "Français", "es": "Español", "ru": "Русский", "ar": "العربية"}
#: The folder of the interface's catalogs.
INTERFACE_DIR = Path(__file__).resolve().parent.parent / "translations" / "interface"
#: The gettext domain of the interface's catalogs.
DOMAIN = "messages"


def locale_of(code: str) -> Locale | None:
    """Return the Babel locale of a language code such as ``fr`` or ``pt-BR``, or None if it is not one."""
    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def is_rtl(code: str) -> bool:
    """Tell whether a language is written from right to left (Arabic, Hebrew, Persian...)."""
    locale = locale_of(code)
    return locale is not None and locale.character_order == "right-to-left"


def direction(code: str) -> str:
    """Return the HTML ``dir`` of a language: ``rtl`` or ``ltr``."""
    return "rtl" if is_rtl(code) else "ltr"


def N_(text: str) -> str:  # noqa: N802 -- the name gettext's tools look for
    """Mark words for the interface's catalogs where they are defined; they are translated where shown."""
    return text


@lru_cache(maxsize=None)
def interface_version(code: str) -> str:
    """Return a hash of the compiled catalogs :func:`interface_translations` reads for a language.

    What a build renders with the interface's words is kept under it, so a
    changed catalog renders those files again.
    """
    digest = hashlib.sha256()
    for path in gettext.find(DOMAIN, str(INTERFACE_DIR), [code.replace("-", "_")], all=True):
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=None)
def interface_translations(code: str) -> NullTranslations:
    """Return the interface's compiled catalog for a language (English words if there is none)."""
    return Translations.load(str(INTERFACE_DIR), [code.replace("-", "_")], DOMAIN)
