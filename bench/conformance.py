"""Run ADL's LRS conformance suite (xAPI 1.0.3) against the LRS served by gunicorn, on a new database.

Usage: .venv/bin/python bench/conformance.py SUITE_DIR [--database sqlite|postgresql] [--postgres URL]

SUITE_DIR is a checkout of https://github.com/adlnet/lrs-conformance-test-suite
with its npm packages installed (``npm install`` in it; Node.js 18 or later).
The script starts the LRS as in production (gunicorn, 2 workers) on an empty
SQLite or PostgreSQL database, creates a credential, runs

    node bin/console_runner.js -x 1.0.3 -e http://127.0.0.1:PORT/xapi -a -u KEY -p SECRET

and prints the suite's summary; its exit status is the number of failed tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from lrs import Server, fresh_postgres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", type=Path, help="checkout of adlnet/lrs-conformance-test-suite, npm-installed")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    if not (args.suite / "bin" / "console_runner.js").exists():
        raise SystemExit(f"{args.suite} is not a checkout of the conformance suite")
    folder = Path(tempfile.mkdtemp(prefix="passerelle-conformance-"))
    url = f"sqlite:///{folder / 'lrs.db'}" if args.database == "sqlite" else fresh_postgres(args.postgres)
    server = Server(url, folder / "instance", port=5090)
    try:
        run = subprocess.run(["node", "bin/console_runner.js", "-x", "1.0.3", "-e", "http://127.0.0.1:5090/xapi",
                              "-a", "-u", server.key, "-p", server.secret, "-z"],
                             cwd=args.suite, capture_output=True, text=True)
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    summaries = [line for line in run.stdout.splitlines() if line.startswith('{"total"')]
    if not summaries:
        print(run.stdout[-3000:], run.stderr[-3000:], sep="\n")
        raise SystemExit("the suite printed no summary")
    summary = json.loads(summaries[-1])
    print(f"xAPI {summary['version']} conformance on {args.database}: {summary['passed']} passed, "
          f"{summary['failed']} failed, of {summary['total']}")
    sys.exit(run.returncode)


if __name__ == "__main__":
    main()
