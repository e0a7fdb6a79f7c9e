"""``passerelle cohorts``: create cohorts, enrol accounts in them and list them, for scripts."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from ..accounts import services as accounts
from ..db import get_db
from ..services import NotFound, catalog
from . import services


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.ClickException(f"{option} {value!r} is not a date; write it as YYYY-MM-DD.") from None


def _user(session, username: str):
    user = accounts.find_user(session, username)
    if user is None:
        raise click.ClickException(f"there is no account {username!r}.")
    return user


@click.group("cohorts")
def cohorts_group() -> None:
    """Manage cohorts: runs of a course with their trainers and learners."""


@cohorts_group.command("create")
@click.argument("course_slug")
@click.argument("name")
@click.option("--starts", required=True, help="First day, YYYY-MM-DD.")
@click.option("--ends", required=True, help="Last day, YYYY-MM-DD.")
@click.option("--timezone", required=True, help="IANA time zone of the cohort, e.g. Africa/Accra.")
@click.option("--language", default="en", show_default=True, help="Language the cohort is taught in.")
@click.option("--self-enrol", is_flag=True, help="Let learners join the cohort by themselves.")
@click.option("--trainer", "trainers", multiple=True, metavar="USERNAME", help="A trainer (repeat for more).")
@with_appcontext
def create_command(course_slug, name, starts, ends, timezone, language, self_enrol, trainers) -> None:
    """Create a cohort of the course COURSE_SLUG called NAME."""
    session = get_db()
    try:
        course = catalog.get_course(session, course_slug)
    except NotFound:
        raise click.ClickException(f"there is no course {course_slug!r}; 'passerelle import' adds one.") from None
    people = [_user(session, username) for username in trainers]
    try:
        cohort = services.create_cohort(session, course, name, _date(starts, "--starts"), _date(ends, "--ends"),
                                        timezone, language, self_enrol=self_enrol, trainers=people)
    except services.CohortError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"created cohort {cohort.id} {cohort.name} of {course.slug}")


@cohorts_group.command("enrol")
@click.argument("cohort_id", type=int)
@click.argument("usernames", nargs=-1, required=True)
@with_appcontext
def enrol_command(cohort_id: int, usernames: tuple[str, ...]) -> None:
    """Enrol the accounts USERNAMES in the cohort COHORT_ID (all or none)."""
    session = get_db()
    try:
        cohort = services.get_cohort(session, cohort_id)
    except NotFound:
        raise click.ClickException(f"there is no cohort {cohort_id}; 'passerelle cohorts list' shows them.") from None
    people = [_user(session, username) for username in usernames]
    try:
        for user in people:
            services.enrol(session, cohort, user)
    except services.CohortError as exc:
        session.rollback()
        raise click.ClickException(f"nobody was enrolled: {exc}") from None
    session.commit()
    click.echo(f"enrolled {len(people)} in cohort {cohort.id} {cohort.name}")


@cohorts_group.command("list")
@with_appcontext
def list_command() -> None:
    """List the cohorts: id, course, name, dates, time zone, language, learners, trainers."""
    session = get_db()
    for cohort in services.list_cohorts(session):
        trainers = ",".join(t.username for t in cohort.trainers) or "-"
        open_ = " self-enrol" if cohort.self_enrol else ""
        click.echo(f"{cohort.id}\t{cohort.course.slug}\t{cohort.name}\t{cohort.starts_on}..{cohort.ends_on}\t"
                   f"{cohort.timezone}\t{cohort.language}\t{len(services.learners(session, cohort))} learners\t"
                   f"trainers {trainers}{open_}")
