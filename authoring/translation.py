"""Course content through gettext catalogs: extract, update, count, and translate a course.

A course's catalogs live in ``translations/<course>/``: ``<course>.pot``, the
template of every segment, and one ``<lang>.po`` per target language.  Each
entry carries the file and line of its segment, and a context where the same
words mean something particular (an accepted answer, a point of a scale).

A build reads each catalog and the sources together: a segment with a
translation is replaced by it, one without (or with a fuzzy one) stays in the
source language and is listed; the translated sources are then read by the
same reader as the originals, so a translation that breaks the course's
structure is an error naming the PO file and line.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import yaml
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural
from babel.messages.pofile import PoFileError, read_po, write_po

from . import heap, model, segments
from .cache import BuildCache, code_version
from .cache import key as cache_key
from .locales import interface_translations, locale_of
from .markdown import markdown
from .parallel import Workers
from .problems import Problems
from .reader import COURSE_FILE, MODULES_DIR, _as_list, load_yaml, read_module
from .segments import Segment

#: Where course catalogs live, relative to the folder holding ``courses/``.
TRANSLATIONS_DIR = "translations"
#: Markdown whose meaning the translation must keep: link targets and image files.
_TARGETS = ("link_open", "image")


class TranslationError(Exception):
    """A translation command cannot run; the message says why in a sentence."""


@dataclass
class LanguageStats:
    """How much of a course one catalog translates."""

    language: str
    translated: int
    fuzzy: int
    untranslated: int

    @property
    def total(self) -> int:
        return self.translated + self.fuzzy + self.untranslated

    def percent(self, count: int) -> float:
        return 100.0 * count / self.total if self.total else 100.0


class Fallback(NamedTuple):
    """A segment shown in the source language because its translation is missing or fuzzy (a tuple: many are made)."""

    path: str
    line: int
    text: str
    fuzzy: bool = False


@dataclass
class CourseTranslation:
    """A course translated into one language, or the problems that kept it from being built."""

    language: str
    course: model.Course | None
    stats: LanguageStats
    problems: Problems
    fallbacks: list[Fallback] = field(default_factory=list)
    catalog_path: Path | None = None
    keys: dict[str, str] = field(default_factory=dict)  # module slug -> key of its source and translations
    read: list[str] = field(default_factory=list)  # slugs of the modules read in this build, not kept ones


@dataclass
class UpdateResult:
    """What ``translate update`` did to a catalog."""

    path: Path
    created: bool
    new: int
    fuzzy: int
    obsolete: int


def catalog_dir(course_dir: str | Path, root: str | Path | None = None) -> Path:
    """Return the folder of a course's catalogs: ``translations/<course>/`` beside ``courses/``."""
    course_dir = Path(course_dir).resolve()
    base = Path(root) if root is not None else course_dir.parent.parent / TRANSLATIONS_DIR
    return base / course_dir.name


def check_language(code: str) -> None:
    """Raise :class:`TranslationError` unless ``code`` is a language Babel knows."""
    if locale_of(code) is None:
        raise TranslationError(f"{code!r} is not a language code; use one such as fr, es, ru, ar or pt-BR")


def source_files(course_dir: str | Path, cache: BuildCache | None = None) -> list[tuple[str, str, list[Segment]]]:
    """Return ``(name in the course folder, text, segments)`` of course.yaml and each module, in course order.

    With a ``cache``, a file's segments are found once for each text it has had.
    """
    course_dir = Path(course_dir)
    course_text = _read_text(course_dir / COURSE_FILE)
    found = [(COURSE_FILE, course_text, segments.course_segments(course_text))]
    for slug in _module_order(course_dir, course_text):
        name = f"{MODULES_DIR}/{slug}.md"
        text = _read_text(course_dir / name)
        found.append((name, text, _module_segments(text, cache)))
    return found


def _module_segments(text: str, cache: BuildCache | None) -> list[Segment]:
    entry_key = cache_key(code_version(), "segments", text) if cache else ""
    rows = cache.get_json("segments", entry_key) if cache else None
    if isinstance(rows, list):
        try:
            return [Segment(*row) for row in rows]
        except TypeError:
            pass  # written by other code: find them again
    found = segments.module_segments(text)
    if cache:
        cache.put_json("segments", entry_key, [list(segment) for segment in found])
    return found


def template(course_dir: str | Path, sources: list[tuple[str, str, list[Segment]]] | None = None) -> Catalog:
    """Return the template (POT) of a course: every segment, with where it is and its context.

    ``sources`` are the course's :func:`source_files`, if they were already read.
    """
    course_dir = Path(course_dir)
    catalog = Catalog(project=course_dir.resolve().name, version=str(_course_meta(course_dir).get("version", "")),
                      charset="utf-8", fuzzy=False)
    for name, _text, found in sources if sources is not None else source_files(course_dir):
        for segment in found:
            catalog.add(segment.text, locations=[(name, segment.line)], context=segment.context)
    return catalog


def write_template(course_dir: str | Path, root: str | Path | None = None) -> tuple[Path, int]:
    """Write ``<course>.pot``; return its path and the number of segments."""
    catalog = template(course_dir)
    folder = catalog_dir(course_dir, root)
    path = folder / f"{Path(course_dir).resolve().name}.pot"
    _write(path, catalog)
    return path, len(catalog)


def update_catalog(course_dir: str | Path, language: str, root: str | Path | None = None) -> UpdateResult:
    """Create or update ``<lang>.po`` from the sources, keeping every translation.

    A segment whose text changed is matched to its old entry, which keeps its
    translation, is marked fuzzy and records the previous text; an entry
    whose segment is gone is kept as obsolete (``#~``), never dropped.
    """
    check_language(language)
    source = _course_language(course_dir)
    if language == source:
        raise TranslationError(f"{language} is the course's source language; it needs no catalog")
    fresh = template(course_dir)
    path = catalog_dir(course_dir, root) / f"{language}.po"
    created = not path.exists()
    if created:
        catalog = Catalog(locale=language.replace("-", "_"), project=fresh.project, charset="utf-8", fuzzy=False,
                          header_comment=f"# {fresh.project}: the course's text in {language}.\n#",
                          last_translator=f"{fresh.project} translators", language_team=f"{language} translators",
                          revision_date=datetime.datetime.now(datetime.timezone.utc))
        before: set = set()
    else:
        catalog = _read_catalog(path)
        before = {_key(m) for m in catalog if m.id}
    fuzzy_before = {_key(m) for m in catalog if m.id and m.fuzzy}
    obsolete_before = len(catalog.obsolete)
    catalog.update(fresh, update_creation_date=False)
    _write(path, catalog, previous=True)
    new = sum(1 for m in catalog if m.id and _key(m) not in before and not m.fuzzy)
    fuzzy = sum(1 for m in catalog if m.id and m.fuzzy and _key(m) not in fuzzy_before)
    return UpdateResult(path, created, new, fuzzy, len(catalog.obsolete) - obsolete_before)


def course_languages(course_dir: str | Path, root: str | Path | None = None) -> list[str]:
    """Return the course's target languages: those course.yaml lists, then any other catalog found."""
    source = _course_language(course_dir)
    meta = _course_meta(course_dir)
    listed = [str(x) for x in meta.get("languages") or []] if isinstance(meta.get("languages"), list) else []
    found = sorted(p.stem for p in catalog_dir(course_dir, root).glob("*.po"))
    return [lang for lang in dict.fromkeys(listed + found) if lang != source]


def stats(course_dir: str | Path, root: str | Path | None = None) -> list[LanguageStats]:
    """Count, per target language, the segments translated, fuzzy and untranslated in the current sources."""
    known = _segment_keys(source_files(course_dir))
    out = []
    for language in course_languages(course_dir, root):
        path = catalog_dir(course_dir, root) / f"{language}.po"
        catalog = _read_catalog(path) if path.exists() else Catalog()
        out.append(_count(known, catalog, language))
    return out


def translate_course(course_dir: str | Path, course: model.Course, language: str,
                     root: str | Path | None = None,
                     sources: list[tuple[str, str, list[Segment]]] | None = None,
                     cache: BuildCache | None = None) -> CourseTranslation:
    """Translate a course that was read without errors into ``language`` from its catalog.

    The result's ``course`` is None when the catalog has errors; its problems
    name the PO file and line.  Segments without a translation stay in the
    source language and are listed in ``fallbacks`` and in each module's
    ``fallback``.  ``sources`` are the course's :func:`source_files`, read
    once for every language of a build.

    With a ``cache``, a translated module is kept under a key of its source
    and the translations offered for its segments, so a module is read again
    only when its text, or one of its entries in the catalog, changes.  The
    result's ``keys`` give that key for every module, ``read`` the modules
    that were read again.
    """
    return translate_languages(course_dir, course, [language], root, sources, cache)[0]


def translate_languages(course_dir: str | Path, course: model.Course, languages: list[str],
                        root: str | Path | None = None,
                        sources: list[tuple[str, str, list[Segment]]] | None = None,
                        cache: BuildCache | None = None) -> list[CourseTranslation]:
    """Translate a course into each of ``languages``, as :func:`translate_course` does.

    The translated modules to read are read in worker processes, from two of
    them, while the next language is being prepared.
    """
    course_dir = Path(course_dir)
    sources = sources if sources is not None else source_files(course_dir, cache)
    known = _segment_keys(sources)
    prepared, tickets = [], {}
    # A language's modules to read again are handed to the workers as soon as it is prepared, and read while
    # the next language is prepared.
    with Workers() as workers:
        for language in languages:
            ready = _prepare(course_dir, course, language, root, sources, known, cache)
            heap.settled()  # its modules kept in the cache live until the build ends
            prepared.append(ready)
            for module in course.modules if ready.files is not None else []:
                name = f"{MODULES_DIR}/{module.slug}.md"
                if ready.files[name].kept is None:
                    tickets[(language, name)] = workers.submit(
                        _read_translated, (course_dir / name, module.iri, ready.files[name].text[0]))
        fresh = {job: workers.result(ticket) for job, ticket in tickets.items()}
    for language in prepared:
        if language.files is not None:
            language.result.course = _translated_course(course, language, fresh, cache)
            if language.result.problems.errors:
                language.result.course = None
    return [language.result for language in prepared]


@dataclass
class _Translated:
    """A source file with its translations in place, or the module kept in the cache for the same inputs."""

    text: tuple[str, dict[Segment, range]] | None  # the translated text and where each segment went
    fallback: list[str]
    key: str
    kept: model.Module | None = None


@dataclass
class _Language:
    """A language being translated: its result so far, and its files, or None when its catalog has errors."""

    result: CourseTranslation
    files: dict[str, _Translated] | None = None
    catalog: Catalog | None = None
    shown: str = ""
    words: dict[str, str] = field(default_factory=dict)


def _prepare(course_dir: Path, course: model.Course, language: str, root: str | Path | None,
             sources: list[tuple[str, str, list[Segment]]], known: set[tuple[str, str | None]],
             cache: BuildCache | None) -> _Language:
    """Read and check a language's catalog, and put its translations in every source file's place.

    ``known`` is :func:`_segment_keys` of the sources.  With a ``cache``, what
    a module's segments found in the catalog is kept under the module's text
    and the whole catalog, so that a module and catalog both unchanged since
    the last build are not gone through segment by segment again.
    """
    problems = Problems()
    path = catalog_dir(course_dir, root) / f"{language}.po"
    shown = _shown(path)
    if locale_of(language) is None:
        problems.error(course_dir / COURSE_FILE, 1, f"{language!r} is not a language code",
                       "list languages as codes such as fr, es, ru, ar or pt-BR")
        return _Language(CourseTranslation(language, None, _count(known, Catalog(), language), problems,
                                           catalog_path=path))
    catalog = Catalog()
    if path.exists():
        try:
            catalog = _read_catalog(path)
        except TranslationError as exc:
            line = exc.args[1] if len(exc.args) > 1 else 1
            problems.error(shown, line, exc.args[0], "fix the PO file's syntax (msgfmt --check shows the same)")
            return _Language(CourseTranslation(language, None, _count(known, Catalog(), language), problems,
                                               catalog_path=path))
        _check_catalog(catalog, known, language, path, problems)
    result = CourseTranslation(language, None, _count(known, catalog, language), problems, catalog_path=path)
    words = _platform_words(language)
    iris = {f"{MODULES_DIR}/{module.slug}.md": module.iri for module in course.modules}
    files = {}
    entries = {(message.id, message.context): message for message in catalog if message.id}
    words_json = json.dumps(words, sort_keys=True)
    whole = cache_key(code_version(), language, path.read_bytes() if path.exists() else b"", words_json)
    for name, text, found in sources:
        iri = iris.get(name)
        memo_key = cache_key(whole, name, iri or "", text) if cache and iri is not None else ""
        memo = _memo(name, cache.get_json("prepared", memo_key)) if memo_key else None
        kept = _kept_module(cache.get_json("translated", memo[0])) if memo else None
        if memo and kept is not None:
            entry_key, fallbacks = memo
            result.fallbacks += fallbacks
            files[name] = _Translated(None, [f.text for f in fallbacks], entry_key, kept)
            continue
        messages = [entries.get((segment.text, segment.context)) for segment in found]
        offered = [m.string if m is not None and not m.fuzzy and m.string.strip() else "" for m in messages]
        entry_key = cache_key(code_version(), language, name, iri or "", text, json.dumps(offered), words_json)
        kept = _kept_module(cache.get_json("translated", entry_key)) if cache and iri is not None else None
        chosen, fallback, fallbacks = {}, [], []
        for segment, message, string in zip(found, messages, offered, strict=True):
            # A module kept in the cache was made from these very translations, which passed their checks then.
            if string and (kept is not None or _check_segment(segment, string, shown, message.lineno, problems)):
                if kept is None:
                    chosen[segment] = string
            else:
                fallback.append(segment.text)
                fallbacks.append(Fallback(name, segment.line, segment.text,
                                          message is not None and message.fuzzy and bool(message.string)))
        result.fallbacks += fallbacks
        translated = None if kept is not None else segments.apply(text, found, chosen)
        files[name] = _Translated(translated, fallback, entry_key, kept)
        if memo_key:
            cache.put_json("prepared", memo_key, [entry_key, [[f.line, f.text, f.fuzzy] for f in fallbacks]])
    if problems.errors:
        return _Language(result)
    return _Language(result, files, catalog, shown, words)


# -- reading the translated sources ----------------------------------------

def _translated_course(course: model.Course, language: _Language,
                       fresh: dict[tuple[str, str], tuple[model.Module | None, Problems]],
                       cache: BuildCache | None) -> model.Course:
    """Put the translated sources together into a course whose ids are the source's.

    ``fresh`` holds the modules read again, by (language, file name), with the problems their reading found.
    """
    files, result = language.files, language.result
    course_file = files[COURSE_FILE]
    meta = load_yaml(course_file.text[0]) or {}
    translated = dataclasses.replace(
        course,
        title=str(meta.get("title", course.title)),
        description=str(meta.get("description", course.description)).strip(),
        audience=str(meta.get("audience", course.audience)).strip(),
        objectives=[str(x) for x in _as_list(meta.get("objectives"))],
        prerequisites=[str(x) for x in _as_list(meta.get("prerequisites"))],
        language=result.language,
        fallback=course_file.fallback,
        modules=[],
    )
    for module in course.modules:
        name = f"{MODULES_DIR}/{module.slug}.md"
        source = files[name]
        read = source.kept
        if read is None:
            read = _checked(name, module, source, *fresh[(result.language, name)], language)
            if read is None:
                continue
            result.read.append(module.slug)
            if cache:
                cache.put_json("translated", source.key, read.to_dict())
        read.assets, read.downloads = module.assets, module.downloads
        read.fallback = source.fallback
        result.keys[module.slug] = source.key
        translated.modules.append(read)
    return translated


def _memo(name: str, kept) -> tuple[str, list[Fallback]] | None:
    """Return what a module's segments found in an unchanged catalog, as :func:`_prepare` kept it."""
    try:
        entry_key, rows = kept
        return entry_key, [Fallback(name, line, text, fuzzy) for line, text, fuzzy in rows]
    except (TypeError, ValueError):
        return None  # written by other code: go through the segments again


def _kept_module(kept: dict | None) -> model.Module | None:
    if kept is None:
        return None
    try:
        return model.Module.from_dict(kept)
    except (ValueError, TypeError, KeyError):
        return None  # written by other code: read it again


def _read_translated(_shared, job: tuple[Path, str, str]) -> tuple[model.Module | None, Problems]:
    """Read one translated module's text as the reader reads its source (in a worker process when it pays)."""
    path, iri, text = job
    own = Problems()
    return read_module(path, iri, own, [], text=text), own


def _checked(name: str, module: model.Module, source: _Translated, result: model.Module | None, own: Problems,
             language: _Language) -> model.Module | None:
    """Return a translated module as read if it keeps its source's shape; report what breaks it by PO line."""
    where, catalog, shown, problems = source.text[1], language.catalog, language.shown, language.result.problems
    for problem in own.errors:
        line = _entry_line(problem.line, where, catalog)
        problems.error(shown, line, f"the translation of {name} no longer reads: {problem.message}",
                       "keep the Markdown of the source: lists, links, the words before ':' on answer lines")
    if own.errors or result is None:
        return None
    if _shape(result) != _shape(module):
        first = min((catalog.get(s.text, context=s.context).lineno or 1 for s in where), default=1)
        problems.error(shown, first, f"the translation of {name} changes its structure "
                       "(pages, questions, options, steps or slides)",
                       "translate each segment as one piece of text, without adding or removing Markdown")
        return None
    _keep_ids(result, module)
    _translate_defaults(result, language.words)
    return result


def _keep_ids(translated: model.Module, source: model.Module) -> None:
    """Give a translated module the ids of its source: pages and scenarios are named from their titles."""
    for page, original in zip(translated.pages, source.pages, strict=True):
        page.id = original.id
    for scenario, original in zip(translated.scenarios, source.scenarios, strict=True):
        scenario.id = original.id


def _platform_words(language: str) -> dict[str, str]:
    """Return the platform's own words that an author did not write (a quiz's title, True and False), translated."""
    gettext = interface_translations(language).gettext
    defaults = (model.DEFAULT_QUIZ_TITLE, model.DEFAULT_SURVEY_TITLE, model.DEFAULT_SCENARIO_TITLE,
                model.TRUE_LABEL, model.FALSE_LABEL, *model.DEFAULT_LIKERT_SCALE)
    return {text: gettext(text) for text in defaults}


def _translate_defaults(module: model.Module, words: dict[str, str]) -> None:
    """Put the platform's own words in a module's language, where the author left the defaults."""

    def own(text: str) -> str:
        return words.get(text, text)

    if module.quiz:
        module.quiz.title = own(module.quiz.title)
        for question in module.quiz.questions:
            if question.kind == model.TRUE_FALSE:
                for option in question.options:
                    option.text = own(option.text)
    if module.survey:
        module.survey.title = own(module.survey.title)
        for item in module.survey.items:
            item.scale = [own(label) for label in item.scale]
    for scenario in module.scenarios:
        scenario.title = own(scenario.title)


def _shape(module: model.Module):
    """Return what a translation must not change in a module: its parts and their ids, without the words."""
    quiz = module.quiz
    return (
        module.type, len(module.pages),
        quiz and [(q.id, q.kind, len(q.options), [o.correct for o in q.options], len(q.answers), q.number)
                  for q in quiz.questions],
        module.survey and [(i.id, i.kind, len(i.scale)) for i in module.survey.items],
        [[(s.id, [c.goto for c in s.choices], s.outcome) for s in sc.steps] for sc in module.scenarios],
        [(a.minutes,) for a in module.agenda],
        [(s.kind, s.minutes, len(s.tables)) for s in module.slides],
        len(module.glossary),
    )


def _entry_line(line: int, where: dict[Segment, range], catalog: Catalog) -> int:
    """Return the PO line of the translation at, or else nearest above, ``line`` of a translated file."""
    above = [(lines.start, segment) for segment, lines in where.items() if lines.start <= line]
    if not above:
        return 1
    segment = next((s for s, lines in where.items() if line in lines), max(above, key=lambda pair: pair[0])[1])
    message = catalog.get(segment.text, context=segment.context)
    return message.lineno if message is not None and message.lineno else 1


# -- checks ----------------------------------------------------------------

def _check_catalog(catalog: Catalog, known: set[tuple[str, str | None]], language: str, path: Path,
                   problems: Problems) -> None:
    """Plural forms and entries for segments that are gone; ``known`` holds every segment's (text, context)."""
    shown = _shown(path)
    # Course text has no plurals, so the header changes nothing in the build; and the count for a language
    # changes with Babel's CLDR data (French and Spanish went from 2 to 3), so a catalog written under
    # another Babel must still build.
    plural = get_plural(language.replace("-", "_"))
    if catalog.num_plurals != plural.num_plurals:
        problems.warning(shown, _header_line(path, "Plural-Forms"),
                         f"the Plural-Forms header says nplurals={catalog.num_plurals}, but {language} has "
                         f"{plural.num_plurals} in Babel's data", f"write the header as: Plural-Forms: {plural}")
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            problems.error(shown, message.lineno or 1, "course text has no plural forms (msgid_plural)",
                           "remove msgid_plural and translate the entry once")
        elif (message.id, message.context) not in known and message.string and not message.fuzzy:
            problems.warning(shown, message.lineno or 1, f"the translation of {_short(message.id)!r} has no "
                             "segment in the sources any more",
                             "run 'passerelle translate update' to mark it obsolete")


def _check_segment(segment: Segment, string: str, shown: str, lineno: int | None, problems: Problems) -> bool:
    """Tell whether a translation keeps its segment's links, images and block; report it if not."""
    line = lineno or 1
    if segment.yaml:
        return True
    wanted, given = _targets(segment.text), _targets(string)
    if wanted != given:
        missing = sorted((wanted - given).elements())
        extra = sorted((given - wanted).elements())
        what = f"misses {', '.join(missing)}" if missing else f"adds {', '.join(extra)}"
        problems.error(shown, line, f"the translation of {_short(segment.text)!r} {what}",
                       "keep every link target and image file of the source text as it is")
        return False
    kinds = _blocks(" ".join(string.split()) if segment.single_line else string.strip())
    if kinds != _blocks(segment.text):
        problems.error(shown, line, f"the translation of {_short(segment.text)!r} is not one piece of text: "
                       f"it reads as {_describe(kinds)}",
                       "write it as plain text: a line that starts with '-', '#', '>' or a number and '.' starts "
                       "a new block")
        return False
    if segment.single_line and _pipes(string) != _pipes(segment.text):
        problems.error(shown, line, f"the translation of {_short(segment.text)!r} has a '|' that splits a table cell",
                       "write '\\|' for a '|' inside a cell")
        return False
    return True


def _targets(text: str) -> Counter:
    """Return the link targets and image files of inline Markdown."""
    found: Counter = Counter()
    for token in markdown().parseInline(text)[0].children or []:
        if token.type == "link_open":
            found[f"({token.attrGet('href')})"] += 1
        elif token.type == "image":
            found[f"({token.attrGet('src')})"] += 1
    return found


def _blocks(text: str) -> list[str]:
    """Return the kinds of block a piece of text reads as on its own: normally one paragraph."""
    return [t.type for t in markdown().parse(text) if t.type != "inline"]


def _describe(kinds: list[str]) -> str:
    blocks = [k[:-len("_open")].replace("_", " ") for k in kinds if k.endswith("_open")]
    return ", ".join(dict.fromkeys(blocks)) or "nothing"


def _pipes(text: str) -> int:
    return len(re.findall(r"(?<!\\)\|", text))


def _segment_keys(sources: list[tuple[str, str, list[Segment]]]) -> set[tuple[str, str | None]]:
    """Return the (text, context) of every segment: the entries a catalog of the course should have."""
    return {(segment.text, segment.context) for _name, _text, found in sources for segment in found}


def _count(known: set[tuple[str, str | None]], catalog: Catalog, language: str) -> LanguageStats:
    """Count a catalog's translations of the ``known`` segments."""
    translated = fuzzy = untranslated = 0
    for text, context in known:
        message = catalog.get(text, context=context)
        if message is None or not message.string:
            untranslated += 1
        elif message.fuzzy:
            fuzzy += 1
        else:
            translated += 1
    return LanguageStats(language, translated, fuzzy, untranslated)


# -- files -----------------------------------------------------------------

#: A line of a PO file that is not a comment: a keyword and a string, or a string continuing the last one.
_PO_LINE = re.compile(r'^(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"$')


def _read_catalog(path: Path) -> Catalog:
    """Read a PO file; raise :class:`TranslationError` (message, line) if it is not valid."""
    data = path.read_bytes()
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#") and not _PO_LINE.match(line):
            raise TranslationError(f"syntax error: {_short(line)!r} is not a quoted string after msgid, "
                                   "msgstr or msgctxt", number)
    try:
        return read_po(io.BytesIO(data), locale=None, abort_invalid=True)
    except PoFileError as exc:
        raise TranslationError(f"{exc.args[0] if exc.args else exc}", exc.lineno) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise TranslationError(f"the file cannot be read: {exc}", 1) from None


def _write(path: Path, catalog: Catalog, previous: bool = False) -> None:
    """Write a catalog, replacing the file only once the new one is complete."""
    out = io.BytesIO()
    write_po(out, catalog, width=0, include_previous=previous, sort_output=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(out.getvalue())
    tmp.replace(path)


def _key(message: Message):
    return (message.id, message.context)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TranslationError(f"cannot read {path}: {exc.strerror}") from None


def _course_meta(course_dir) -> dict:
    try:
        meta = load_yaml(_read_text(Path(course_dir) / COURSE_FILE))
    except yaml.YAMLError:
        raise TranslationError(f"{Path(course_dir) / COURSE_FILE} is not valid YAML; "
                               "run 'passerelle check' to see where") from None
    return meta if isinstance(meta, dict) else {}


def _course_language(course_dir) -> str:
    return str(_course_meta(course_dir).get("source_language", "en"))


def _module_order(course_dir: Path, course_text: str) -> list[str]:
    try:
        meta = load_yaml(course_text)
    except yaml.YAMLError:
        meta = None
    listed = meta.get("modules") if isinstance(meta, dict) else None
    if isinstance(listed, list):
        return [str(slug) for slug in listed if (course_dir / MODULES_DIR / f"{slug}.md").is_file()]
    return sorted(p.stem for p in (course_dir / MODULES_DIR).glob("*.md"))


def _header_line(path: Path, field: str) -> int:
    """Return the line of a PO file's header field, or 1 if it has none."""
    start = f'"{field}:'.lower()
    lines = path.read_text("utf-8", "replace").splitlines()
    return next((n for n, line in enumerate(lines, start=1) if line.strip().lower().startswith(start)), 1)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _short(text: str) -> str:
    return text if len(text) <= 50 else text[:47] + "..."
