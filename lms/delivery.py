"""How pages reach a slow connection: compressed, and static files fingerprinted and kept for good.

A static file's address carries a digest of its content (``style.css?v=1a2b3c4d5e6f``):
a browser may keep it forever (``immutable``), and a changed file gets a new address.
Compression is Flask-Compress (zstd, brotli or gzip, as the browser accepts), for every
response but the LRS's, whose ETags are the SHA-1 of the documents as stored.

The service worker that keeps saved modules readable offline is served at
``/sw.js``, an address that never changes (a worker's address is its identity),
checked by the browser on every visit.

The site's icon is served at ``/favicon.ico`` (asked for by name by browsers that read no ``<link>``)
and ``/favicon.svg`` (the one pages link to): fixed addresses, so kept a week rather than for good.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, request, send_from_directory
from flask_compress import Compress

#: A year: the longest a cache is asked to keep a file (RFC 9111 caches treat more as a year).
IMMUTABLE_AGE = 365 * 24 * 3600
#: A week: how long a browser keeps the icon, whose address cannot change when the icon does.
ICON_AGE = 7 * 24 * 3600
ICONS = {"favicon.ico": "image/x-icon", "favicon.svg": "image/svg+xml"}

compress = Compress()


@lru_cache(maxsize=None)
def fingerprint(folder: str, filename: str) -> str:
    """Return a short digest of a static file's content ("" if there is no such file)."""
    path = Path(folder, filename)
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return ""


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_REGISTER", False)
    app.config.setdefault("COMPRESS_MIN_SIZE", 256)
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html", "text/css", "text/javascript", "application/javascript",
                                                 "application/json", "application/manifest+json", "image/svg+xml"])
    compress.init_app(app)

    @app.get("/sw.js", endpoint="service_worker")
    def service_worker():
        # Served like a static file without a digest: "no-cache", so that a new worker is found at once.
        return send_from_directory(app.static_folder, "sw.js", mimetype="text/javascript")

    @app.get("/favicon.ico", endpoint="favicon", defaults={"name": "favicon.ico"})
    @app.get("/favicon.svg", endpoint="icon", defaults={"name": "favicon.svg"})
    def icon(name: str):
        # Read whole (a few hundred bytes), with an ETag, so that a browser checking after a week gets a 304.
        response = app.response_class(Path(app.static_folder, name).read_bytes(), mimetype=ICONS[name])
        response.headers["Cache-Control"] = f"public, max-age={ICON_AGE}"
        response.add_etag()
        return response.make_conditional(request)

    @app.url_defaults
    def add_fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            values["v"] = fingerprint(app.static_folder, values["filename"])

    @app.after_request
    def deliver(response):
        if request.endpoint in ("static", "service_worker"):
            current = fingerprint(app.static_folder, (request.view_args or {}).get("filename", ""))
            if current and request.args.get("v") == current:
                response.headers["Cache-Control"] = f"public, max-age={IMMUTABLE_AGE}, immutable"
            else:
                response.headers["Cache-Control"] = "no-cache"  # an old or missing digest: check each time
            # Static files are small: read them whole, so that they are compressed like pages (gzip included).
            if response.status_code == 200:
                stream = response.response
                response.direct_passthrough = False
                data = response.get_data()
                if hasattr(stream, "close"):
                    stream.close()
                response.set_data(data)
        if request.path.startswith("/xapi/"):
            return response
        return compress.after_request(response)
