"""Keep Python's cycle collector off the objects a build keeps to its end.

A build holds hundreds of thousands of objects alive until it returns (every
module of every language, their segments, cached parts), and makes them in
bursts.  Each of the collector's passes over the oldest objects goes through
them all again and finds nothing to free: a third of a one-module rebuild's
time.  So, within :func:`build`, each stage that leaves long-lived objects
calls :func:`settled`, which moves every object alive then out of the
collector's sight (``gc.freeze``); the build hands them back when it ends.
The collector still runs, for the cycles the stages make and drop (rendering
makes many), and reference counting frees everything else as usual.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

_active = False


@contextlib.contextmanager
def build() -> Iterator[None]:
    """Within a build: let :func:`settled` set aside what is alive, and hand it all back at the end.

    Does nothing when something else in the process already froze objects
    (a server that preloads its application may), since those cannot be
    told apart from the build's when handing back.
    """
    global _active
    if _active or gc.get_freeze_count():
        yield
        return
    _active = True
    try:
        yield
    finally:
        _active = False
        gc.unfreeze()


def settled() -> None:
    """Every object alive now lives until the build ends: the collector need not go through them again."""
    if _active:
        gc.freeze()


def worker_started() -> None:
    """In a forked worker process: set aside what it inherited, which outlives everything it will make."""
    gc.freeze()
