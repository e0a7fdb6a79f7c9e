"""What it costs a trainer to take the attendance of 30 learners: taps, requests and bytes.

Usage: .venv/bin/python bench/attendance.py [--learners 30]

Sets up the sample course in a new SQLite database with a cohort of ``--learners``
learners (long names, as officials' are) and one live session, then, as the
trainer through the Flask test client:

1. opens the attendance sheet: its HTML, raw and gzip (level 6, what a server
   or proxy sends a browser asking for it), against the budgets of a page on a
   2G link (14 KB compressed, the first round trip of a new connection);
2. marks every learner and submits: the taps (one choice per learner, then the
   button), the requests the browser makes (the post, answered with the sheet:
   no redirect), the bytes sent, and the marks stored, checked against what
   was chosen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from authoring.build import build_course  # noqa: E402
from lms import create_app  # noqa: E402
from lms.accounts import services as accounts  # noqa: E402
from lms.cohorts import services as cohorts  # noqa: E402
from lms.cohorts.models import Attendance  # noqa: E402
from lms.db import get_db, migrate  # noqa: E402
from lms.services import catalog  # noqa: E402
from lms.sessions import services  # noqa: E402

HTML_BUDGET, REQUESTS_TARGET = 14_000, 1
STATUSES = ("present", "late", "excused", "absent")
PASSWORD = "trainer-bench-password"


def set_up(folder: Path, learners: int):
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'passerelle.db'}", "INSTANCE_PATH": str(folder),
                      "SECRET_KEY": "bench", "PUBLIC_URL": "http://127.0.0.1/"})
    migrate(app.extensions["db.engine"])
    package = build_course(ROOT / "courses" / "crisis-management", folder / "dist").path
    with app.app_context():
        session = get_db()
        with open(package, "rb") as stream:
            version, _ = catalog.import_package(session, stream, app.config["PACKAGE_DIR"])
        trainer = accounts.create_user(session, "trainer", PASSWORD, "trainer", display_name="Trainer")
        cohort = cohorts.create_cohort(session, version.course, "Bench cohort", dt.date(2026, 1, 1),
                                       dt.date(2026, 12, 31), "Europe/Chisinau", "en", trainers=[trainer])
        ids = []
        for n in range(learners):
            user = accounts.create_user(session, f"learner{n:02d}", None, "learner",
                                        display_name=f"Learner {n:02d} Alexandrovna-Constantinescu")
            cohorts.enrol(session, cohort, user)
            ids.append(user.id)
        live = services.schedule(session, cohort, "earthquake-tabletop", dt.datetime(2026, 3, 28, 10),
                                 place="Chisinau, Academy room 4", facilitators=[trainer])
        session.commit()
        return app, live.id, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app, session_id, learners = set_up(Path(tmp), args.learners)
        client = app.test_client()
        login = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login)[1]
        client.post("/auth/login", data={"username": "trainer", "password": PASSWORD, "csrf_token": token})
        url = f"/sessions/{session_id}/attendance"
        html = client.get(url).get_data()
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html)[1].decode()
        chosen = {uid: STATUSES[n % 4] for n, uid in enumerate(learners)}
        form = {"csrf_token": token} | {f"s{uid}": status for uid, status in chosen.items()}
        form |= {f"r{uid}": "" for uid in learners} | {f"ws{uid}": "" for uid in learners}
        form |= {f"wr{uid}": "" for uid in learners}
        body = urlencode(form).encode()
        requests = 0
        response = client.post(url, data=form)
        requests += 1
        assert response.status_code == 200, response.status_code  # the sheet itself: no redirect to follow
        after = response.get_data()
        with app.app_context():
            stored = {a.user_id: a.status for a in get_db().query(Attendance)}
        taps = len(chosen) + 1
        packed = len(gzip.compress(html, 6))
        print(f"learners                 {len(learners)}")
        print(f"taps                     {taps}  (one per learner, then Save; target {len(learners) + 1}: "
              f"{'met' if taps <= len(learners) + 1 else 'missed'})")
        print(f"requests to save         {requests}  (target {REQUESTS_TARGET}: "
              f"{'met' if requests <= REQUESTS_TARGET else 'missed'})")
        print(f"sheet HTML               {len(html):,} B raw, {packed:,} B gzip  (budget {HTML_BUDGET:,} B gzip: "
              f"{'met' if packed <= HTML_BUDGET else 'missed'})")
        print(f"sheet after saving       {len(after):,} B raw, {len(gzip.compress(after, 6)):,} B gzip")
        print(f"form post sent           {len(body):,} B raw")
        print(f"marks stored as chosen   {'yes' if stored == chosen else 'NO'}")


if __name__ == "__main__":
    main()
