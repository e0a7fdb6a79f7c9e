"""The interface's language: chosen per request, with Flask-Babel formatting dates and numbers for it.

The language is, in order: the signed-in user's setting, a ``lang``
parameter (which the language switcher's links carry, and which is then
remembered in a cookie and in the user's setting), the ``lang`` cookie, the
browser's ``Accept-Language``, and English.
"""

from __future__ import annotations

import copy
import datetime
import io
import math
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_skeleton, format_time
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.units import format_unit
from flask import Flask, current_app, request
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale, refresh
from flask_login import current_user

from authoring.locales import DOMAIN, INTERFACE_DIR, INTERFACE_LANGUAGES, direction
from authoring.markdown import Fallback

from .db import get_db

COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600


def select_language() -> str:
    """Return the interface language of the current request."""
    asked = request.args.get(COOKIE, "")
    if asked in INTERFACE_LANGUAGES:
        language = asked
    elif getattr(current_user, "is_authenticated", False) and current_user.language in INTERFACE_LANGUAGES:
        language = current_user.language
    elif request.cookies.get(COOKIE) in INTERFACE_LANGUAGES:
        language = request.cookies[COOKIE]
    else:
        language = request.accept_languages.best_match(list(INTERFACE_LANGUAGES)) or "en"
    return language


def _remember(response):
    """Keep a language picked with the switcher: in a cookie, and in the signed-in user's setting."""
    asked = request.args.get(COOKIE, "")
    if asked in INTERFACE_LANGUAGES:
        # Kept for Passerelle's own pages: mounted in a host application, the host's cookies are its own.
        response.set_cookie(COOKIE, asked, max_age=COOKIE_AGE, samesite="Lax", httponly=True,
                            path=request.script_root + "/")
        if getattr(current_user, "is_authenticated", False) and current_user.language != asked:
            current_user.language = asked
            get_db().commit()
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def format_percent(value: float, digits: int = 0) -> str:
    """Format a fraction as a percentage the locale's way (``57 %`` in French), with ``digits`` decimals."""
    locale = get_locale()
    pattern = copy.copy(locale.percent_formats[None])
    pattern.frac_prec = (digits, digits)
    return pattern.apply(value, locale)


def format_size(size: int) -> str:
    """Format a number of bytes as kilobytes, rounded up, the locale's way (``45 ko`` in French)."""
    return format_unit(max(1, math.ceil(size / 1000)), "digital-kilobyte", length="short", locale=get_locale())


def user_zone(user) -> str:
    """The time zone a person reads times in: their own setting, or else the platform's (``TIMEZONE``)."""
    return getattr(user, "timezone", "") or current_app.config["TIMEZONE"]


def format_in_zone(moment: datetime.datetime, zone: str) -> str:
    """Format an aware time as the wall time of ``zone`` for the reader's language, with its UTC offset.

    ``Sat, Mar 28, 2026, 9:00 AM (GMT+02:00)``: the offset says which side of a daylight-saving change it is.
    A time without a zone is UTC (SQLite gives stored times back so).
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    locale, tz = get_locale(), ZoneInfo(zone)
    date = format_skeleton("yMMMEd", moment, tzinfo=tz, locale=locale)
    time = format_time(moment, "short", tzinfo=tz, locale=locale)
    offset = babel_format_datetime(moment, "ZZZZ", tzinfo=tz, locale=locale)
    return f"{locale.datetime_formats['medium'].format(time, date)} ({offset})"


def day_in_zone(moment: datetime.datetime, zone: str) -> datetime.date:
    """The day an aware time falls on in ``zone`` (naive is UTC): a completion at 23:30 UTC is the next day in Tunis."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(ZoneInfo(zone)).date()


def _template_globals() -> dict:
    language = select_language()
    return {"language": language, "direction": direction(language), "languages": INTERFACE_LANGUAGES,
            "format_date": format_date, "format_datetime": format_datetime, "format_number": format_decimal,
            "format_percent": format_percent, "format_size": format_size, "format_in_zone": format_in_zone,
            "day_in_zone": day_in_zone,
            "user_zone": user_zone, "fallback": Fallback()}


def init_app(app: Flask) -> None:
    """Choose each request's language and give templates gettext, its direction and the switcher's list."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(INTERFACE_DIR))
    Babel(app, locale_selector=select_language, timezone_selector=lambda: app.config["TIMEZONE"])
    # Flask-Babel keeps the locale in the application context, which a host application or a test may
    # keep across requests: each request chooses again.
    app.before_request(refresh)
    app.after_request(_remember)
    app.context_processor(_template_globals)


# -- the interface's catalogs ----------------------------------------------

#: Where the interface's words are marked: the LMS and the pages and decks the build writes.
SOURCES = ("lms", "authoring")
_METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
_OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
_KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}


def interface_template() -> Catalog:
    """Extract every marked interface string from the code and templates."""
    root = Path(__file__).resolve().parent.parent
    catalog = Catalog(project="passerelle", charset="utf-8", fuzzy=False)
    for source in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
                root / source, _METHODS, _OPTIONS, keywords=_KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
            catalog.add(message, None, [(f"{source}/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def update_interface_catalogs(folder: Path = INTERFACE_DIR, update: bool = True) -> list[tuple[str, int, int]]:
    """Update each language's catalog from the sources and compile it; return (language, entries, untranslated).

    English, the language the strings are written in, translates each one to itself.
    A catalog is rewritten only when what it says changes (not, say, the Babel version in its header),
    so that a checkout stays as committed. With ``update=False`` the catalogs are only compiled as they are.
    """
    fresh = interface_template() if update else None
    report = []
    for language in INTERFACE_LANGUAGES:
        path = folder / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not update and not path.exists():
            raise click.ClickException(f"{path} is missing: run 'passerelle translate interface' to create it")
        if path.exists():
            with path.open("rb") as f:
                catalog = read_po(f, locale=language)
        else:
            catalog = Catalog(locale=language, project="passerelle", charset="utf-8", fuzzy=False,
                              last_translator="Passerelle translators", language_team=f"{language} translators",
                              revision_date=datetime.datetime.now(datetime.timezone.utc))
        if update:
            _update(catalog, fresh, path, language)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        mo = path.with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled.getvalue():
            mo.write_bytes(compiled.getvalue())
        untranslated = sum(1 for m in catalog if m.id and (m.fuzzy or not all(_strings(m))))
        report.append((language, sum(1 for m in catalog if m.id), untranslated))
    return report


def _update(catalog: Catalog, fresh: Catalog, path: Path, language: str) -> None:
    """Bring a catalog's entries up to the sources' and write it, unless that changes nothing."""
    before = _po_bytes(catalog)
    catalog.update(copy.deepcopy(fresh), update_creation_date=False)  # update() adopts the template's entries
    if language == "en":
        for message in catalog:
            if message.id:
                message.string = message.id
                message.flags.discard("fuzzy")
    after = _po_bytes(catalog)
    if after != before or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(after)


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def _po_bytes(catalog: Catalog) -> bytes:
    """Return a catalog as the PO file this Babel writes, so that a catalog before and after an update compare."""
    out = io.BytesIO()
    write_po(out, catalog, width=0, include_previous=True, ignore_obsolete=False)
    return out.getvalue()


@click.command("interface")
@click.option("--compile-only", is_flag=True,
              help="Only compile the catalogs as they are, changing no PO file (what make test and make demo do).")
def interface_command(compile_only: bool) -> None:
    """Extract the interface's strings, update its catalogs in translations/interface/ and compile them."""
    for language, entries, untranslated in update_interface_catalogs(update=not compile_only):
        click.echo(f"{language}: {entries} strings, {untranslated} untranslated")
