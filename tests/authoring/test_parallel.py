"""Worker processes for the pieces of a build: results in order, in the caller's process when they do not pay."""

from __future__ import annotations

import gc
import os

import pytest

from authoring import parallel


def _square_and_pid(_shared, item):
    if item < 0:
        raise ValueError(f"no square for {item}")
    return item * item, os.getpid()


def test_one_piece_runs_in_the_callers_process(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 4)
    with parallel.Workers() as workers:
        ticket = workers.submit(_square_and_pid, 3)
        assert workers.result(ticket) == (9, os.getpid())


def test_pieces_handed_over_as_they_come_give_their_results_by_ticket(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    with parallel.Workers() as workers:
        tickets = [workers.submit(_square_and_pid, n) for n in range(6)]
        results = [workers.result(ticket) for ticket in reversed(tickets)]
    assert [square for square, _pid in reversed(results)] == [n * n for n in range(6)]
    assert os.getpid() not in {pid for _square, pid in results}  # read in the worker processes


def test_a_single_core_runs_every_piece_in_the_callers_process(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 1)
    with parallel.Workers() as workers:
        tickets = [workers.submit(_square_and_pid, n) for n in range(3)]
        assert [workers.result(t) for t in tickets] == [(n * n, os.getpid()) for n in range(3)]


def test_a_piece_that_fails_raises_its_error_where_its_result_is_asked_for(monkeypatch):
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    with parallel.Workers() as workers:
        good, bad = workers.submit(_square_and_pid, 2), workers.submit(_square_and_pid, -1)
        assert workers.result(good)[0] == 4
        with pytest.raises(ValueError, match="no square for -1"):
            workers.result(bad)



def _set_aside(_shared, _item):
    return gc.get_freeze_count(), os.getpid()


def test_worker_processes_set_aside_from_the_cycle_collector_what_they_inherited(monkeypatch):
    """A worker inherits the build's modules of every language: its collector need not go through them."""
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    inherited = len(gc.get_objects())
    mapped = list(parallel.map_work(_set_aside, None, list(range(parallel.MIN_ITEMS))))
    with parallel.Workers() as workers:
        tickets = [workers.submit(_set_aside, n) for n in range(3)]
        handed = [workers.result(ticket) for ticket in tickets]
    assert all(frozen >= inherited // 2 and pid != os.getpid() for frozen, pid in mapped + handed)
    assert gc.get_freeze_count() == 0
