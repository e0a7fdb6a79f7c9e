"""``passerelle lti``: register platforms, list and remove them, rotate the tool's key, send the scores due and
enrol a platform course's members, for scripts."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ...db import get_db
from ...services import NotFound
from . import services
from .views import tool_values


@click.group("lti")
def lti_group() -> None:
    """LTI 1.3: the platforms (Moodle, Canvas...) that launch Passerelle."""


@lti_group.command("add-platform")
@click.option("--issuer", required=True, help="The platform's issuer (Moodle: Platform ID).")
@click.option("--client-id", required=True, help="The client id the platform gave the tool.")
@click.option("--deployment", "deployments", multiple=True, required=True, metavar="ID",
              help="A deployment id (repeat for more).")
@click.option("--jwks-url", required=True, help="The platform's public keyset URL.")
@click.option("--auth-url", required=True, help="The platform's authentication request URL.")
@click.option("--token-url", required=True, help="The platform's access token URL.")
@click.option("--audience", default="", help="The audience of token requests, if not the token URL.")
@click.option("--name", default="", help="A name for the platform, shown to admins.")
@with_appcontext
def add_platform_command(issuer, client_id, deployments, jwks_url, auth_url, token_url, audience, name) -> None:
    """Register a platform that may launch Passerelle."""
    session = get_db()
    try:
        platform = services.register_platform(session, issuer=issuer, client_id=client_id, deployment_ids=deployments,
                                              jwks_url=jwks_url, auth_login_url=auth_url, auth_token_url=token_url,
                                              auth_audience=audience, name=name)
    except services.LtiError as exc:
        session.rollback()
        option = {"auth_login_url": "--auth-url", "auth_token_url": "--token-url", "deployment_ids": "--deployment"}
        field = option.get(exc.field, "--" + exc.field.replace("_", "-")) if exc.field else ""
        raise click.ClickException(f"{field}: {exc}" if field else str(exc)) from None
    session.commit()
    click.echo(f"registered platform {platform.id} {platform.label}")
    tool = tool_values()
    click.echo(f"tool login URL: {tool['login_url']}")
    click.echo(f"tool launch and deep linking URL: {tool['launch_url']}")
    click.echo(f"tool public keyset URL: {tool['jwks_url']}")


@lti_group.command("list")
@with_appcontext
def list_command() -> None:
    """List the platforms: id, name, issuer, client id, deployment ids."""
    for platform in services.list_platforms(get_db()):
        click.echo(f"{platform.id}\t{platform.name or '-'}\t{platform.issuer}\t{platform.client_id}\t"
                   f"{','.join(platform.deployment_ids)}")


@lti_group.command("remove")
@click.argument("platform_id", type=int)
@with_appcontext
def remove_command(platform_id: int) -> None:
    """Forget the platform PLATFORM_ID: its launches are refused from now on."""
    session = get_db()
    try:
        platform = services.get_platform(session, platform_id)
    except NotFound:
        raise click.ClickException(f"there is no platform {platform_id}; 'passerelle lti list' shows them.") \
            from None
    label = platform.label
    services.remove_platform(session, platform)
    session.commit()
    click.echo(f"removed platform {platform_id} {label}")


@lti_group.command("rotate-key")
@with_appcontext
def rotate_key_command() -> None:
    """Sign with a new key from now on; the previous one stays in the tool's key set, older ones go."""
    session = get_db()
    key = services.rotate_key(session)
    session.commit()
    click.echo(f"the tool now signs with key {key.kid}")


@lti_group.command("send-scores")
@with_appcontext
def send_scores_command() -> None:
    """Send the scores still due to the platforms' gradebooks (those a platform did not take the first time)."""
    sent, failed = services.send_due(get_db())
    click.echo(f"{sent} scores sent, {failed} not sent")
    if failed:
        raise click.ClickException(f"{failed} scores were not sent; they stay due (see the log for why).")


@lti_group.command("enrol-members")
@click.argument("context_id", type=int)
@with_appcontext
def enrol_members_command(context_id: int) -> None:
    """Enrol the members of the platform course CONTEXT_ID in its cohort (names and roles service)."""
    session = get_db()
    try:
        context = services.get_context(session, context_id)
        learners, trainers = services.enrol_members(session, context, services.fetch_members(session, context))
    except NotFound:
        raise click.ClickException(f"there is no platform course {context_id}.") from None
    except services.LtiError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"{learners} learners and {trainers} trainers in cohort {context.cohort.id} {context.cohort.name}")
