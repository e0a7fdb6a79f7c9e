"""``passerelle lrs-credentials`` and ``passerelle lrs-forwarding``."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from . import credentials, forwarding


def _session():
    return current_app.extensions["xapi"]["session"]()


@click.group("lrs-credentials")
def credentials_group() -> None:
    """Create, list and revoke LRS credentials (HTTP Basic keys)."""


@credentials_group.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, default=["all"], show_default=True,
              type=click.Choice(credentials.SCOPES), help="What the key may do; repeat for several.")
@with_appcontext
def create(name: str, scopes: tuple[str, ...]) -> None:
    """Create a credential called NAME and print its key and secret (shown only once)."""
    session = _session()
    credential, secret = credentials.create_credential(session, name, list(scopes))
    session.commit()
    click.echo(f"name: {credential.name}\nkey: {credential.key}\nsecret: {secret}\nscopes: {credential.scopes}")


@credentials_group.command("list")
@with_appcontext
def list_command() -> None:
    """List credentials (never their secrets)."""
    for credential in credentials.list_credentials(_session()):
        state = f"revoked {credential.revoked:%Y-%m-%d}" if credential.revoked else "active"
        click.echo(f"{credential.key}  {credential.name}  [{credential.scopes}]  {state}")


@credentials_group.command("revoke")
@click.argument("key")
@with_appcontext
def revoke(key: str) -> None:
    """Revoke the credential with KEY; clients using it are refused from now on."""
    session = _session()
    if not credentials.revoke_credential(session, key):
        raise click.ClickException(f"no active credential with key {key}")
    session.commit()
    click.echo(f"revoked {key}")


@click.group("lrs-forwarding")
def forwarding_group() -> None:
    """Forward stored statements to the external LRS set by PASSERELLE_FORWARD_LRS."""


@forwarding_group.command("status")
@with_appcontext
def status_command() -> None:
    """Show how many statements wait to be forwarded, and the last error."""
    remote = forwarding.Remote.from_config(current_app.config)
    state = forwarding.status(_session())
    click.echo(f"remote LRS: {remote.url if remote else 'none (forwarding is off)'}")
    click.echo(f"pending: {state.pending} statements ({state.retrying} after a failed attempt)")
    if state.oldest:
        click.echo(f"oldest pending statement stored: {state.oldest:%Y-%m-%d %H:%M:%S} UTC")
    if state.next_attempt:
        click.echo(f"next attempt: {state.next_attempt:%Y-%m-%d %H:%M:%S} UTC")
    if state.last_error:
        click.echo(f"last error: {state.last_error}")


@forwarding_group.command("run")
@click.option("--once", is_flag=True, help="Send what is due, then stop (for cron).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@with_appcontext
def run_command(once: bool, interval: float) -> None:
    """Send pending statements to the external LRS, in batches, retrying with back-off."""
    remote = forwarding.Remote.from_config(current_app.config)
    if remote is None:
        raise click.ClickException("forwarding is off: set PASSERELLE_FORWARD_LRS to the external LRS's address")
    while True:
        session = _session()
        report = forwarding.deliver(session, remote)
        if report.delivered or report.failed:
            click.echo(f"delivered {report.delivered}, kept {report.failed} for a later attempt")
        if once:
            return
        session.close()
        time.sleep(interval)
