"""Send e-mail through the SMTP server of the settings (standard library only), or write it to the log.

With ``MAIL_LOG`` on (PASSERELLE_MAIL_LOG=1) every message, link included, goes
to the ``passerelle.mail`` logger instead of a mail server: a demonstration or a
test server shows what would have been sent.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from email.message import EmailMessage

logger = logging.getLogger("passerelle.mail")


def to_log(config) -> bool:
    """Whether messages are written to the log instead of being sent (PASSERELLE_MAIL_LOG=1)."""
    return str(config.get("MAIL_LOG") or "").strip().lower() in {"1", "true", "yes", "on"}


def configured(config) -> bool:
    """Whether messages reach anyone: an SMTP server is set (PASSERELLE_SMTP_HOST), or they go to the log."""
    return bool(config.get("SMTP_HOST")) or to_log(config)


def message(config, to: str, subject: str, body: str) -> EmailMessage:
    """Build a plain-text message from the platform's sender address."""
    mail = EmailMessage()
    mail["From"] = config["SMTP_FROM"]
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    return mail


def send(config, messages: list[EmailMessage]) -> None:
    """Send ``messages`` over one connection, or log them; raise :class:`OSError` or
    :class:`smtplib.SMTPException` on failure."""
    if not messages:
        return
    if to_log(config):
        _log(messages)
        return
    tls = config["SMTP_TLS"].lower()
    timeout = 30
    if tls == "ssl":
        smtp = smtplib.SMTP_SSL(config["SMTP_HOST"], config["SMTP_PORT"], timeout=timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=timeout)
    with smtp:
        if tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD", ""))
        for mail in messages:
            smtp.send_message(mail)


def send_later(config, messages: list[EmailMessage]) -> threading.Thread:
    """Send ``messages`` in the background, logging a failure, and return the thread that sends them.

    A page that must answer alike whether or not it mailed someone (a forgotten password) cannot wait for
    the mail server: the time it takes would tell.
    """
    settings = dict(config)  # the thread outlives the request and its application context

    def run() -> None:
        try:
            send(settings, messages)
        except (OSError, smtplib.SMTPException) as exc:
            logger.warning("%s messages not sent: %s", len(messages), exc)

    thread = threading.Thread(target=run, name="passerelle-mail", daemon=True)
    thread.start()
    return thread


def _log(messages: list[EmailMessage]) -> None:
    # Shown even where nothing set logging up (the development server, gunicorn): writing mail to the log
    # was asked for, so it must not vanish below the default WARNING level.
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    if not logger.hasHandlers():
        logger.addHandler(logging.StreamHandler())
    for mail in messages:
        # The body decoded, not as sent: a link in a quoted-printable French or Russian message stays readable.
        logger.info("Mail not sent (PASSERELLE_MAIL_LOG=1)\nFrom: %s\nTo: %s\nSubject: %s\n\n%s",
                    mail["From"], mail["To"], mail["Subject"], mail.get_content())
