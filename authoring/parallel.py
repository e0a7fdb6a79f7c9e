"""Spread independent pieces of a build (reading modules, rendering them) over the machine's cores."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from functools import partial

from . import heap

#: Below this many pieces, starting processes costs more than it saves.
MIN_ITEMS = 8

#: What every piece of the current batch needs; forked workers inherit it instead of receiving it.
_shared = None


def _call(fn: Callable, item):
    return fn(_shared, item)


def _pool(processes: int):
    return multiprocessing.get_context("fork").Pool(processes, initializer=heap.worker_started)


def map_work(fn: Callable, shared, items: list, min_items: int | None = None) -> Iterator:
    """Yield ``fn(shared, item)`` for each item, in order, in forked worker processes when it pays.

    It pays from :data:`MIN_ITEMS` pieces, or from ``min_items`` for pieces that each take long.
    """
    global _shared
    workers = min(os.cpu_count() or 1, len(items))
    if len(items) < max(MIN_ITEMS if min_items is None else min_items, 2) or workers < 2:
        yield from (fn(shared, item) for item in items)
        return
    _shared = shared
    try:
        with _pool(workers) as pool:
            yield from pool.imap(partial(_call, fn), items)
    finally:
        _shared = None


class Workers:
    """Forked worker processes that take pieces as they come, while the caller goes on with its own work.

    :func:`map_work` needs every piece before it starts; here a piece is
    handed over as soon as it is known (:meth:`submit`), and its result taken
    when needed (:meth:`result`).  The processes start with the second piece,
    since one piece alone does not pay for them: it then runs in the caller's
    process when its result is asked for.  Use as a context manager.
    """

    def __init__(self) -> None:
        self._pool = None
        self._pieces: list = []  # per ticket: a worker's pending result, or (fn, item) not started yet

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            if exc[0] is None:
                self._pool.close()
            else:
                self._pool.terminate()
            self._pool.join()

    def submit(self, fn: Callable, item) -> int:
        """Hand over ``fn(None, item)`` (``fn`` a module-level function); return a ticket for :meth:`result`."""
        self._pieces.append((fn, item))
        if self._pool is None and len(self._pieces) >= 2 and (os.cpu_count() or 1) >= 2:
            self._pool = _pool(os.cpu_count())
        if self._pool is not None:
            for ticket, piece in enumerate(self._pieces):
                if isinstance(piece, tuple):
                    self._pieces[ticket] = self._pool.apply_async(piece[0], (None, piece[1]))
        return len(self._pieces) - 1

    def result(self, ticket: int):
        """Return the result of a piece, waiting for it if it is not done (raising its exception if it raised one)."""
        piece = self._pieces[ticket]
        if isinstance(piece, tuple):
            return piece[0](None, piece[1])
        return piece.get()
