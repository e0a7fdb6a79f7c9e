"""Send e-mail through the SMTP server of the settings (standard library only)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage


def configured(config) -> bool:
    """Whether an SMTP server is set (PASSERELLE_SMTP_HOST)."""
    return bool(config.get("SMTP_HOST"))


def message(config, to: str, subject: str, body: str) -> EmailMessage:
    """Build a plain-text message from the platform's sender address."""
    mail = EmailMessage()
    mail["From"] = config["SMTP_FROM"]
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    return mail


def send(config, messages: list[EmailMessage]) -> None:
    """Send ``messages`` over one connection; raise :class:`OSError` or :class:`smtplib.SMTPException` on failure."""
    if not messages:
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
