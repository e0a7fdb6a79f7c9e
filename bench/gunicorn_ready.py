"""gunicorn settings of the benchmarks' servers (``bench/lrs.py``'s ``Server``): production's (:mod:`lms.server`),
and each worker, once it has loaded the app, leaves a file named after its pid in the folder
``PASSERELLE_BENCH_READY`` names, so that a benchmark starts its clock only when every worker serves.  A worker
still importing and building the app competes with the others for the cores: a few seconds of both cores where
nothing has compiled the modules' bytecode."""

from __future__ import annotations

import os
from pathlib import Path

from lms import server


def post_worker_init(worker) -> None:
    server.post_worker_init(worker)
    Path(os.environ["PASSERELLE_BENCH_READY"], str(worker.pid)).touch()
