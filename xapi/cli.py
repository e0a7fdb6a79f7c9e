"""``passerelle lrs-credentials``: keys for the LRS's clients."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from . import store


@click.group("lrs-credentials")
def credentials_group() -> None:
    """Create, list and revoke LRS credentials (HTTP Basic keys)."""


@credentials_group.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, default=["all"], show_default=True,
              type=click.Choice(store.SCOPES), help="What the key may do; repeat for several.")
@with_appcontext
def create(name: str, scopes: tuple[str, ...]) -> None:
    """Create a credential called NAME and print its key and secret (shown only once)."""
    session = current_app.extensions["xapi"]()
    credential, secret = store.create_credential(session, name, list(scopes))
    session.commit()
    click.echo(f"name: {credential.name}\nkey: {credential.key}\nsecret: {secret}\nscopes: {credential.scopes}")


@credentials_group.command("list")
@with_appcontext
def list_command() -> None:
    """List credentials (never their secrets)."""
    for credential in store.list_credentials(current_app.extensions["xapi"]()):
        state = f"revoked {credential.revoked:%Y-%m-%d}" if credential.revoked else "active"
        click.echo(f"{credential.key}  {credential.name}  [{credential.scopes}]  {state}")


@credentials_group.command("revoke")
@click.argument("key")
@with_appcontext
def revoke(key: str) -> None:
    """Revoke the credential with KEY; clients using it are refused from now on."""
    session = current_app.extensions["xapi"]()
    if not store.revoke_credential(session, key):
        raise click.ClickException(f"no active credential with key {key}")
    session.commit()
    click.echo(f"revoked {key}")
