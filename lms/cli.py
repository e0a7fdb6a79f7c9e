"""The ``passerelle`` command: Flask's command group plus the platform's own commands."""

from __future__ import annotations


import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from authoring.build import build_course
from authoring.cli import build_command, check_command, translate_group
from authoring.package import PackageError
from authoring.problems import CourseError

from . import i18n
from .accounts import services as accounts
from .db import get_db, migrate
from .models import ROLES
from .services import catalog

DEMO_ACCOUNTS = (
    # username, password, role, display name, country, institution, gender
    ("admin", "admin-passerelle", "admin", "Academy administrator", "", "Diplomatic academy", ""),
    ("trainer", "trainer-passerelle", "trainer", "Amina Trainer", "MA", "Diplomatic academy", "female"),
    ("learner", "learner-passerelle", "learner", "Jonas Learner", "NE", "Ministry of Foreign Affairs", "male"),
    ("analyst", "analyst-passerelle", "analyst", "M&E officer", "", "Programme M&E unit", "female"),
)


@click.group("users")
def users_group() -> None:
    """Manage accounts."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="learner", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default="", help="Name shown in the interface.")
@click.option("--country", default="", help="ISO 3166 country code, for M&E disaggregation.")
@click.option("--institution", default="")
@click.option("--gender", default="")
@with_appcontext
def create_user_command(username, role, password, display_name, country, institution, gender) -> None:
    """Create an account."""
    session = get_db()
    try:
        user = accounts.create_user(session, username, password, role, display_name,
                                    country=country.upper(), institution=institution, gender=gender)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"created {user.role} {user.username}")


@click.command("import")
@click.argument("package", type=click.Path(exists=True, dir_okay=False))
@click.option("--allow-downgrade", is_flag=True,
              help="Import a version older than the one learners see; it then becomes the one they see.")
@with_appcontext
def import_command(package: str, allow_downgrade: bool) -> None:
    """Import a course package (zip) built with 'passerelle build'."""
    version, new = _import(package, allow_downgrade)
    state = "imported" if new else "already imported:"
    click.echo(f"{state} {version.course.title} {version.version}")


def _import(package: str, allow_downgrade: bool = False):
    session = get_db()
    try:
        with open(package, "rb") as stream:
            version, new = catalog.import_package(session, stream, current_app.config["PACKAGE_DIR"],
                                                  allow_downgrade=allow_downgrade)
    except catalog.OlderVersion as exc:
        session.rollback()
        raise click.ClickException(f"{package}: {exc}; pass --allow-downgrade to make it the version learners see "
                                   "all the same") from None
    except PackageError as exc:
        session.rollback()
        raise click.ClickException(f"{package}: {exc}") from None
    session.commit()
    return version, new


@click.command("demo")
@click.option("--course", "course_dir", default="courses/crisis-management", show_default=True,
              type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", "out_dir", default="dist", show_default=True, type=click.Path(file_okay=False))
@with_appcontext
def demo_command(course_dir: str, out_dir: str) -> None:
    """Set up a demonstration: build the sample course, create the database, accounts and enrolment."""
    try:
        result = build_course(course_dir, out_dir)
    except CourseError as exc:
        raise click.ClickException(f"the sample course does not build:\n{exc}") from None
    click.echo(f"built {result.summary()}")
    migrate(current_app.extensions["db.engine"])
    session = get_db()
    for username, password, role, name, country, institution, gender in DEMO_ACCOUNTS:
        if accounts.find_user(session, username) is None:
            accounts.create_user(session, username, password, role, name, country=country,
                                 institution=institution, gender=gender)
    session.commit()
    version, _ = _import(str(result.path))
    catalog.enrol(session, accounts.find_user(session, "learner"), version.course)
    session.commit()
    url = current_app.config["PUBLIC_URL"]
    click.echo(f"\nPasserelle is ready at {url}\nLog in with:")
    for username, password, role, *_ in DEMO_ACCOUNTS:
        click.echo(f"  {role:<8} username {username:<8} password {password}")


def init_app(app) -> None:
    translate_group.add_command(i18n.interface_command)
    for command in (build_command, check_command, translate_group, users_group, import_command, demo_command):
        app.cli.add_command(command)


def _create_app():
    from . import create_app

    return create_app()


def main() -> None:
    """Entry point of the ``passerelle`` command."""
    cli = FlaskGroup(name="passerelle", create_app=_create_app, add_version_option=True,
                     help="Passerelle: build Markdown courses, run the LMS and its learning record store.")
    cli.main(prog_name="passerelle")
