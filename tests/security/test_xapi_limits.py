"""No request makes the LRS read more than its body limit, whatever its Content-Length says, and no
batch holds more statements than the platform allows."""

from __future__ import annotations

import select
import socket

import pytest

from lrs_helpers import statement
from xapi import credentials

HANG_GUARD = 30  # seconds: only so that a server that waits for a whole stream fails the test instead of hanging it
CHUNK = 64 * 1024


def exchange(port: int, head: str, chunks: int = 0) -> tuple[bytes, int]:
    """Send ``head``, then up to ``chunks`` chunks of a chunked body while the server has not answered.

    Returns the answer and how many body bytes were sent before it came.
    """
    connection = socket.create_connection(("127.0.0.1", port), timeout=HANG_GUARD)
    sent = 0
    try:
        connection.sendall(head.encode("latin-1"))
        for _ in range(chunks):
            if select.select([connection], [], [], 0.05)[0]:
                break  # answered: the rest of the body is never sent
            connection.sendall(f"{CHUNK:x}\r\n".encode() + b"x" * CHUNK + b"\r\n")
            sent += CHUNK
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < length_of(answer):
            data = connection.recv(65536)  # not to the end: a server may wait for the client to hang up
            if not data:
                break
            answer += data
        return answer, sent
    finally:
        connection.close()


def length_of(answer: bytes) -> int:
    head = answer.partition(b"\r\n\r\n")[0].decode("latin-1").lower()
    return int(head.partition("content-length:")[2].split("\r\n")[0] or 0)


def alternate_get(key, *headers: str) -> str:
    return ("POST /xapi/statements?method=GET HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {credentials.token(*key)}\r\nX-Experience-API-Version: 1.0.3\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n")


@pytest.mark.parametrize("length, status, reason", [
    ("-1", 400, "Content-Length must be a whole number"),  # was read to the end of the connection
    (str(300 * 2**20), 413, "larger than 65,536 bytes"),
])
def test_an_alternate_syntax_request_with_a_false_length_is_refused_before_any_body_comes(
        app, http_server, key, length, status, reason):
    app.extensions["xapi"]["max_body"] = CHUNK
    answer, _ = exchange(http_server.server_port, alternate_get(key, f"Content-Length: {length}"))
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:300]
    assert reason.encode() in answer


def test_a_streamed_body_without_length_is_cut_at_the_limit(app, http_server, key):
    app.extensions["xapi"]["max_body"] = CHUNK
    answer, sent = exchange(http_server.server_port, alternate_get(key, "Transfer-Encoding: chunked"),
                            chunks=1024)  # 64 MB, sent only while the server is silent
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:300]
    assert b"larger than 65,536 bytes" in answer
    assert sent < 1024 * CHUNK


def test_a_batch_larger_than_the_setting_is_refused_whole(app, lrs):
    assert app.config["XAPI_MAX_BATCH"] == 1000
    response = lrs.post("statements", json_body=[statement() for _ in range(1001)])
    assert response.status_code == 413
    assert "at most 1000 statements" in response.get_json()["error"]["message"]
    assert lrs.query() == []
