"""xAPI's alternate request syntax, for clients that can only send a form POST.

``POST /xapi/statements?method=PUT`` with a form body carrying the headers
(``Authorization``, ``X-Experience-API-Version``, ``Content-Type``, ...), the
body in ``content`` and the other parameters is turned, before routing, into
the request it stands for.  Anything else in the query string is refused.
"""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qs, urlencode

from . import VERSION

HEADERS = ("Authorization", "X-Experience-API-Version", "Content-Type", "Content-Length", "If-Match",
           "If-None-Match")
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")


class AlternateSyntax:
    """WSGI middleware rewriting alternate-syntax requests under ``prefix``."""

    def __init__(self, app, prefix: str, max_body: int):
        self.app = app
        self.prefix = prefix.rstrip("/") + "/"
        self.max_body = max_body

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(self.prefix):
            return self.app(environ, start_response)
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if "method" not in query:
            return self.app(environ, start_response)
        try:
            self._rewrite(environ, query)
        except ValueError as exc:
            body = json.dumps({"error": {"code": "bad-request", "message": str(exc)}}).encode()
            start_response("400 BAD REQUEST", [("Content-Type", "application/json"),
                                               ("Content-Length", str(len(body))),
                                               ("X-Experience-API-Version", VERSION)])
            return [body]
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
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise ValueError("Content-Length is not a number") from None
        if length > self.max_body:
            raise ValueError("the request body is too large")
        raw = environ["wsgi.input"].read(length).decode("utf-8", errors="strict") if length else ""
        try:
            form = parse_qs(raw, keep_blank_values=True, strict_parsing=bool(raw))
        except ValueError:
            raise ValueError("the form body is not URL-encoded") from None
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
        environ["QUERY_STRING"] = urlencode(fields)
        environ["CONTENT_LENGTH"] = str(len(data))
        environ["wsgi.input"] = io.BytesIO(data)
