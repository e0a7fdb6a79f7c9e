"""Wire the projections to the store, ``passerelle reports rebuild`` to recompute them from it, and
``passerelle reports exports`` to write the per-learner exports asked for on the web."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from xapi.store import statements_stored

from ..db import get_db
from . import jobs, projections


@click.group("reports")
def reports_group() -> None:
    """M&E reports."""


@reports_group.command("rebuild")
@with_appcontext
def rebuild_command() -> None:
    """Recompute every M&E projection from the statements in the store (safe to run again)."""
    done = projections.rebuild(get_db(), current_app.config["PUBLIC_URL"])
    click.echo(f"projections rebuilt for {done} enrolments")


@reports_group.command("exports")
@with_appcontext
def exports_command() -> None:
    """Write the per-learner exports asked for on the web that wait: those queued, and any left being written for
    more than 15 minutes (a server restarted mid-way). Run it from cron or a worker where
    PASSERELLE_EXPORTS_IN_BACKGROUND=0; safe to run again, and beside the app's own threads."""
    done = jobs.write_due(get_db())
    click.echo(f"exports written: {done[jobs.READY]}, failed: {done[jobs.FAILED]}")


def init_app(app) -> None:
    """Refresh the projections in every transaction that stores statements through this app's database."""

    def refresh(_engine, session, records, voided):
        projections.on_stored(session, records, voided, app.config["PUBLIC_URL"])

    # The signal holds its receivers weakly: this one lives as long as the app, and hears only its database.
    app.extensions["reports.projections"] = refresh
    statements_stored.connect(refresh, sender=app.extensions["db.engine"])
    app.cli.add_command(reports_group)
