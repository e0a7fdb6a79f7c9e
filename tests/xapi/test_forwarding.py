"""Forwarding to an external LRS through the outbox, against a stand-in LRS served over HTTP."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from lrs_helpers import statement
from sqlalchemy import func, select, update

from xapi import forwarding
from xapi.models import OutboxEntry


class StandIn:
    """A remote LRS that keeps statements by id and can be told to fail."""

    def __init__(self):
        self.statements: dict[str, dict] = {}
        self.received = 0  # statements received in successful requests, duplicates included
        self.requests = 0
        self.flaky = False  # answer 503 to every other request
        self.auth = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                stand_in.handle(self, json.loads(self.rfile.read(int(self.headers["Content-Length"]))))

            def do_PUT(self):
                self.do_POST()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/xapi/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, request, body):
        self.requests += 1
        self.auth.append(request.headers.get("Authorization"))
        if self.flaky and self.requests % 2:
            request.send_response(503)
            request.end_headers()
            return
        batch = body if isinstance(body, list) else [body]
        if request.command == "PUT":
            batch = [dict(batch[0], id=parse_qs(urlsplit(request.path).query)["statementId"][0])]
        if any(s["id"] in self.statements for s in batch):
            request.send_response(409)
            request.end_headers()
            return
        for s in batch:
            self.statements[s["id"]] = s
        self.received += len(batch)
        request.send_response(200 if request.command == "POST" else 204)
        request.end_headers()


@pytest.fixture
def remote(app):
    stand_in = StandIn()
    app.config.update(XAPI_FORWARD_URL=stand_in.url, XAPI_FORWARD_USERNAME="passerelle",
                      XAPI_FORWARD_PASSWORD="s3cret")
    yield stand_in
    stand_in.server.shutdown()
    stand_in.server.server_close()


def pending(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count(OutboxEntry.id)))


def deliver_all(app, db, rounds=20):
    """Run the worker until the outbox is empty, skipping the back-off waits."""
    remote = forwarding.Remote.from_config(app.config)
    for _ in range(rounds):
        forwarding.deliver(db, remote)
        db.execute(update(OutboxEntry).values(next_attempt=dt.datetime.now(dt.timezone.utc)))
        db.commit()
        if not pending(db):
            return
    raise AssertionError("the outbox did not empty")


def test_nothing_is_queued_when_forwarding_is_off(lrs, db):
    lrs.send(statement())
    assert pending(db) == 0


def test_every_stored_statement_is_forwarded_once(app, lrs, db, remote, runner):
    ids = lrs.send(*[statement() for _ in range(3)])
    assert pending(db) == 3
    status = runner.invoke(args=["lrs-forwarding", "status"])
    assert "pending: 3 statements" in status.output and remote.url in status.output
    result = runner.invoke(args=["lrs-forwarding", "run", "--once"])
    assert result.exit_code == 0 and "delivered 3" in result.output
    assert sorted(remote.statements) == sorted(ids) and remote.received == 3
    assert remote.auth[0].startswith("Basic ")
    assert pending(db) == 0
    assert "pending: 0" in runner.invoke(args=["lrs-forwarding", "status"]).output


def test_a_flaky_remote_loses_and_duplicates_nothing(app, lrs, db, remote):
    remote.flaky = True
    ids = []
    for _ in range(3):
        ids += lrs.send(*[statement() for _ in range(40)])
    deliver_all(app, db)
    assert sorted(remote.statements) == sorted(ids)
    assert remote.received == len(ids)  # nothing was sent twice successfully


def test_an_id_the_remote_already_has_counts_as_delivered(app, lrs, db, remote):
    ids = lrs.send(*[statement() for _ in range(4)])
    remote.statements[ids[1]] = {"id": ids[1]}  # delivered before, say, by a worker that crashed after
    deliver_all(app, db)
    assert sorted(remote.statements) == sorted(ids)


def test_an_unreachable_remote_keeps_the_statements_and_backs_off(app, lrs, db, runner):
    app.config["XAPI_FORWARD_URL"] = "http://127.0.0.1:9/xapi/"  # nothing listens there
    lrs.send(statement())
    report = forwarding.deliver(db, forwarding.Remote.from_config(app.config))
    assert report.delivered == 0 and report.failed == 1
    entry = db.scalar(select(OutboxEntry))
    assert entry.attempts == 1 and "cannot reach" in entry.last_error
    assert entry.next_attempt.replace(tzinfo=dt.timezone.utc) > dt.datetime.now(dt.timezone.utc)
    # Not due yet: a second round sends nothing.
    assert forwarding.deliver(db, forwarding.Remote.from_config(app.config)).failed == 0
    status = runner.invoke(args=["lrs-forwarding", "status"]).output
    assert "1 after a failed attempt" in status and "last error: cannot reach" in status
