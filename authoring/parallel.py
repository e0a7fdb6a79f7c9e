"""Spread independent pieces of a build (reading modules, rendering them) over the machine's cores."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from functools import partial

#: Below this many pieces, starting processes costs more than it saves.
MIN_ITEMS = 8

#: What every piece of the current batch needs; forked workers inherit it instead of receiving it.
_shared = None


def _call(fn: Callable, item):
    return fn(_shared, item)


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
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap(partial(_call, fn), items)
    finally:
        _shared = None
