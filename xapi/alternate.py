"""xAPI's alternate request syntax, for clients that can only send a form POST.

``POST /xapi/statements?method=PUT`` with a form body carrying the headers
(``Authorization``, ``X-Experience-API-Version``, ``Content-Type``, ...), the
body in ``content`` and the other parameters is turned, before routing, into
the request it stands for.  Anything else in the query string is refused.
The body is read only up to the LRS's limit, whatever ``Content-Length`` says.
"""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qs, urlencode

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wsgi import get_input_stream

from . import VERSION

#: Set in the WSGI environ of a request rewritten from the alternate syntax: the views refuse it from a
#: caller authenticated by cookie, since any site's form can send it.
ALTERNATE = "xapi.alternate_syntax"
HEADERS = ("Authorization", "X-Experience-API-Version", "Content-Type", "Content-Length", "If-Match",
           "If-None-Match")
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")


class AlternateSyntax:
    """WSGI middleware rewriting alternate-syntax requests under ``prefix``.

    ``settings`` are the LRS's (``app.extensions["xapi"]``): their ``max_body`` bounds what is read.
    """

    def __init__(self, app, prefix: str, settings: dict):
        self.app = app
        self.prefix = prefix.rstrip("/") + "/"
        self.settings = settings

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(self.prefix):
            return self.app(environ, start_response)
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if "method" not in query:
            return self.app(environ, start_response)
        try:
            self._rewrite(environ, query)
        except TooLarge as exc:
            return _error(start_response, "413 REQUEST ENTITY TOO LARGE", "request-entity-too-large", str(exc))
        except ValueError as exc:
            return _error(start_response, "400 BAD REQUEST", "bad-request", str(exc))
        return self.app(environ, start_response)

    def _rewrite(self, environ: dict, query: dict) -> None:
        if environ["REQUEST_METHOD"] != "POST":
            raise ValueError("the alternate request syntax (a method parameter) must be sent as a POST")
        if len(query) != 1 or len(query["method"]) != 1:
            raise ValueError("with the alternate request syntax, the query string holds only the method; "
                             "send every other parameter in the form body")
        method = query["method"][0].upper()
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}")
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise ValueError("the alternate request syntax needs a body of type application/x-www-form-urlencoded")
        raw = read_body(environ, self.settings["max_body"])
        try:
            form = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
        except ValueError:  # UnicodeDecodeError included
            raise ValueError("the form body is not URL-encoded UTF-8") from None
        fields = {key: values[-1] for key, values in form.items()}
        for name in HEADERS:
            if name in fields:
                value = fields.pop(name)
                if name == "Content-Type":
                    environ["CONTENT_TYPE"] = value
                elif name != "Content-Length":
                    environ["HTTP_" + name.upper().replace("-", "_")] = value
        content = fields.pop("content", None)
        if method in ("PUT", "POST") and content is None:
            raise ValueError(f"an alternate-syntax {method} needs its body in a form field named content")
        data = (content or "").encode("utf-8")
        if content is not None and "Content-Type" not in form:
            environ["CONTENT_TYPE"] = "application/json"
        elif content is None:
            environ.pop("CONTENT_TYPE", None)
        environ["REQUEST_METHOD"] = method
        environ[ALTERNATE] = True
        environ["QUERY_STRING"] = urlencode(fields)
        environ["CONTENT_LENGTH"] = str(len(data))
        environ["wsgi.input"] = io.BytesIO(data)


def read_body(environ: dict, most: int) -> bytes:
    """Read a request's body, never more than ``most`` bytes: raise :class:`TooLarge` past them.

    A missing or false Content-Length reads nothing, unless the server ends the stream itself
    (chunked), which is then read a chunk at a time and cut one byte past the limit.
    """
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared and not declared.strip().isdigit():
        raise ValueError("Content-Length must be a whole number of bytes")
    too_large = f"the request body is larger than {most:,} bytes"
    data = bytearray()
    try:
        stream = get_input_stream(environ, max_content_length=most + 1)
        while len(data) <= most:
            piece = stream.read(most + 1 - len(data))
            if not piece:
                break
            data += piece
    except RequestEntityTooLarge:
        raise TooLarge(too_large) from None
    except ClientDisconnected:
        raise ValueError("the request body ended before its Content-Length") from None
    if len(data) > most:
        raise TooLarge(too_large)
    return bytes(data)


class TooLarge(ValueError):
    """The body is over the LRS's limit (413)."""


def _error(start_response, status: str, code: str, message: str) -> list[bytes]:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                            ("X-Experience-API-Version", VERSION)])
    return [body]
