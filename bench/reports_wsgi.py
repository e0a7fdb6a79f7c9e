"""The LMS as ``bench/reports.py`` serves it under gunicorn: as in production, or without the M&E projections
(``PASSERELLE_BENCH_PROJECTIONS=off``), to measure what keeping them in each transaction costs."""

from __future__ import annotations

import os

from lms import create_app
from xapi.store import statements_stored


def app():
    made = create_app()
    if os.environ.get("PASSERELLE_BENCH_PROJECTIONS") == "off":
        statements_stored.disconnect(made.extensions["reports.projections"], sender=made.extensions["db.engine"])
    return made
