"""Command-line commands of the authoring pipeline: ``build``, ``check``, ``translate`` and ``export``."""

from __future__ import annotations

import sys
from contextlib import ExitStack

import click

from . import export, translation
from .build import build_course
from .export import cmi5, scorm12
from .images import ImageSettings
from .problems import CourseError
from .reader import read_course


@click.command("check")
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False))
def check_command(course_dir: str) -> None:
    """Check a course's sources and list every problem."""
    course, problems = read_course(course_dir)
    _echo_problems(problems.sorted())
    if problems.errors:
        raise click.ClickException(f"{len(problems.errors)} errors, {len(problems.warnings)} warnings")
    click.echo(f"{course_dir}: {len(course.modules)} modules, no errors, {len(problems.warnings)} warnings")


@click.command("build")
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", "out_dir", default="dist", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write the package to.")
@click.option("--image-width", default=ImageSettings.max_width, show_default=True, type=click.IntRange(100, 4000),
              help="Images wider than this (pixels) are scaled down.")
@click.option("--image-quality", default=ImageSettings.quality, show_default=True, type=click.IntRange(10, 95),
              help="JPEG and WebP quality of recompressed images.")
@click.option("--no-cache", is_flag=True, help="Rebuild every module, ignoring what earlier builds kept.")
def build_command(course_dir: str, out_dir: str, image_width: int, image_quality: int, no_cache: bool) -> None:
    """Build a course folder into a package (zip) in OUTPUT.

    Modules that have not changed since the last build into OUTPUT are taken
    from its cache (OUTPUT/.cache); the package is the same either way.
    """
    with ExitStack() as bar_closer:
        bar = None

        def progress(done: int, total: int, slug: str) -> None:
            nonlocal bar
            if bar is None:
                bar = bar_closer.enter_context(click.progressbar(
                    length=total, label="Building", file=sys.stderr, item_show_func=lambda item: item))
            bar.update(done - bar.pos, slug)

        try:
            result = build_course(course_dir, out_dir, ImageSettings(image_width, image_quality),
                                  use_cache=not no_cache, progress=progress)
        except CourseError as exc:
            bar_closer.close()
            raise _failed(exc, "build failed: {errors} errors") from None
    _echo_problems(result.warnings + result.translation_errors)
    click.echo(result.summary())
    failed = [t.language for t in result.translations if t.course is None]
    if failed:
        raise click.ClickException(f"the package was written without {', '.join(failed)}: "
                                   "fix the catalog errors above and build again")


@click.group("translate")
def translate_group() -> None:
    """Translate a course's content through gettext catalogs (translations/<course>/<lang>.po)."""


def _translations_option(fn):
    return click.option("--translations", "root", type=click.Path(file_okay=False), default=None,
                        help="Folder of catalogs [default: translations/ beside courses/].")(fn)


@translate_group.command("extract")
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False))
@_translations_option
def extract_command(course_dir: str, root: str | None) -> None:
    """Write the template (POT) of every translatable segment of a course."""
    path, count = _translating(translation.write_template, course_dir, root)
    click.echo(f"{path}: {count} segments")


@translate_group.command("update")
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--lang", "languages", multiple=True,
              help="Language to create or update, e.g. fr (repeat for several) [default: the course's languages].")
@_translations_option
def update_command(course_dir: str, languages: tuple[str, ...], root: str | None) -> None:
    """Create or update the catalogs of a course, keeping every translation."""
    for language in languages or _translating(translation.course_languages, course_dir, root):
        result = _translating(translation.update_catalog, course_dir, language, root)
        verb = "created" if result.created else "updated"
        click.echo(f"{result.path}: {verb}, {result.new} new, {result.fuzzy} newly fuzzy "
                   f"(source changed; previous text kept), {result.obsolete} obsolete (kept as #~)")


@translate_group.command("stats")
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False))
@_translations_option
def stats_command(course_dir: str, root: str | None) -> None:
    """Print, per language, how many segments are translated, fuzzy and untranslated."""
    rows = _translating(translation.stats, course_dir, root)
    if not rows:
        click.echo("the course has no target languages; list them under 'languages:' in course.yaml")
        return
    click.echo(f"{'language':<9}{'translated':>16}{'fuzzy':>14}{'untranslated':>18}{'segments':>10}")
    for row in rows:
        click.echo(f"{row.language:<9}{_share(row, row.translated):>16}{_share(row, row.fuzzy):>14}"
                   f"{_share(row, row.untranslated):>18}{row.total:>10}")


def _share(row: translation.LanguageStats, count: int) -> str:
    return f"{count} ({row.percent(count):.0f}%)"


def _echo_problems(problems) -> None:
    for problem in problems:
        click.echo(problem.format(), err=True)


def _failed(exc: CourseError, message: str) -> click.ClickException:
    """Print a course's problems; return the command's failure, ``message`` given the count of its errors."""
    _echo_problems(exc.problems)
    return click.ClickException(message.format(errors=sum(p.severity == "error" for p in exc.problems)))


def _translating(fn, *args):
    """Run a translation step, turning its errors into a plain sentence."""
    try:
        return fn(*args)
    except translation.TranslationError as exc:
        raise click.ClickException(str(exc.args[0])) from None


@click.group("export")
def export_group() -> None:
    """Export a course for other LMSs: cmi5 or SCORM 1.2 packages, one per language."""


def _export(standard, course_dir: str, out_dir: str) -> None:
    """Build the course (into OUTPUT/.build, kept for the next export) and write its packages into OUTPUT."""
    try:
        result, paths = export.export(course_dir, out_dir, standard.write)
    except CourseError as exc:
        raise _failed(exc, "export failed: the course has {errors} errors") from None
    _echo_problems(result.warnings + result.translation_errors)
    for path in paths:
        click.echo(path)


def _export_options(fn):
    fn = click.option("-o", "--output", "out_dir", default="dist", show_default=True,
                      type=click.Path(file_okay=False), help="Folder to write the packages to.")(fn)
    return click.argument("course_dir", type=click.Path(exists=True, file_okay=False))(fn)


@export_group.command("cmi5")
@_export_options
def export_cmi5_command(course_dir: str, out_dir: str) -> None:
    """Write a cmi5 course package (cmi5.xml and the modules) per language of the course into OUTPUT.

    Each self-paced module is an AU that any cmi5 LMS can launch; its quiz is graded in the learner's browser.
    """
    _export(cmi5, course_dir, out_dir)


@export_group.command("scorm12")
@_export_options
def export_scorm12_command(course_dir: str, out_dir: str) -> None:
    """Write a SCORM 1.2 package (imsmanifest.xml and the modules) per language of the course into OUTPUT.

    Each self-paced module is a SCO; its quiz is graded in the learner's browser.
    """
    _export(scorm12, course_dir, out_dir)
