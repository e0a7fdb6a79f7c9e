"""Passerelle inside what academies already run: mounted in a host Flask application, or launched from another
LMS with LTI 1.3."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the integrations' views and commands on the app."""
    from xapi.store import statements_stored

    from ..views.auth import csrf
    from .lti import cli, services, views

    app.register_blueprint(views.bp)
    # The platform posts these from its own site: the signed id_token, the state and nonce of the log-in, and
    # the one-time token of a deep linking choice stand in for a CSRF token.
    for view in (views.login, views.launch, views.deep_linking):
        csrf.exempt(view)
    app.cli.add_command(cli.lti_group)

    def scores_due(_engine, session, records, voided):
        # Statements that change what the LMS graded for a learner followed by a platform's gradebook: their
        # scores are sent once the response of the request that stored them is written.
        registrations = {(s.get("context") or {}).get("registration") for s in records}
        marked = services.mark_due(session, registrations)
        if marked:
            from flask import g, has_request_context

            if has_request_context():
                g.setdefault("lti_scores_due", set()).update(marked)

    # The signal holds its receivers weakly: this one lives as long as the app, and hears only its database.
    app.extensions["lti.scores_due"] = scores_due
    statements_stored.connect(scores_due, sender=app.extensions["db.engine"])
    app.after_request(views.send_scores_after_response)
    # Run after the security headers are set (after-request functions run last-registered first), to let the
    # platform frame a launch's pages and receive a deep linking answer.
    app.after_request_funcs.setdefault(None, []).insert(0, views.frame_for_platform)
