"""``passerelle accounts erase``: erase an account and every record about it, from a script or a shell."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..accounts import services as accounts
from ..db import get_db
from . import services


@click.command("erase")
@click.argument("username")
@click.option("--by", "admin", required=True, help="Username of the administrator who erases it (for the log).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def erase_command(username: str, admin: str, yes: bool) -> None:
    """Erase an account and every record about it, for good; only the number, the admin and the time are logged."""
    session = get_db()
    user = accounts.find_user(session, username)
    if user is None:
        raise click.ClickException(f"there is no account {username!r}.")
    by = accounts.find_user(session, admin)
    if by is None or not by.has_role("admin") or not by.active:
        raise click.ClickException(f"{admin!r} is not an active administrator's username.")
    home_page = current_app.config["PUBLIC_URL"]
    try:
        services.check_erasable(session, user, by, home_page)
    except services.ErasureRefused as exc:
        raise click.ClickException(str(exc)) from None
    held = services.holdings(session, user, home_page)
    if not yes:
        click.confirm(f"Erase account {user.id} ({username}) with {held.statements} learning records, "
                      f"{held.enrolments} enrolments and {held.certificates} certificates? This cannot be undone",
                      abort=True)
    try:
        erased = services.erase(session, user, by, home_page)
    except services.ErasureRefused as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    session.commit()
    records = erased.records
    click.echo(f"erased account {erased.account}: {erased.enrolments} enrolments, {erased.launches} launches, "
               f"{erased.attendance} attendance marks, {erased.certificates} certificates, "
               f"{records.statements} statements, {records.documents} documents, {records.attachments} attachments, "
               f"{records.outbox} queued for forwarding, {records.credentials} LRS keys")


def init_app(app) -> None:
    """Add ``erase`` to the ``accounts`` command group, making the group if no other part of the app has."""
    group = app.cli.commands.get("accounts")
    if not isinstance(group, click.Group):
        group = click.Group("accounts", help="Manage accounts: erase them with every record about them.")
        app.cli.add_command(group)
    group.add_command(erase_command)
