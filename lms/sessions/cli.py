"""``passerelle cohorts schedule``, ``schedule-import`` and ``sessions``: live sessions of a cohort, for scripts."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from ..cohorts import services as cohorts
from ..cohorts.cli import _user, cohorts_group
from ..db import get_db
from ..services import NotFound
from . import importing, services


def _cohort(session, cohort_id: int):
    try:
        return cohorts.get_cohort(session, cohort_id)
    except NotFound:
        raise click.ClickException(f"there is no cohort {cohort_id}; 'passerelle cohorts list' shows them.") from None


@cohorts_group.command("schedule")
@click.argument("cohort_id", type=int)
@click.argument("module_slug")
@click.argument("start", metavar="'YYYY-MM-DD HH:MM'")
@click.option("--duration", type=int, help="Minutes (default: the module's duration).")
@click.option("--place", default="", help="Where it takes place.")
@click.option("--meeting-url", default="", help="The online meeting's address (https://…).")
@click.option("--facilitator", "facilitators", multiple=True, metavar="USERNAME",
              help="A trainer of the cohort who facilitates it (repeat for more).")
@click.option("--fold", type=click.Choice(["first", "second"]),
              help="When the clocks go back and the time happens twice: which one.")
@with_appcontext
def schedule_command(cohort_id, module_slug, start, duration, place, meeting_url, facilitators, fold) -> None:
    """Schedule a session of the live module MODULE_SLUG for the cohort COHORT_ID, at START in the cohort's zone."""
    session = get_db()
    cohort = _cohort(session, cohort_id)
    try:
        local_start = dt.datetime.fromisoformat(start)
    except ValueError:
        raise click.ClickException(f"{start!r} is not a date and time; write it as 'YYYY-MM-DD HH:MM'.") from None
    if local_start.tzinfo is not None:
        raise click.ClickException(f"give {start!r} without an offset: it is read in the cohort's zone, "
                                   f"{cohort.timezone}.")
    people = [_user(session, username) for username in facilitators]
    try:
        live = services.schedule(session, cohort, module_slug, local_start, duration, place, meeting_url, people,
                                 fold={"first": 0, "second": 1}.get(fold))
    except services.SessionError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"scheduled session {live.id}: {live.module} at {live.starts_at:%Y-%m-%d %H:%M} UTC "
               f"({local_start:%Y-%m-%d %H:%M} {cohort.timezone}), {live.duration} min")


@cohorts_group.command("sessions")
@click.argument("cohort_id", type=int)
@with_appcontext
def sessions_command(cohort_id: int) -> None:
    """List the live sessions of the cohort COHORT_ID: id, module, start in UTC and in the cohort's zone."""
    session = get_db()
    cohort = _cohort(session, cohort_id)
    zone = services.zone(cohort.timezone)
    for live in cohort.sessions:
        facilitators = ",".join(person.username for person in live.facilitators) or "-"
        click.echo(f"{live.id}\t{live.module}\t{live.starts_at:%Y-%m-%d %H:%M} UTC\t"
                   f"{live.starts_at.astimezone(zone):%Y-%m-%d %H:%M} {cohort.timezone}\t{live.duration} min\t"
                   f"{live.place or live.meeting_url}\tfacilitators {facilitators}")


@cohorts_group.command("schedule-import")
@click.argument("cohort_id", type=int)
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Check the file and say what it would schedule; store nothing.")
@with_appcontext
def schedule_import_command(cohort_id: int, file, dry_run: bool) -> None:
    """Schedule the sessions of a CSV FILE for the cohort COHORT_ID, all or none (columns: see the README)."""
    session = get_db()
    cohort = _cohort(session, cohort_id)
    try:
        plan = importing.import_schedule(session, cohort, file.read(importing.MAX_BYTES + 1), dry_run=dry_run)
    except services.SessionError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    if plan.problems:
        session.rollback()
        raise click.ClickException("nothing was imported:\n" + "\n".join(str(problem) for problem in plan.problems))
    zone = services.zone(cohort.timezone)
    for planned in plan.sessions:
        click.echo(f"line {planned.line}: {planned.module} at {planned.starts_at:%Y-%m-%d %H:%M} UTC "
                   f"({planned.starts_at.astimezone(zone):%Y-%m-%d %H:%M} {cohort.timezone}), {planned.duration} min")
    if dry_run:
        session.rollback()
        click.echo(f"the file is ready: {len(plan.sessions)} sessions would be scheduled (dry run, nothing stored)")
    else:
        session.commit()
        click.echo(f"scheduled {len(plan.sessions)} sessions for {cohort.name}")
