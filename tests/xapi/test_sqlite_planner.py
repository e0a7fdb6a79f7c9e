"""SQLite reads a learner's statements through the actor's index, whatever order a new database's indexes were
created in: without statistics its planner rated the indexes on actor, verb, object and authority alike and took
the last one made, which the interpreter's hash seed decides, and the authority's index holds most of the store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lms.db import make_engine, migrate
from xapi.models import steer_sqlite_planner

ROOT = Path(__file__).resolve().parents[2]
#: A learner's statements as the LMS reads them: their course's completion recorded under its authority; their
#: statements about a module and what is under it; their answers in a registration.
QUERIES = {
    "course completion": "SELECT data, stored FROM xapi_statement WHERE actor_key = ? AND voided IS 0 "
                         "AND authority_key = ? AND object_id = ? AND verb_id = ? ORDER BY seq LIMIT 1",
    "a module's statements": "SELECT * FROM xapi_statement WHERE actor_key = ? AND (object_id = ? OR object_id "
                             "LIKE ? ESCAPE '\\') ORDER BY seq",
    "answers in a registration": "SELECT object_id, data, stored FROM xapi_statement WHERE actor_key = ? AND "
                                 "registration = ? AND verb_id = ? AND object_id IN (?, ?) AND voided IS 0 ORDER BY seq",
}
PLAN = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from lms.db import make_engine, migrate
engine = make_engine("sqlite:///" + sys.argv[1])
migrate(engine)
queries = {QUERIES!r}
with engine.connect() as connection:
    for name, sql in queries.items():
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, ("",) * sql.count("?")).all()
        print(name, "|", "; ".join(row[-1] for row in rows))
"""


@pytest.mark.parametrize("seed", ["0", "1", "4", "5"])
def test_a_new_database_reads_a_learners_statements_through_the_actors_or_registrations_index(seed, tmp_path):
    # Seeds 0, 1, 4 and 5 made SQLite pick the verb's or the authority's index before the planner was told.
    done = subprocess.run([sys.executable, "-c", PLAN, str(tmp_path / "plan.db")], capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": seed}, check=True)
    plans = dict(line.split(" | ") for line in done.stdout.strip().splitlines())
    assert set(plans) == set(QUERIES)
    for name, plan in plans.items():
        assert "ix_xapi_statement_actor_seq" in plan or "ix_xapi_statement_registration_seq" in plan, (name, plan)


def test_statistics_measured_by_analyze_are_kept(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'measured.db'}")
    migrate(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO xapi_statement (id, actor_key, verb_id, object_id, authority_key, "
                                   "stored, voided, data) VALUES ('a', 'x', 'v', 'o', 'l', '2026-01-01', 0, '{}')")
        connection.exec_driver_sql("ANALYZE")
        measured = connection.exec_driver_sql(
            "SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'xapi_statement' ORDER BY idx").all()
        assert not steer_sqlite_planner(connection)
        assert connection.exec_driver_sql(
            "SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'xapi_statement' ORDER BY idx").all() == measured
    engine.dispose()
