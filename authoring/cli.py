"""Command-line commands of the authoring pipeline: ``build`` and ``check``."""

from __future__ import annotations

import sys
from contextlib import ExitStack

import click

from .build import build_course
from .images import ImageSettings
from .problems import CourseError
from .reader import read_course


@click.command("check")
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False))
def check_command(course_dir: str) -> None:
    """Check a course's sources and list every problem."""
    course, problems = read_course(course_dir)
    for problem in problems.sorted():
        click.echo(problem.format(), err=True)
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
            for problem in exc.problems:
                click.echo(problem.format(), err=True)
            errors = sum(p.severity == "error" for p in exc.problems)
            raise click.ClickException(f"build failed: {errors} errors") from None
    for problem in result.warnings:
        click.echo(problem.format(), err=True)
    click.echo(result.summary())
