"""``passerelle certificates``: issue the certificates of courses completed before certificates existed."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..db import get_db
from . import services


@click.group("certificates")
def certificates_group() -> None:
    """Certificates of completion."""


@certificates_group.command("issue")
@with_appcontext
def issue_command() -> None:
    """Issue a certificate for every completed course that has none yet (safe to run again)."""
    session = get_db()
    config = current_app.config
    issued = services.issue_missing(session, config["PUBLIC_URL"], academy=config["ACADEMY_NAME"],
                                    timezone=config["TIMEZONE"])
    session.commit()
    for certificate in issued:
        click.echo(f"{certificate.user.username}: {certificate.details.course} — {certificate.details.verify_url}")
    click.echo(f"certificates issued: {len(issued)}")
