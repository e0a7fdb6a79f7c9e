"""Passerelle inside what academies already run: mounted in a host Flask application, or launched from another
LMS with LTI 1.3."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the integrations' views and commands on the app."""
