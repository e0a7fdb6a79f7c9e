"""Fixtures of the accounts tests: a cohort to import into, a local mail server, the admin logged in
(no conftest.py here: pytest would shadow the tests' own)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socketserver
import threading

import pytest

from lms.cohorts import services as cohorts


@pytest.fixture
def people_cohort(db, users, course):
    """A cohort of the sample course to enrol imported people in."""
    made = cohorts.create_cohort(db, course, "Accra autumn", dt.date.today(), dt.date.today() + dt.timedelta(days=30),
                                 "Africa/Accra", "en")
    db.commit()
    return made


@pytest.fixture
def as_admin(auth, users):
    auth.login("admin")
    return auth.client


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to take messages from smtplib, as a mail server would."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 test ESMTP")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith("EHLO"):
                self.reply("250-test\r\n250 8BITMIME")
            elif command.startswith(("HELO", "MAIL", "RCPT", "RSET", "NOOP")):
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 end with .")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.server.messages.append(email.message_from_bytes(data, policy=email.policy.default))
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


@pytest.fixture
def mail_server(app):
    """A mail server on a free local port, set as the app's SMTP server; ``.messages`` holds what it received."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.daemon_threads = True
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.server_address[1], SMTP_TLS="off",
                      SMTP_FROM="academy@example.org")
    yield server
    server.shutdown()
    server.server_close()
    thread.join()
