"""What a certificate costs: its PDF, its signed credential, and issuing it when a learner completes a course.

Usage: .venv/bin/python bench/certificates.py [--learners 20] [--repeats 7]

1. PDF: the certificate of an English, a Russian and an Arabic learner (long names in Latin, Cyrillic and
   Arabic script, the course's title in their language), rendered with the built-in layout and no logo: bytes
   (target under 100 KB each) and the median render time of ``--repeats``, with the ratio to the English one
   (shaping and right-to-left layout cost extra).
2. Credential: the certificate as an Open Badges 3.0 credential signed RS256 with a new 3,072-bit academy key,
   as ``/certificates/<id>/credential.jwt`` serves it: the median signing time and the token's bytes, against
   the bytes of the credential before signing.
3. Issuing, end to end, in a new SQLite database with the sample course imported and ``--learners`` learners
   enrolled in a cohort for each side: a learner who has done every module the course's completion asks for
   but the last (migrants-in-crisis) finishes it, in one transaction that records the module's completion, the
   course's completion, the certificate and its award statement. The baseline, measured in the same run and
   interleaved with it, is the same module finished by a learner who has left families-and-media undone, so
   it completes the module and not the course: same statements, same course-completion check (which stops at
   the undone module), no certificate. Median of each, median of the paired differences (what issuing adds,
   target under 1 s a learner) and the ratio. Issuing does not render the PDF: it is made when downloaded.
4. Download: for every certificate issued in 3., rendering its PDF and signing its credential, as the two
   downloads do: median and slowest, target under 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from authoring.build import build_course  # noqa: E402
from lms import create_app  # noqa: E402
from lms.accounts import services as accounts  # noqa: E402
from lms.certificates import credential, document  # noqa: E402
from lms.certificates.demo import finish_module  # noqa: E402
from lms.certificates.details import Details  # noqa: E402
from lms.certificates.services import certificate_for, verify_url  # noqa: E402
from lms.certificates.views import achievement  # noqa: E402
from lms.cohorts import services as cohorts  # noqa: E402
from lms.db import get_db, migrate  # noqa: E402
from lms.models import Enrolment  # noqa: E402
from lms.services import catalog, learning  # noqa: E402
from xapi.models import StatementRecord  # noqa: E402

PDF_BUDGET = 100_000  # bytes
ISSUE_TARGET = DOWNLOAD_TARGET = 1.0  # seconds
PUBLIC_URL = "https://learning.academy.example.org/"
ACADEMY = "Diplomatic Academy of the Ministry of Foreign Affairs"
CODE = "7KQ4M-2XD9T-PAVR3-EHC6W-0N5BZ"
#: Language: learner, course title in that language, institution, cohort.
SAMPLES = {
    "en": ("Mary-Catherine Okonkwo-Fitzgerald de la Fontaine",
           "Crisis management and protection of citizens abroad",
           "Ministry of Foreign Affairs and International Cooperation", "Consular officers, spring 2026"),
    "ru": ("Александра Владимировна Константинопольская-Рождественская",
           "Управление кризисами и защита граждан за рубежом",
           "Министерство иностранных дел Республики Молдова", "Консульские сотрудники, весна 2026"),
    "ar": ("عبد الرحمن بن محمد بن عبد العزيز الهاشمي",
           "إدارة الأزمات وحماية المواطنين في الخارج",
           "وزارة الخارجية والتعاون الدولي", "الموظفون القنصليون، ربيع 2026"),
}
#: The sample course's completion rules, in order; the bench's learners finish the last one while timed.
DONE_FIRST = ("consular-crisis-response", "registration-contingency", "families-and-media")
LAST = "migrants-in-crisis"
#: What baseline learners leave undone, so that finishing LAST does not complete the course.
LEFT_UNDONE = "families-and-media"


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_seconds(action, repeats: int) -> float:
    return statistics.median(timed(action) for _ in range(repeats))


def details(language: str) -> Details:
    learner, course, institution, cohort = SAMPLES[language]
    return Details(code=CODE, learner=learner, course=course, hours=5.5, cohort=cohort,
                   cohort_start=dt.date(2026, 3, 2), cohort_end=dt.date(2026, 6, 26), institution=institution,
                   academy=ACADEMY, language=language, completed=dt.date(2026, 5, 14),
                   verify_url=verify_url(PUBLIC_URL, CODE))


def bench_pdf(repeats: int) -> None:
    print(f"PDF (built-in layout, no logo; median of {repeats})")
    baseline = None
    print(f"  {'language':<10} {'bytes':>10}   {'render':>9}   {'/ en':>5}   budget {PDF_BUDGET // 1000} KB")
    for language in SAMPLES:
        size = len(document.render_pdf(details(language)))
        seconds = median_seconds(lambda: document.render_pdf(details(language)), repeats)
        baseline = baseline or seconds
        print(f"  {language:<10} {size:>10,}   {seconds * 1000:6.1f} ms   {seconds / baseline:5.2f}   "
              f"{verdict(size < PDF_BUDGET)}")


def bench_credential(key, repeats: int) -> None:
    print(f"\nsigned credential (VC-JWT, RS256, {key.key_size}-bit key; median of {repeats})")
    print(f"  {'language':<10} {'token':>10}   {'unsigned':>9}   {'ratio':>5}   {'sign':>9}")
    for language in SAMPLES:
        unsigned = credential.achievement_credential(
            details(language), credential_id="urn:uuid:2f1c5b3e-8d7a-4c55-9a0e-6b1d2c3e4f50",
            issuer_id=PUBLIC_URL + "certificates/issuer",
            achievement_id=PUBLIC_URL + "courses/crisis-management/#achievement",
            subject_id="urn:uuid:7d9b2a10-3c4e-5f60-8a1b-2c3d4e5f6a7b", issued=dt.datetime(2026, 5, 14, 9, 30),
            revoked_list_url=PUBLIC_URL + "certificates/revoked.json")
        token = credential.sign(unsigned, key)
        plain = len(json.dumps(unsigned, ensure_ascii=False).encode())
        seconds = median_seconds(lambda: credential.sign(unsigned, key), repeats)
        print(f"  {language:<10} {len(token.encode()):>10,}   {plain:>9,}   {len(token.encode()) / plain:5.2f}   "
              f"{seconds * 1000:6.1f} ms")
    print("  (the token's JSON writes each letter outside ASCII as \\uXXXX, 6 bytes, and base64url adds a third)")


def set_up(folder: Path, learners: int):
    """The sample course in a new SQLite database, one cohort, and ``learners`` learners on each side."""
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'passerelle.db'}", "INSTANCE_PATH": str(folder),
                      "SECRET_KEY": "bench", "PUBLIC_URL": PUBLIC_URL, "ACADEMY_NAME": ACADEMY})
    migrate(app.extensions["db.engine"])
    package = build_course(ROOT / "courses" / "crisis-management", folder / "dist").path
    with app.app_context():
        session = get_db()
        with open(package, "rb") as stream:
            version, _ = catalog.import_package(session, stream, app.config["PACKAGE_DIR"])
        cohort = cohorts.create_cohort(session, version.course, "Consular officers, spring 2026",
                                       dt.date(2026, 1, 1), dt.date(2026, 12, 31), "Europe/Chisinau", "en")
        sides = {"issue": [], "baseline": []}
        languages = list(SAMPLES)
        for n in range(learners):
            for side, made in sides.items():
                language = languages[n % len(languages)]
                user = accounts.create_user(session, f"{side}{n:03d}", None, "learner",
                                            display_name=f"{SAMPLES[language][0]} {n}", language=language,
                                            institution=SAMPLES[language][2])
                made.append(cohorts.enrol(session, cohort, user).id)
        session.commit()
        return app, sides


def learner_of(enrolment):
    course = enrolment.course.current.model
    return learning.enrolled_learner(enrolment, course.text_language, PUBLIC_URL), course


def finish(session, learner, course, slug: str) -> None:
    """Finish a module as the demo's graduate does, then commit: one transaction."""
    finish_module(session, learner, course, course.module(slug))
    session.commit()


def statements(session) -> int:
    return session.scalar(select(func.count(StatementRecord.seq)))


def bench_issuing(folder: Path, key, learners: int, repeats: int) -> None:
    app, sides = set_up(folder, learners)
    print(f"\nissuing: {learners} learners finish {LAST}, which completes the course, against {learners} for "
          "whom it does not (SQLite)")
    with app.app_context():
        session = get_db()
        enrolments = {side: [session.get(Enrolment, eid) for eid in ids] for side, ids in sides.items()}
        for side, made in enrolments.items():
            for enrolment in made:
                learner, course = learner_of(enrolment)
                for slug in DONE_FIRST:
                    if side == "issue" or slug != LEFT_UNDONE:
                        finish(session, learner, course, slug)
        times = {"issue": [], "baseline": []}
        stored = {"issue": [], "baseline": []}
        for n in range(learners):
            # Alternate which side goes first, so that neither always meets the database a step fuller.
            for side in (("issue", "baseline") if n % 2 == 0 else ("baseline", "issue")):
                enrolment = enrolments[side][n]
                learner, course = learner_of(enrolment)
                before = statements(session)
                times[side].append(timed(lambda: finish(session, learner, course, LAST)))
                stored[side].append(statements(session) - before)
                if not learning.progress(session, learner, course.module(LAST)).completed:
                    raise SystemExit(f"{enrolment.user.username} finished {LAST} but its completion was not recorded")
                issued = certificate_for(session, enrolment.user, enrolment.course)
                if side == "issue" and issued is None:
                    raise SystemExit(f"{enrolment.user.username} completed the course but got no certificate")
                if side == "baseline" and issued is not None:
                    raise SystemExit(f"{enrolment.user.username} got a certificate without completing the course")
        issue, baseline = statistics.median(times["issue"]), statistics.median(times["baseline"])
        extra = statistics.median(a - b for a, b in zip(times["issue"], times["baseline"]))
        rows = [
            (f"finishing {LAST}, completing the course", f"{issue * 1000:7.1f} ms",
             f"{statistics.median(stored['issue']):.0f} statements"),
            ("baseline: the same, course not complete", f"{baseline * 1000:7.1f} ms",
             f"{statistics.median(stored['baseline']):.0f} statements"),
            ("issuing adds (median of paired differences)", f"{extra * 1000:7.1f} ms",
             f"ratio {issue / baseline:.2f}; target < {ISSUE_TARGET:g} s a learner: {verdict(extra < ISSUE_TARGET)}"),
        ]
        for label, figure, note in rows:
            print(f"  {label:<50} {figure}   {note}")
        print(f"  certificates issued: {learners} of {learners}; the issue step renders no PDF (it is made on "
              "download, below)")

        downloads, sizes = [], []
        for enrolment in enrolments["issue"]:
            certificate = certificate_for(session, enrolment.user, enrolment.course)

            def download():
                sizes.append(len(document.render_pdf(certificate.details)))
                credential.sign(achievement(certificate), key)

            downloads.append(statistics.median(timed(download) for _ in range(max(1, repeats // 2))))
        print(f"\ndownload: PDF rendered and credential signed, for each of the {learners} certificates")
        print(f"  median {statistics.median(downloads) * 1000:.1f} ms, slowest {max(downloads) * 1000:.1f} ms  "
              f"(target < {DOWNLOAD_TARGET:g} s: {verdict(max(downloads) < DOWNLOAD_TARGET)}); "
              f"PDFs {min(sizes):,} to {max(sizes):,} B (budget {PDF_BUDGET // 1000} KB: "
              f"{verdict(max(sizes) < PDF_BUDGET)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=20, help="learners on each side of the issuing bench")
    parser.add_argument("--repeats", type=int, default=7, help="repeats of each timing of the PDF and credential")
    args = parser.parse_args()
    if args.learners < 1 or args.repeats < 1:
        parser.error("--learners and --repeats must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        bench_pdf(args.repeats)
        started = time.perf_counter()
        key = credential.load_or_create_key(Path(tmp) / "key")
        print(f"\nnew academy key: {time.perf_counter() - started:.2f} s, once per academy")
        bench_credential(key, args.repeats)
        bench_issuing(Path(tmp), key, args.learners, args.repeats)


if __name__ == "__main__":
    main()
