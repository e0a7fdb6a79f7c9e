"""The ``passerelle`` command: Flask's command group plus the platform's own commands."""

from __future__ import annotations


import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from authoring.build import build_course
from authoring.cli import build_command, check_command, export_group, translate_group
from authoring.package import PackageError
from authoring.problems import CourseError
from xapi.models import StatementRecord
from xapi.store import agent_key

from . import i18n
from .accounts import mail, services as accounts
from .cohorts import services as cohorts
from .cohorts.cli import cohorts_group
from .sessions import cli as _sessions_cli  # noqa: F401  (adds schedule and sessions to cohorts_group)
from .cohorts.demo import demo_programme
from .certificates.cli import certificates_group
from .certificates.demo import study_through
from .db import get_db, upgrade_schema
from .models import ROLES
from .reports.demo import seed_programme
from .services import NotFound, catalog, learning

#: The demo learner who has studied the course through, so that the demo shows a certificate (in French).
GRADUATE = "awa.diop"
DEMO_ACCOUNTS = (
    # username, password, role, display name, country, institution, gender
    ("admin", "admin-passerelle", "admin", "Academy administrator", "", "Diplomatic academy", ""),
    ("trainer", "trainer-passerelle", "trainer", "Amina Trainer", "MA", "Diplomatic academy", "female"),
    ("trainer2", "facilitator-passerelle", "trainer", "Kwame Facilitator", "GH", "Diplomatic academy", "male"),
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
@click.option("--gender", default="", help="female, male, another or prefer_not_to_say.")
@click.option("--email", default="")
@click.option("--timezone", default="", help="IANA time zone, e.g. Africa/Accra (default: the platform's).")
@click.option("--language", default="en", show_default=True, help="Preferred language of the interface.")
@with_appcontext
def create_user_command(username, role, password, display_name, country, institution, gender, email, timezone,
                        language) -> None:
    """Create an account."""
    session = get_db()
    try:
        user = accounts.create_user(session, username, password, role, display_name, country=country,
                                    institution=institution, gender=gender, email=email, timezone=timezone,
                                    language=language)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"created {user.role} {user.username}")


@users_group.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--cohort", "cohort_id", type=int, help="Enrol every account of the file in this cohort (its id).")
@click.option("--dry-run", is_flag=True, help="Only check the file and list its problems; store nothing.")
@with_appcontext
def import_users_command(file, cohort_id: int | None, dry_run: bool) -> None:
    """Create or update the accounts of a CSV file (see the README), all or nothing; print the new ones' links."""
    from .accounts import importing
    from .accounts.welcome import password_link, send_links

    session = get_db()
    try:
        cohort = cohorts.get_cohort(session, cohort_id) if cohort_id is not None else None
        plan = importing.read_csv(session, file.read(importing.MAX_BYTES + 1))
    except NotFound:
        raise click.ClickException(f"there is no cohort {cohort_id}") from None
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    if plan.problems:
        raise click.ClickException("nothing was imported:\n" + "\n".join(str(problem) for problem in plan.problems))
    if dry_run:
        click.echo(f"the file is ready: {plan.new} new accounts, {plan.updated} updated; nothing stored (dry run)")
        return
    try:
        done = cohorts.import_people(session, plan, cohort)
        session.commit()
    except (accounts.AccountError, cohorts.CohortError) as exc:
        session.rollback()
        raise click.ClickException(f"nothing was imported: {exc}") from None
    created = [user for user, new in done if new]
    click.echo(f"imported {len(created)} new accounts, {len(done) - len(created)} updated"
               + (f", enrolled in {cohort.name}" if cohort is not None else ""))
    pairs = [(user, password_link(user)) for user in created]
    sent, failure = send_links(pairs)
    if sent or failure:
        click.echo(f"mailed {sent} links" if not failure else f"the links could not be mailed: {failure}")
    for user, link in pairs:
        click.echo(f"{user.username}\t{link}")


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
    """Set up a demonstration: build the sample course, create the database, accounts, a cohort and its sessions,
    and past cohorts with their learning for the M&E reports. Learners are recorded at PASSERELLE_PUBLIC_URL,
    which must be the address the demo is served on ('make demo' sees to it)."""
    url = current_app.config["PUBLIC_URL"]
    upgrade_schema()
    session = get_db()
    recorded = _recorded_at_another_address(session, url)
    if recorded is not None:
        raise click.ClickException(
            f"the demo's learning was recorded at {recorded}, not at {url}, where its learners would not find it. "
            f"Serve the demo at {recorded} again, or set it up afresh on a new database (e.g. after deleting "
            f"{current_app.config['INSTANCE_PATH']}).")
    try:
        result = build_course(course_dir, out_dir)
    except CourseError as exc:
        raise click.ClickException(f"the sample course does not build:\n{exc}") from None
    click.echo(f"built {result.summary()}")
    for username, password, role, name, country, institution, gender in DEMO_ACCOUNTS:
        if accounts.find_user(session, username) is None:
            accounts.create_user(session, username, password, role, name, country=country,
                                 institution=institution, gender=gender, email=f"{username}@example.org")
    session.commit()
    version, _ = _import(str(result.path))
    trainers = [accounts.find_user(session, username) for username in ("trainer", "trainer2")]
    cohort = demo_programme(session, version.course, trainers, url)
    session.commit()
    click.echo(f"cohort {cohort.name}: {len(cohorts.learners(session, cohort))} learners, "
               f"{len(cohort.sessions)} live sessions")
    graduate = catalog.enrolment_for(session, accounts.find_user(session, GRADUATE), version.course)
    certificate = study_through(session, graduate, url)
    session.commit()
    if certificate is not None:
        click.echo(f"{GRADUATE} completed the course; certificate: {certificate.details.verify_url}")
    programme = seed_programme(session, version.course, trainers, url)
    session.commit()
    click.echo(str(programme))
    click.echo(f"\nPasserelle is ready at {url}\nLog in with:")
    for username, password, role, *_ in DEMO_ACCOUNTS:
        click.echo(f"  {role:<8} username {username:<8} password {password}")
    if mail.to_log(current_app.config):
        click.echo("Mail is written to the log, not sent (PASSERELLE_MAIL_LOG=1): try “Forgot your password?”.")


def _recorded_at_another_address(session, url: str) -> str | None:
    """The address other than ``url`` at which the LMS recorded learning in this database, if there is one.

    The LMS signs what it records as its account at the platform's address: a learner's records are theirs only
    at the address they were recorded at.
    """
    ours = agent_key(learning.authority(url))
    prefix, suffix = "account:", f"|{learning.LMS_ACCOUNT}"
    other = session.scalar(select(StatementRecord.authority_key).where(
        StatementRecord.authority_key.startswith(prefix), StatementRecord.authority_key.endswith(suffix),
        StatementRecord.authority_key != ours).limit(1))
    return other.removeprefix(prefix).removesuffix(suffix) if other is not None else None


def init_app(app) -> None:
    translate_group.add_command(i18n.interface_command)
    for command in (build_command, check_command, translate_group, users_group, import_command, demo_command,
                    cohorts_group, certificates_group, export_group):
        app.cli.add_command(command)
    from .privacy import cli as privacy_cli

    privacy_cli.init_app(app)


def _create_app():
    from . import create_app

    return create_app()


def passerelle_group(create_app=_create_app) -> FlaskGroup:
    """The ``passerelle`` command and all its subcommands, on the app ``create_app`` returns."""
    return FlaskGroup(name="passerelle", create_app=create_app, add_version_option=True,
                      help="Passerelle: build Markdown courses, run the LMS and its learning record store.")


def main() -> None:
    """Entry point of the ``passerelle`` command."""
    passerelle_group().main(prog_name="passerelle")
