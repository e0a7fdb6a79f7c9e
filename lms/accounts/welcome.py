"""Give new accounts their link to set a password: as a URL for the admin, and by mail when SMTP is set."""

from __future__ import annotations

import smtplib

from flask import current_app, url_for
from flask_babel import force_locale, gettext as _

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
