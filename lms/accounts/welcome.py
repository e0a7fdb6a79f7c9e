"""Give new accounts their link to set a password: as a URL for the admin, and by mail when SMTP is set;
mail whoever forgot their password a link to choose a new one."""

from __future__ import annotations

import datetime as dt
import smtplib

from flask import current_app, url_for
from flask_babel import force_locale, format_timedelta, gettext as _

from ..models import User
from . import links, mail


def password_link(user: User) -> str:
    """The one-time link at the platform's public address with which ``user`` sets their password."""
    token = links.make_token(current_app.config["SECRET_KEY"], user)
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return url_for("accounts.set_password", token=token, _external=True)


def send_links(pairs: list[tuple[User, str]]) -> tuple[int, str | None]:
    """Mail each account with an address its link, in its own language; return (sent, why none were sent)."""
    config = current_app.config
    if not mail.configured(config):
        return 0, None
    messages = []
    for user, link in pairs:
        if not user.email:
            continue
        with force_locale(user.language):
            subject = _("Your Passerelle account")
            body = _("Hello %(name)s,\n\nAn account was made for you on Passerelle, with the username "
                     "%(username)s. Choose your password with this link; it works once, for %(days)s days:\n\n"
                     "%(link)s\n", name=user.display_name, username=user.username,
                     days=config["PASSWORD_LINK_DAYS"], link=link)
        messages.append(mail.message(config, user.email, subject, body))
    try:
        mail.send(config, messages)
    except (OSError, smtplib.SMTPException) as exc:
        current_app.logger.warning("set-password links not mailed: %s", exc)
        return 0, str(exc) or type(exc).__name__
    return len(messages), None


def reset_link(user: User) -> str:
    """The one-time link, valid for RESET_LINK_HOURS, with which ``user`` chooses a new password."""
    token = links.make_token(current_app.config["SECRET_KEY"], user, links.RESET_SALT)
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return url_for("accounts.reset_password", token=token, _external=True)


def mail_reset_links(users: list[User]) -> None:
    """Mail each of ``users`` (accounts with an address) a link to choose a new password, in their language.

    The mail leaves in the background: the page that asked answers at once, whether or not anyone was mailed.
    """
    config = current_app.config
    messages = []
    for user in users:
        link = reset_link(user)
        with force_locale(user.language):
            subject = _("A new password for Passerelle")
            body = _("Hello %(name)s,\n\nSomeone, probably you, asked for a new password for your Passerelle "
                     "account %(username)s. Choose it with this link; it works once, for %(time)s:\n\n"
                     "%(link)s\n\nIf you did not ask for it, ignore this message: your password stays as it is.\n",
                     name=user.display_name, username=user.username, link=link,
                     time=format_timedelta(dt.timedelta(hours=config["RESET_LINK_HOURS"]), threshold=2))
        messages.append(mail.message(config, user.email, subject, body))
    if messages:
        mail.send_later(config, messages)
