"""Measure the LRS as it runs in production: gunicorn with 2 workers, on SQLite and on PostgreSQL.

Usage: .venv/bin/python bench/lrs.py [--sizes 100000,1000000] [--databases sqlite,postgresql]
                                     [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

For each database, in a new empty store:

1. ingest: realistic statements (a learner reads pages, answers questions, passes
   quizzes, completes modules; each with context, registration and result) posted
   over HTTP in batches of 1 and of 50, by 1 and by 8 concurrent clients, for a
   few seconds each: statements per second;
2. new activities: batches of 50 statements by learners the store has never seen
   about activities it has never seen, every batch also naming a course and
   modules that are new too and that every client names at the same moment (a
   new course opening to a cohort): by 1 client, then by 8 at once. Statements
   per second, the ratio of 8 clients to 1, and the batches the LRS refused
   (a client that trusts a 409 loses them);
3. fill: the store is filled to each size in ``--sizes`` (through the same
   storage code, in-process, in batches of 1,000, so that filling does not take
   an hour), then for each size typical queries are sent over HTTP, 100 times
   each with varied values, one client: p50 and p95 latency in milliseconds.
   Queries ask for the default page (``limit`` 100).

Targets on a 2-core machine: >= 2,000 statements/s ingested in batches, new
activities by 8 clients included, with 0 refused batches; p95 <= 50 ms for the
queries at 1,000,000 statements.  Needs the ``prod`` extra (gunicorn):
``.venv/bin/pip install -e '.[prod]'``.

On PostgreSQL the tables are analysed before each measurement, as autovacuum
does on a live server after they grow.  ``--postgres`` names the PostgreSQL
database to run on, which is emptied first; given the server's own ``postgres``
database, a database ``passerelle_bench`` is made beside it instead.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from lms.config import sqlalchemy_url  # noqa: E402
from lms.db import make_engine  # noqa: E402

HOME = "https://learning.academy.example.org/"
ADL = "http://adlnet.gov/expapi/verbs/"
COURSES = [f"https://academy.example.org/courses/c{c}" for c in range(10)]
LEARNERS = 5000
PAGE = 100
INGEST_TARGET = 2000  # statements/s in batches
WORKERS = 2  # gunicorn's, of 4 threads each
LANGUAGES = ["en", "fr", "es", "ar", "ru", "pt", "de", "zh"]


class Generator:
    """Statements like the platform's own: mostly page views, then answers, results and completions."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.registrations = {}

    def learner(self, n: int) -> dict:
        return {"objectType": "Agent", "account": {"homePage": HOME, "name": f"learner-{n:05d}"}}

    def registration(self, learner: int, course: int) -> str:
        return self.registrations.setdefault((learner, course), str(uuid.UUID(int=self.random.getrandbits(128))))

    def statement(self) -> dict:
        r = self.random
        learner, course = r.randrange(LEARNERS), r.randrange(len(COURSES))
        module = f"{COURSES[course]}/modules/m{r.randrange(8)}"
        roll = r.random()
        result = None
        if roll < 0.6:
            verb, obj = "experienced", f"{module}/pages/p{r.randrange(12)}"
        elif roll < 0.85:
            verb, obj = "answered", f"{module}/quiz/q{r.randrange(10)}"
            result = {"success": r.random() < 0.7, "response": r.choice("abcd")}
        elif roll < 0.95:
            verb, obj = r.choice(["passed", "failed"]), f"{module}/quiz"
            raw = r.randrange(11)
            result = {"score": {"raw": raw, "min": 0, "max": 10, "scaled": raw / 10}, "success": raw >= 7}
        else:
            verb, obj = "completed", module
            result = {"completion": True, "duration": f"PT{r.randrange(5, 90)}M"}
        statement = {
            "id": str(uuid.UUID(int=r.getrandbits(128))),
            "actor": self.learner(learner),
            "verb": {"id": ADL + verb, "display": {"en-US": verb}},
            "object": {"objectType": "Activity", "id": obj,
                       "definition": {"name": {"en-US": obj.rsplit("/", 1)[1]}}},
            "context": {"registration": self.registration(learner, course), "language": r.choice(["en", "fr", "ar"]),
                        "contextActivities": {"parent": [{"id": module}], "grouping": [{"id": COURSES[course]}]}},
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if result:
            statement["result"] = result
        return statement


class NewActivities:
    """Statements by new learners about new activities, within a course that every client opens at once."""

    def __init__(self, seed: int, language: str):
        self.random = random.Random(seed)
        self.language = language

    def batch(self, size: int) -> list[dict]:
        # Clients sending in the same quarter of a second name the same course, new to the store.
        course = f"https://academy.example.org/new-courses/c{int(time.time() * 4)}"
        learner = {"objectType": "Agent", "account": {"homePage": HOME, "name": f"new-{uuid.uuid4()}"}}
        name = {self.language: "new"}
        statements = []
        for _ in range(size):
            module = f"{course}/modules/m{self.random.randrange(8)}"
            page = f"{module}/pages/{uuid.uuid4()}"
            statements.append({
                "id": str(uuid.uuid4()),
                "actor": learner,
                "verb": {"id": ADL + "experienced", "display": {"en-US": "experienced"}},
                "object": {"objectType": "Activity", "id": page, "definition": {"name": name}},
                "context": {"registration": str(uuid.uuid4()), "language": self.language,
                            "contextActivities": {"parent": [{"id": module, "definition": {"name": name}}],
                                                  "grouping": [{"id": course, "definition": {"name": name}}]}},
            })
        return statements


class Server:
    """``passerelle`` under gunicorn, on a database of its own, with an LRS key."""

    def __init__(self, database_url: str, instance: Path, port: int = 5089, app: str = "lms:create_app()",
                 env: dict[str, str] | None = None, chdir: Path = ROOT, workers: int = WORKERS, threads: int = 4):
        """``workers`` gunicorn workers of ``threads`` threads each (gthread), or sync workers given 1 thread."""
        self.port = port
        self.database_url = database_url
        ready = Path(tempfile.mkdtemp(prefix="passerelle-ready-"))
        self.env = dict(os.environ, DATABASE_URL=database_url, PASSERELLE_INSTANCE=str(instance),
                        PASSERELLE_BENCH_READY=str(ready), **(env or {}))
        subprocess.run([BIN / "passerelle", "init-db"], env=self.env, check=True, capture_output=True)
        created = subprocess.run([BIN / "passerelle", "lrs-credentials", "create", "bench"], env=self.env,
                                 check=True, capture_output=True, text=True).stdout
        fields = dict(line.split(": ", 1) for line in created.splitlines())
        self.key, self.secret = fields["key"], fields["secret"]
        token = base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}
        self.process = subprocess.Popen(
            [BIN / "gunicorn", "--workers", str(workers),
             *(("--worker-class", "gthread", "--threads", str(threads)) if threads > 1 else ("--worker-class", "sync")),
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
             "--config", str(Path(__file__).resolve().parent / "gunicorn_ready.py"), app],
            env=self.env, cwd=chdir)
        for _ in range(600):  # every worker loaded the app (bench/gunicorn_ready.py), then answers
            if len(list(ready.iterdir())) >= workers:
                try:
                    self.request("GET", "/xapi/about")
                    shutil.rmtree(ready)
                    return
                except OSError:
                    pass
            time.sleep(0.1)
        raise SystemExit("gunicorn did not start")

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(self, method, path, body=None, connection=None):
        status, data = self.send(method, path, body, connection)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {status} {data[:200]!r}")
        return data

    def send(self, method, path, body=None, connection=None) -> tuple[int, bytes]:
        """Send a request and return the status and body of the answer, whatever the status."""
        own = connection is None
        connection = connection or self.connection()
        headers = dict(self.headers)
        if body is not None:
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        if own:
            connection.close()
        return response.status, data

    def stop(self):
        self.process.terminate()
        self.process.wait()


def ingest(server: Server, batch: int, clients: int, seconds: float = 6.0) -> float:
    """Statements per second posted in batches of ``batch`` by ``clients`` threads for ``seconds``."""
    analyze(server.database_url)
    counts = [0] * clients
    deadline = time.perf_counter() + seconds

    def work(n):
        generator = Generator(seed=1000 * batch + n + clients)
        payloads = [[generator.statement() for _ in range(batch)] for _ in range(20)]
        connection = server.connection()
        i = 0
        while time.perf_counter() < deadline:
            server.request("POST", "/xapi/statements", payloads[i % len(payloads)] if i < len(payloads)
                           else [generator.statement() for _ in range(batch)], connection)
            counts[n] += batch
            i += 1
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def ingest_new(server: Server, clients: int, batch: int = 50, seconds: float = 6.0) -> tuple[float, int, Counter]:
    """Statements per second stored, batches sent and the statuses of those refused, of ``NewActivities``."""
    analyze(server.database_url)
    counts, sent, refused = [0] * clients, [0] * clients, Counter()
    deadline = time.perf_counter() + seconds

    def work(n):
        generator = NewActivities(seed=7000 + n + 100 * clients, language=LANGUAGES[n % len(LANGUAGES)])
        connection = server.connection()
        while time.perf_counter() < deadline:
            status, _ = server.send("POST", "/xapi/statements", generator.batch(batch), connection)
            sent[n] += 1
            if status == 200:
                counts[n] += batch
            else:
                refused[status] += 1
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started), sum(sent), refused


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def fill(database_url: str, target: int) -> None:
    """Add statements until the store holds ``target``, through the LRS's storage code."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from xapi.models import StatementRecord
    from xapi.store import store_statements

    engine = make_engine(database_url)
    authority = {"objectType": "Agent", "account": {"homePage": HOME, "name": "bench"}}
    with Session(engine) as session:
        have = session.scalar(select(func.count(StatementRecord.seq)))
        generator = Generator(seed=have)
        started = time.perf_counter()
        while have < target:
            n = min(1000, target - have)
            store_statements(session, [generator.statement() for _ in range(n)], authority)
            session.commit()
            have += n
            if have % 100_000 == 0:
                rate = have / (time.perf_counter() - started)
                print(f"    filled {have:,} ({rate:,.0f}/s)", flush=True)
    engine.dispose()
    analyze(database_url)


def analyze(database_url: str) -> None:
    """Have PostgreSQL analyze the tables, as autovacuum does on a live server after they grow.

    Without it, tables that grew from empty keep the plans made when they were
    empty (a scan of the whole table for each statement id looked up).
    """
    if not database_url.startswith("postgresql"):
        return
    engine = make_engine(database_url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()


def queries(random_: random.Random) -> dict[str, callable]:
    generator = Generator(seed=7)

    def agent():
        return {"agent": json.dumps(generator.learner(random_.randrange(LEARNERS)))}

    def verb():
        return {"verb": ADL + random_.choice(["experienced", "answered", "passed", "failed", "completed"])}

    def activity():
        course = random_.choice(COURSES)
        return {"activity": f"{course}/modules/m{random_.randrange(8)}"}

    def registration():
        return {"registration": generator.registration(random_.randrange(LEARNERS), random_.randrange(len(COURSES)))}

    def since():
        moment = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=random_.randrange(5, 600))
        return {"since": moment.isoformat()}

    def related():
        return {"activity": random_.choice(COURSES), "related_activities": "true"}

    return {"agent": agent, "verb": verb, "activity": activity, "registration": registration, "since": since,
            "activity (related)": related}


def latencies(server: Server, make_params, repeat: int = 100) -> tuple[float, float]:
    connection = server.connection()
    times = []
    for _ in range(repeat):
        params = dict(make_params(), limit=PAGE)
        started = time.perf_counter()
        server.request("GET", "/xapi/statements?" + urlencode(params), connection=connection)
        times.append((time.perf_counter() - started) * 1000)
    connection.close()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def run(name: str, database_url: str, sizes: list[int]) -> None:
    print(f"\n== {name} ==", flush=True)
    instance = Path(tempfile.mkdtemp(prefix="passerelle-bench-"))
    try:
        server = Server(database_url, instance)
        try:
            print("ingest (statements/s)              1 client   8 clients   8 / 1")
            for batch in (1, 50):
                one, eight = ingest(server, batch, 1), ingest(server, batch, 8)
                print(f"  {f'batches of {batch}':<32} {one:8,.0f}   {eight:9,.0f}   {eight / one:5.2f}", flush=True)
            batches = max(one, eight)
            one, sent_one, refused_one = ingest_new(server, 1)
            eight, sent, refused = ingest_new(server, 8)
            print(f"  {'new activities, batches of 50':<32} {one:8,.0f}   {eight:9,.0f}   {eight / one:5.2f}",
                  flush=True)
            print(f"  target >= {INGEST_TARGET:,}/s: {verdict(batches >= INGEST_TARGET)} in batches of 50, "
                  f"{verdict(eight >= INGEST_TARGET)} with new activities by 8 clients")
            refusals = refused + refused_one
            statuses = ", ".join(f"{count} x HTTP {status}" for status, count in sorted(refusals.items()))
            print(f"  refused batches of new activities: {refused_one.total()} of {sent_one:,} by 1 client, "
                  f"{refused.total()} of {sent:,} by 8{f' ({statuses})' if statuses else ''}; "
                  f"target 0: {verdict(not refusals)}", flush=True)
            for size in sizes:
                fill(database_url, size)
                print(f"queries at {size:,} statements (ms)     p50      p95   (target p95 <= 50)")
                for label, make in queries(random.Random(size)).items():
                    p50, p95 = latencies(server, make)
                    print(f"  {label:<32} {p50:7.1f}  {p95:7.1f}", flush=True)
        finally:
            server.stop()
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def fresh_postgres(url: str) -> str:
    """Return the URL of an empty database: ``url``'s, emptied, or a new ``passerelle_bench`` beside ``postgres``."""
    from sqlalchemy import MetaData, create_engine, text

    if url.rsplit("/", 1)[1] != "postgres":
        engine = make_engine(sqlalchemy_url(url))
        tables = MetaData()
        tables.reflect(engine)
        tables.drop_all(engine)
        engine.dispose()
        return sqlalchemy_url(url)
    admin = create_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS passerelle_bench"))
        connection.execute(text("CREATE DATABASE passerelle_bench"))
    admin.dispose()
    return sqlalchemy_url(url.rsplit("/", 1)[0] + "/passerelle_bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="store sizes to query at, comma-separated")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"),
                        help="the PostgreSQL database to run on, emptied first (given the server's postgres "
                             "database, a database passerelle_bench is made beside it)")
    args = parser.parse_args()
    if not (BIN / "gunicorn").exists():
        raise SystemExit("gunicorn is missing: .venv/bin/pip install -e '.[prod]'")
    sizes = [int(size) for size in args.sizes.split(",")]
    for name in args.databases.split(","):
        if name == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="passerelle-bench-db-"))
            url = f"sqlite:///{folder / 'lrs.db'}"
            try:
                run("SQLite", url, sizes)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        else:
            run("PostgreSQL", fresh_postgres(args.postgres), sizes)


if __name__ == "__main__":
    main()
