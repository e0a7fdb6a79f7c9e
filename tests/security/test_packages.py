"""Hostile course packages: names that would leave the package folder, JSON that would exhaust the
reader, numbers out of range, zip bombs and older versions are refused with a reason, and a refused
import leaves the catalogue and the package folder as they were."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from authoring import package as package_module
from authoring.package import PackageError, read_package
from conftest import csrf_token
from lms.services import catalog

MODULE = "/courses/crisis-management/modules/consular-crisis-response"


def members(sample_package: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(sample_package) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def repack(sample_package: Path, change=None, raw: bytes | None = None, member: str = "course.json",
           manifest: bytes | None = None, version: str = "1.1") -> bytes:
    """The sample package as version ``version``, with ``change(course)`` applied to ``member`` (or ``raw`` put
    in its place) and the manifest's hashes kept right, so that only the change itself can be refused."""
    files = members(sample_package)
    source = json.loads(files["course.json"])
    source["version"] = version
    files["course.json"] = json.dumps(source).encode()
    if raw is not None:
        files[member] = raw
    elif change is not None:
        course = json.loads(files[member])
        change(course)
        files[member] = json.dumps(course).encode()
    data = json.loads(files["manifest.json"])
    data["course"]["version"] = version
    data["files"] = {name: hashlib.sha256(body).hexdigest() for name, body in files.items() if name != "manifest.json"}
    files["manifest.json"] = manifest if manifest is not None else json.dumps(data).encode()
    return rezip(files)


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def upload(client, data: bytes, **fields):
    token = csrf_token(client, "/admin/packages")
    boundary, body = encode_multipart({"csrf_token": token, "package": FileStorage(io.BytesIO(data), "course.zip"),
                                       **fields})
    return client.post("/admin/packages", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def stored(app, db) -> tuple:
    """What a refused import must leave as it was: the versions, the current one, and the package folder."""
    db.expire_all()
    folder = Path(app.config["PACKAGE_DIR"])
    courses = catalog.list_courses(db)
    return ([(c.slug, [v.version for v in c.versions], c.current.version) for c in courses],
            sorted((p.name, p.stat().st_size) for p in folder.iterdir()) if folder.exists() else [])


def import_bytes(app, db, data: bytes, **options):
    try:
        return catalog.import_package(db, io.BytesIO(data), app.config["PACKAGE_DIR"], **options)
    except PackageError:
        db.rollback()
        raise


# --- names that reach the filesystem -------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["../../escaped", "ABSOLUTE", "sub/dir", "", ".hidden", "a\\b", "x" * 101])
def test_a_course_slug_that_is_not_a_plain_name_is_refused(app, db, course, sample_package, tmp_path, slug):
    if slug == "ABSOLUTE":
        (tmp_path / "abs").mkdir()
        slug = str(tmp_path / "abs" / "x")
    before = stored(app, db)
    data = repack(sample_package, lambda c: c.update(slug=slug))
    with pytest.raises(PackageError, match="course slug .* is not a safe name"):
        import_bytes(app, db, data)
    assert stored(app, db) == before
    assert sorted(p.name for p in tmp_path.rglob("*.zip")) == [p[0] for p in before[1]]  # nothing written anywhere


def _set_module(**values):
    return lambda c: c["modules"][0].update(values)


def _set_quiz(**values):
    return lambda c: c["modules"][0]["quiz"].update(values)


UNSAFE_NAMES = {
    "version": (lambda c: c.update(version="1.1/../../x"), "version"),
    "module slug": (_set_module(slug="../outside"), "module slug"),
    "page id": (lambda c: c["modules"][0]["pages"][0].update(id="a/b"), "page id"),
    "scenario id": (lambda c: c["modules"][3]["scenarios"][0].update(id="a/../b"), "scenario id"),
    "step id": (lambda c: c["modules"][3]["scenarios"][0]["steps"][0].update(id="/etc"), "step id"),
    "asset": (_set_module(assets={"x.png": "../../secret.png"}), "asset"),
    "download": (_set_module(downloads={"C:\\boot.ini": 3}), "download"),
    "image": (_set_module(images={"/etc/passwd": [1, 1]}), "image"),
    "language": (lambda c: c.update(languages=["en", "../fr"]), "language"),
}


@pytest.mark.parametrize("case", UNSAFE_NAMES)
def test_unsafe_names_in_course_json_are_refused(sample_package, case):
    change, what = UNSAFE_NAMES[case]
    data = repack(sample_package, change)
    with pytest.raises(PackageError, match=f"{what} .* is not a safe"):
        read_package(io.BytesIO(data))


def test_admin_sees_why_a_slug_is_refused(app, db, client, auth, users, course, sample_package):
    auth.login("admin")
    before = stored(app, db)
    response = upload(client, repack(sample_package, lambda c: c.update(slug="../../x")))
    assert response.status_code == 400
    assert "course slug &#39;../../x&#39; is not a safe name" in response.get_data(as_text=True)
    assert stored(app, db) == before


def test_cli_says_why_a_slug_is_refused(app, db, runner, course, sample_package, tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(repack(sample_package, lambda c: c.update(slug="sub/dir")))
    before = stored(app, db)
    result = runner.invoke(args=["import", str(bad)])
    assert result.exit_code == 1
    assert "course slug 'sub/dir' is not a safe name" in result.output and "Traceback" not in result.output
    assert stored(app, db) == before


# --- JSON that would exhaust the reader, numbers out of range --------------------------------------------


def _course_text(sample_package: Path, change) -> str:
    """The sample's course.json as version 1.1 with ``change`` applied; "@@" in it marks where raw JSON goes."""
    course = json.loads(members(sample_package)["course.json"])
    course["version"] = "1.1"
    change(course)
    return json.dumps(course)


def _manifest_text(sample_package: Path, raw: str) -> bytes:
    manifest = json.loads(members(sample_package)["manifest.json"])
    manifest["build"] = "@@"
    return json.dumps(manifest).replace('"@@"', raw).encode()


HUGE = "7" * 5000

EXHAUSTING = {
    "course.json nested 100,000 deep": (lambda pkg: repack(pkg, raw=deep(100_000).encode()), "nested more than"),
    "a field of course.json nested 100,000 deep": (
        lambda pkg: repack(pkg, raw=_course_text(pkg, _set_module(duration="@@")).replace(
            '"@@"', deep(100_000)).encode()), "nested more than"),
    "course.json with a 5,000-digit number": (
        lambda pkg: repack(pkg, raw=_course_text(pkg, _set_module(duration="@@")).replace('"@@"', HUGE).encode()),
        "number"),
    "course.json with Infinity": (
        lambda pkg: repack(pkg, raw=_course_text(pkg, _set_quiz(pass_mark="@@")).replace('"@@"', "1e999").encode()),
        "number"),
    "manifest.json nested 100,000 deep": (lambda pkg: repack(pkg, manifest=_manifest_text(pkg, deep(100_000))),
                                          "nested more than"),
    "manifest.json with a 5,000-digit number": (lambda pkg: repack(pkg, manifest=_manifest_text(pkg, HUGE)),
                                                "number"),
    "a translation nested 100,000 deep": (
        lambda pkg: repack(pkg, raw=deep(100_000).encode(), member="languages/fr/course.json"), "nested more than"),
}


@pytest.mark.parametrize("case", EXHAUSTING)
def test_json_that_would_exhaust_the_reader_is_refused(app, db, course, sample_package, case):
    make, reason = EXHAUSTING[case]
    data = make(sample_package)
    before = stored(app, db)
    with pytest.raises(PackageError, match=reason):
        import_bytes(app, db, data)
    assert stored(app, db) == before


OUT_OF_RANGE = {
    "pass_mark 1e308": (_set_quiz(pass_mark=1e308), "pass_mark"),
    "pass_mark -0.5": (_set_quiz(pass_mark=-0.5), "pass_mark"),
    "attempts -5": (_set_quiz(attempts=-5), "attempts"),
    "attempts 10**12": (_set_quiz(attempts=10**12), "attempts"),
    "duration -1": (_set_module(duration=-1), "duration"),
    "points -3": (lambda c: c["modules"][0]["quiz"]["questions"][0].update(points=-3), "points"),
    "tolerance -1": (lambda c: c["modules"][0]["quiz"]["questions"][3].update(tolerance=-1.0), "tolerance"),
    "number 1e300": (lambda c: c["modules"][0]["quiz"]["questions"][3].update(number=1e300), "number"),
    "min_score 7": (lambda c: c["completion"][0].update(min_score=7.0), "min_score"),
    "agenda minutes": (lambda c: c["modules"][4]["agenda"][0].update(minutes=-10), "minutes"),
    "image size": (_set_module(images={"images/crisis-cycle.png": [960]}), "image"),
    "download size": (lambda c: c["modules"][1].update(downloads={"handouts/registration-template.csv": -1}),
                      "download"),
}


@pytest.mark.parametrize("case", OUT_OF_RANGE)
def test_numbers_out_of_range_are_refused(app, db, course, sample_package, case):
    change, field = OUT_OF_RANGE[case]
    before = stored(app, db)
    with pytest.raises(PackageError, match=field):
        import_bytes(app, db, repack(sample_package, change))
    assert stored(app, db) == before


def test_a_translation_out_of_range_is_refused(sample_package):
    with pytest.raises(PackageError, match="languages/fr/course.json.*pass_mark"):
        read_package(io.BytesIO(repack(sample_package, _set_quiz(pass_mark=1e308),
                                       member="languages/fr/course.json")))


def test_a_refused_pass_mark_leaves_the_module_page_working(app, db, client, auth, enrolled, sample_package):
    auth.login("admin")
    before = stored(app, db)
    response = upload(client, repack(sample_package, _set_quiz(pass_mark=1e308)))
    assert response.status_code == 400
    assert "pass_mark" in response.get_data(as_text=True)
    assert stored(app, db) == before
    auth.logout()
    auth.login("learner")
    for language in ("en", "fr"):
        page = client.get(f"{MODULE}/?lang={language}")
        assert page.status_code == 200 and "70" in page.get_data(as_text=True)


def test_the_limits_let_the_sample_course_in(sample_package):
    package = read_package(io.BytesIO(sample_package.read_bytes()))
    assert package.course.slug == "crisis-management" and package.course.version == "1.0"


def test_a_title_longer_than_the_catalogue_keeps_is_refused(app, db, sample_package):
    with pytest.raises(PackageError, match="title"):
        import_bytes(app, db, repack(sample_package, lambda c: c.update(title="T" * 301)))
    assert stored(app, db) == ([], [])


# --- zip bombs ---------------------------------------------------------------------------------------


class Inflated:
    """Count the bytes zipfile hands out when members are read."""

    def __init__(self, monkeypatch) -> None:
        self.total = 0
        read = zipfile.ZipExtFile.read

        def counting(member, n=-1):
            data = read(member, n)
            self.total += len(data)
            return data

        monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)


@functools.cache
def bomb(size: int) -> bytes:
    """A deflated stream of ``size`` zero bytes, made without holding them all."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    chunk = bytes(2**20)
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + compressor.flush()


def zip_with_raw_members(files: dict[str, bytes], raw: dict[str, tuple[bytes, int]]) -> bytes:
    """A zip of ``files`` plus members written as given: ``name -> (deflated data, declared size)``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        for name, (deflated, size) in raw.items():
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.file_size, info.compress_size, info.CRC = size, len(deflated), 0
            info.header_offset = zf.start_dir
            zf.fp.write(info.FileHeader(zip64=False))
            zf.fp.write(deflated)
            zf.start_dir = zf.fp.tell()
            zf.filelist.append(info)
            zf.NameToInfo[name] = info
    return out.getvalue()


def test_a_member_that_inflates_past_the_limit_is_refused_before_inflating(monkeypatch, sample_package):
    files = members(sample_package)
    files.pop("course.json")
    size = package_module.MAX_MEMBER_BYTES * 4
    data = zip_with_raw_members(files, {"course.json": (bomb(size), size)})
    inflated = Inflated(monkeypatch)
    with pytest.raises(PackageError, match="course.json is larger than"):
        read_package(io.BytesIO(data))
    assert inflated.total < 2**20


def test_a_member_that_hides_its_size_is_refused_once_past_what_it_declares(monkeypatch, sample_package):
    files = members(sample_package)
    files.pop("course.json")
    data = zip_with_raw_members(files, {"course.json": (bomb(package_module.MAX_MEMBER_BYTES * 4), 1000)})
    inflated = Inflated(monkeypatch)
    with pytest.raises(PackageError, match="course.json is damaged"):
        read_package(io.BytesIO(data))
    assert inflated.total < 2**20


def test_members_that_inflate_past_the_total_are_refused_before_inflating(monkeypatch, sample_package):
    """Each under the limit of one file, together more than a package may hold once inflated (1 GB)."""
    files = members(sample_package)
    piece = 40 * 2**20
    deflated = bomb(piece)
    bombs = {f"assets/bomb-{n}.bin": (deflated, piece) for n in range(2**30 // piece + 1)}
    manifest = json.loads(files["manifest.json"])
    manifest["files"].update({name: "0" * 64 for name in bombs})
    files["manifest.json"] = json.dumps(manifest).encode()
    data = zip_with_raw_members(files, bombs)
    inflated = Inflated(monkeypatch)
    with pytest.raises(PackageError, match="inflate"):
        read_package(io.BytesIO(data))
    assert inflated.total < 2**20


# --- older versions ----------------------------------------------------------------------------------


def test_admin_imports_an_older_version_only_when_allowed(app, db, client, auth, users, course, sample_package):
    auth.login("admin")
    older = repack(sample_package, version="0.9")
    before = stored(app, db)
    refused = upload(client, older)
    assert refused.status_code == 400
    assert "0.9 is older than 1.0, the version learners see now" in refused.get_data(as_text=True)
    assert stored(app, db) == before
    assert upload(client, older, allow_downgrade="y").status_code == 302
    assert stored(app, db)[0] == [("crisis-management", ["1.0", "0.9"], "0.9")]
    assert "version 0.9 of" in client.get("/courses/").get_data(as_text=True)  # what learners see now
    # From there, a newer version than the one learners see needs no permission.
    assert upload(client, repack(sample_package, version="0.10")).status_code == 302
    assert stored(app, db)[0] == [("crisis-management", ["1.0", "0.9", "0.10"], "0.10")]


def test_cli_imports_an_older_version_only_with_allow_downgrade(app, db, runner, course, sample_package, tmp_path):
    older = tmp_path / "older.zip"
    older.write_bytes(repack(sample_package, version="0.9"))
    before = stored(app, db)
    refused = runner.invoke(args=["import", str(older)])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "0.9 is older than 1.0, the version learners see now" in refused.output
    assert "--allow-downgrade" in refused.output
    assert stored(app, db) == before
    allowed = runner.invoke(args=["import", "--allow-downgrade", str(older)])
    assert allowed.exit_code == 0, allowed.output
    assert stored(app, db)[0] == [("crisis-management", ["1.0", "0.9"], "0.9")]


def test_a_newer_version_is_imported_without_asking(app, db, course, sample_package):
    version, new = import_bytes(app, db, repack(sample_package, version="1.10"))
    assert new and version.course.current.version == "1.10"
    version, new = import_bytes(app, db, repack(sample_package, version="1.9"), allow_downgrade=True)
    assert new and version.course.current.version == "1.9"


@pytest.mark.parametrize("older, newer", [("0.9", "1.0"), ("1.9", "1.10"), ("1", "1.0.1"), ("2.0", "10.0"),
                                          ("1.0.0", "1.0.1")])
def test_versions_are_compared_as_numbers(older, newer, monkeypatch):
    assert catalog.is_older(older, newer) and not catalog.is_older(newer, older)
    assert not catalog.is_older("1.0", "1.0.0") and not catalog.is_older("1.0.0", "1.0")
    monkeypatch.setattr(catalog, "Version", None)  # packaging absent: dotted numbers only
    assert catalog.is_older(older, newer) and not catalog.is_older(newer, older)


def test_versions_that_cannot_be_compared_need_permission(app, db, course, sample_package, monkeypatch):
    assert catalog.is_older("1.0rc1", "1.0")
    with pytest.raises(PackageError, match="cannot tell whether version 'spring' is older than '1.0'"):
        catalog.is_older("spring", "1.0")
    monkeypatch.setattr(catalog, "Version", None)
    with pytest.raises(PackageError, match="cannot tell whether version '1.0rc1' is older than '1.0'"):
        catalog.is_older("1.0rc1", "1.0")
    data = repack(sample_package, version="spring")
    with pytest.raises(PackageError, match="cannot tell"):
        import_bytes(app, db, data)
    version, new = import_bytes(app, db, data, allow_downgrade=True)
    assert new and version.course.current.version == "spring"


# --- random zips -------------------------------------------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)

#: A small course that passes every check, for the fuzzer to change one field at a time.
COURSE = {
    "iri": "https://example.org/courses/fuzz", "slug": "fuzz", "title": "Fuzz", "version": "1.0",
    "description": "", "source_language": "en", "languages": ["en"],
    "modules": [{"slug": "m", "iri": "https://example.org/courses/fuzz/modules/m", "type": "self-paced",
                 "title": "M", "duration": 5, "pages": [{"id": "p", "title": "P", "body": "Text"}],
                 "quiz": {"title": "Q", "pass_mark": 0.5, "attempts": 1,
                          "questions": [{"id": "q", "prompt": "?", "kind": "number", "number": 1.0, "points": 1}]},
                 "assets": {"a.png": "images/a.png"}, "images": {"images/a.png": [1, 1]}}],
    "completion": [{"module": "m", "min_score": 0.5}],
}
FIELDS = [("slug",), ("version",), ("iri",), ("title",), ("languages",), ("modules",), ("completion", 0, "min_score"),
          ("modules", 0, "slug"), ("modules", 0, "duration"), ("modules", 0, "pages", 0, "id"),
          ("modules", 0, "quiz", "pass_mark"), ("modules", 0, "quiz", "attempts"), ("modules", 0, "assets"),
          ("modules", 0, "images"), ("modules", 0, "quiz", "questions", 0, "points"),
          ("modules", 0, "quiz", "questions", 0, "number"), ("modules", 0, "downloads")]
NAMES = st.sampled_from(["course.json", "manifest.json", "languages/fr/course.json", "modules/m/p.html", "../x",
                         "../../etc/passwd", "/abs/x", "C:/x", "a\\..\\b", "modules/../../x", "a/", "a//b", "."]) | \
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=20)


@st.composite
def course_json(draw) -> bytes:
    kind = draw(st.sampled_from(["changed"] * 4 + ["json", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return json.dumps(draw(JSON)).encode()
    course = json.loads(json.dumps(COURSE))
    for path in draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
        *parents, last = path
        target = course
        for step in parents:
            target = target[step] if isinstance(target, dict) and step in target or \
                isinstance(target, list) and isinstance(step, int) and step < len(target) else {}
        if isinstance(target, dict) or isinstance(target, list) and isinstance(last, int) and last < len(target):
            hostile = st.sampled_from(["../x", "/x", "a/b", "", "a" * 101, 1e308, -5, 10**30, 0.5, 3, [1], {}])
            target[last] = draw(st.one_of(hostile, hostile, JSON))
    return json.dumps(course).encode()


@st.composite
def package_zips(draw) -> bytes:
    files = {"course.json": draw(course_json())}
    for _ in range(draw(st.integers(0, 2))):
        name = draw(NAMES) if draw(st.booleans()) else f"modules/m/{draw(st.integers(0, 9))}.html"
        files[name] = draw(st.binary(max_size=50) | course_json())
    manifest = {"format": package_module.FORMAT, "format_version": package_module.FORMAT_VERSION,
                "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}}
    kind = draw(st.sampled_from(["listing"] * 4 + ["empty", "random"]))
    files["manifest.json"] = {"listing": json.dumps(manifest).encode(), "empty": b"{}"}.get(kind) or draw(course_json())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data,
                        compress_type=draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])))
    data = bytearray(out.getvalue())
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):  # a size declared in a header, or any byte, made up
        at = draw(st.integers(0, len(data) - 1))
        if draw(st.booleans()) and (header := data.find(b"PK\x01\x02", at)) >= 0:
            at = header + draw(st.sampled_from([20, 24]))
            data[at:at + 4] = draw(st.integers(0, 2**32 - 1)).to_bytes(4, "little")
        else:
            data[at] = draw(st.integers(0, 255))
    return bytes(data)


FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(package_zips())
def test_random_zips_give_only_package_errors(data):
    try:
        read_package(io.BytesIO(data))
    except PackageError:
        pass


@FUZZ
@given(data=package_zips())
def test_random_zips_are_imported_or_refused_with_a_reason(app, db, data):
    try:
        catalog.import_package(db, io.BytesIO(data), app.config["PACKAGE_DIR"])
    except PackageError:
        pass
    finally:
        db.rollback()
