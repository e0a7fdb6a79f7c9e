"""One error handler: an HTML page for people, JSON for API clients."""

from __future__ import annotations

from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException, InternalServerError

from authoring.locales import N_

JSON_BLUEPRINTS = {"xapi"}

#: What people read for each status, where the view gave no reason of its own.
TITLES = {400: N_("Bad request"), 401: N_("Not logged in"), 403: N_("Forbidden"), 404: N_("Not found"),
          405: N_("Method not allowed"), 413: N_("Too large"), 429: N_("Too many requests"),
          500: N_("Something went wrong")}
REASONS = {400: N_("The request could not be understood."),
           401: N_("Please log in to see this page."),
           403: N_("You do not have access to this page."),
           404: N_("There is nothing at this address. Check the link, or go back to the courses."),
           405: N_("This address does not accept this kind of request."),
           413: N_("What was sent is too large."),
           429: N_("Too many requests; wait a moment and try again."),
           500: N_("The error has been logged. Try again in a moment.")}


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
        response = current_app.response_class(render_template("error.html", **_page(exc)), mimetype="text/html")
    response.status_code = exc.code or 500
    if exc.code == 401 and request.path.startswith("/xapi/"):
        response.headers["WWW-Authenticate"] = 'Basic realm="Passerelle LRS"'
    return response


def _page(exc: HTTPException) -> dict:
    """The error page's title and reason in the reader's language; a view's own reason is already translated."""
    own = exc.description != type(exc).description
    title = TITLES.get(exc.code)
    reason = REASONS.get(exc.code)
    return {"error": exc, "title": gettext(title) if title else exc.name,
            "description": exc.description if own or not reason else gettext(reason)}


def init_app(app) -> None:
    app.register_error_handler(Exception, handle_exception)
