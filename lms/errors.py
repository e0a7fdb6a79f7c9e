"""One error handler: an HTML page for people, JSON for API clients."""

from __future__ import annotations

from flask import current_app, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

JSON_BLUEPRINTS = {"xapi"}


def wants_json() -> bool:
    """API clients get JSON: requests to the LRS, or that prefer JSON to HTML."""
    if request.blueprint in JSON_BLUEPRINTS or request.path.startswith("/xapi/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def handle_exception(exc: Exception):
    """Turn any exception into a response with a clear reason and the right status."""
    if not isinstance(exc, HTTPException):
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        session = g.get("db")
        if session is not None:
            session.rollback()
        exc = InternalServerError()
    code = exc.name.lower().replace(" ", "-")
    if wants_json():
        response = jsonify({"error": {"code": code, "message": exc.description}})
    else:
        response = current_app.response_class(render_template("error.html", error=exc), mimetype="text/html")
    response.status_code = exc.code or 500
    if exc.code == 401 and request.path.startswith("/xapi/"):
        response.headers["WWW-Authenticate"] = 'Basic realm="Passerelle LRS"'
    return response


def init_app(app) -> None:
    app.register_error_handler(Exception, handle_exception)
