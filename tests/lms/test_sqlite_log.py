"""On SQLite, what is committed waits in the write-ahead log until it holds WAL_AUTOCHECKPOINT pages, then goes into
the database at once: not after every few commits, which copied the pages each batch changes again and again."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from lms.db import WAL_AUTOCHECKPOINT, make_engine

ROW = "x" * 3000  # most of a page: each commit below writes some 30 pages


def _commit_batches(engine, batches: int) -> None:
    with engine.connect() as connection:
        for _ in range(batches):
            connection.execute(text("INSERT INTO t (id, data) VALUES (:id, :data)"),
                               [{"id": str(uuid.uuid4()), "data": ROW} for _ in range(30)])
            connection.commit()


def test_commits_stay_in_the_log_until_it_holds_the_pages_set_then_go_into_the_database(tmp_path):
    path = tmp_path / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id TEXT PRIMARY KEY, data TEXT NOT NULL)"))
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    _commit_batches(engine, 1)
    with engine.connect() as connection:  # what is logged so far goes into the database: the start is known
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    size = path.stat().st_size

    _commit_batches(engine, 60)  # some 1,800 pages, past SQLite's default of 1,000
    assert path.stat().st_size == size  # all still in the log
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 61 * 30  # and read from there

    _commit_batches(engine, WAL_AUTOCHECKPOINT // 30 + 10)  # past the pages set: a checkpoint ran
    assert path.stat().st_size > size + 1000 * 4096
    engine.dispose()
