"""Reading packages treats them as hostile: every check refuses a bad zip with a reason."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from authoring.package import PackageError, read_package
from package_support import assert_same_package


def rezip(sample_package, change) -> io.BytesIO:
    """Return the sample package with ``change(files)`` applied to its members."""
    with zipfile.ZipFile(sample_package) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    change(files)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    out.seek(0)
    return out


def test_not_a_zip():
    with pytest.raises(PackageError, match="not a zip archive"):
        read_package(io.BytesIO(b"%PDF-1.4 this is a PDF"))


def test_zip_without_manifest(sample_package):
    with pytest.raises(PackageError, match="no manifest.json"):
        read_package(rezip(sample_package, lambda f: f.pop("manifest.json")))


def test_tampered_file_fails_its_hash(sample_package):
    def tamper(files):
        course = json.loads(files["course.json"])
        course["modules"][0]["quiz"]["pass_mark"] = 0.01
        files["course.json"] = json.dumps(course).encode()

    with pytest.raises(PackageError, match="course.json does not match its hash"):
        read_package(rezip(sample_package, tamper))


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "modules\\..\\x", "C:/x"])
def test_unsafe_names_are_refused(sample_package, name):
    with pytest.raises(PackageError, match="unsafe file name"):
        read_package(rezip(sample_package, lambda f: f.__setitem__(name, b"x")))


def test_malformed_course_json_is_refused(sample_package):
    def break_model(files):
        manifest = json.loads(files["manifest.json"])
        files["course.json"] = b'{"iri": 42}'
        import hashlib

        manifest["files"]["course.json"] = hashlib.sha256(files["course.json"]).hexdigest()
        files["manifest.json"] = json.dumps(manifest).encode()

    with pytest.raises(PackageError, match="course.json is malformed"):
        read_package(rezip(sample_package, break_model))


@pytest.mark.parametrize("marks, reason", [([], "lists no attendance mark"),
                                           (["present", "attended"], "names 'attended', which is not an attendance")])
def test_a_live_completion_the_lms_cannot_apply_is_refused(sample_package, marks, reason):
    def change(files):
        import hashlib

        course = json.loads(files["course.json"])
        course["live_completion"] = marks
        files["course.json"] = json.dumps(course).encode()
        manifest = json.loads(files["manifest.json"])
        manifest["files"]["course.json"] = hashlib.sha256(files["course.json"]).hexdigest()
        files["manifest.json"] = json.dumps(manifest).encode()

    with pytest.raises(PackageError, match=f"course.json: live_completion {reason}"):
        read_package(rezip(sample_package, change))


def test_course_json_deflated_a_module_at_a_time_reads_as_the_whole_file(sample_package):
    """course.json is deflated in parts, a module at a time: zip readers inflate it whole and check its CRC."""
    import zlib

    from authoring.package import course_file, course_member, module_json, part, zip_deflated

    with open(sample_package, "rb") as stream:
        course = read_package(stream).course
    member = course_member(course, [part(module_json(module).encode("utf-8")) for module in course.modules])
    whole = course_file(course)
    assert len(course.modules) > 1 and member.size == len(whole)
    assert zlib.decompress(member.data, -15) == whole
    with zipfile.ZipFile(io.BytesIO(zip_deflated({"course.json": member}))) as zf:
        assert zf.testzip() is None
        assert zf.read("course.json") == whole
    # One module changed: only its part is deflated again, and the file still reads whole.
    changed = course.modules[0]
    changed.title = "A title changed after the others were deflated"
    parts = [part(module_json(changed).encode("utf-8"))] + [
        part(module_json(module).encode("utf-8")) for module in course.modules[1:]]
    assert zlib.decompress(course_member(course, parts).data, -15) == course_file(course)


# -- the package as a cmi5 course package ----------------------------------------------------------------------------

def test_the_package_is_a_cmi5_course_package_with_an_au_per_self_paced_module(sample_package):
    from urllib.parse import parse_qs, urlsplit

    from lxml import etree

    from authoring.cmi5 import NAMESPACE, move_on
    from export_support import SCHEMAS

    with zipfile.ZipFile(sample_package) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    with open(sample_package, "rb") as stream:
        checked = read_package(stream)  # the LMS's checks: every file, cmi5's too, is in the manifest's hashes
    assert {"cmi5.xml", "launch/au.html", "launch/runtime.js"} <= set(checked.manifest["files"])
    course = checked.course
    document = etree.fromstring(files["cmi5.xml"])
    etree.XMLSchema(etree.parse(str(SCHEMAS / "cmi5" / "CourseStructure.xsd"))).assertValid(document)
    ns = {"c": NAMESPACE}
    assert document.xpath("/c:courseStructure/c:course/@id", namespaces=ns) == [course.iri]
    # The course's title in each of its languages, as an LMS shows it to each learner.
    assert document.xpath("/c:courseStructure/c:course/c:title/c:langstring/@lang", namespaces=ns) == \
        ["en", "fr", "es", "ru", "ar"]
    aus = document.xpath("/c:courseStructure/c:block/c:au", namespaces=ns)
    self_paced = [m for m in course.modules if m.type == "self-paced"]
    assert [au.get("id") for au in aus] == [m.iri for m in self_paced] and len(self_paced) == 4
    assert (aus[0].get("moveOn"), aus[0].get("masteryScore")) == ("CompletedAndPassed", "0.7")
    for au, module in zip(aus, self_paced, strict=True):
        rule, mastery = move_on(course, module)  # as the cmi5 export gives them
        assert au.get("moveOn") == rule
        assert au.get("masteryScore") == (None if mastery is None else f"{mastery:g}")
        url = urlsplit(au.findtext("c:url", namespaces=ns))
        assert url.path == "launch/au.html" and parse_qs(url.query) == {"module": [module.slug]}
        for language in ("en", "fr", "es", "ru", "ar"):
            data = json.loads(files[f"launch/{language}.json"])
            unit = data["modules"][module.slug]
            folder = "" if language == "en" else f"languages/{language}/"
            assert unit["base"] == f"../{folder}modules/{module.slug}/" and data["language"] == language
            # Every page the launch page's frame may open is in the package.
            names = ["index"] + [page["id"] for page in unit["pages"]] + (["quiz"] if unit["quiz"] else [])
            for name in names:
                assert f"{folder}modules/{module.slug}/{name}.html" in files, (language, name)
    assert json.loads(files["launch/ar.json"])["direction"] == "rtl"
    assert b'<script src="runtime.js"></script>' in files["launch/au.html"]


def test_a_rebuild_makes_again_only_the_cmi5_parts_of_what_changed(tmp_path, monkeypatch):
    import shutil

    from authoring import cmi5
    from authoring.build import build_course
    from authoring.model import Module
    from conftest import SAMPLE_COURSE

    course = tmp_path / "courses" / "crisis-management"
    shutil.copytree(SAMPLE_COURSE, course)
    shutil.copytree(SAMPLE_COURSE.parent.parent / "translations" / "crisis-management",
                    tmp_path / "translations" / "crisis-management")
    build_course(course, tmp_path / "dist")
    made = []  # (what was made, of which module)

    def counted(name):
        original = getattr(cmi5, name)

        def making(*args):
            made.append((name, *(arg.slug for arg in args if isinstance(arg, Module))))
            return original(*args)
        return making

    for name in ("quiz_page", "module_data", "launch_files"):
        monkeypatch.setattr(cmi5, name, counted(name))
    build_course(course, tmp_path / "dist")
    assert made == []  # nothing changed: every part from the cache
    module = course / "modules" / "registration-contingency.md"
    module.write_text(module.read_text().replace("This module is about making it work.",
                                                 "This module is about making it work, step by step."))
    again = build_course(course, tmp_path / "dist")
    assert again.rebuilt == ["registration-contingency"]
    # Its quiz page and its launch data again in each of the five languages, and nothing else.
    assert sorted(made) == sorted([("quiz_page", "registration-contingency")] * 5
                                  + [("module_data", "registration-contingency")] * 5)
    fresh = build_course(course, tmp_path / "fresh", use_cache=False)
    assert_same_package(again.path, fresh.path)


def test_an_au_of_the_package_keeps_the_lesson_budget(sample_package):
    """The launch page, its script and a language's launch data, with the largest page of a module, as exports do."""
    import gzip

    from test_export_cmi5 import CRITICAL_PATH_BUDGET, SCRIPT_BUDGET

    with zipfile.ZipFile(sample_package) as zf:
        sizes = {name: len(gzip.compress(zf.read(name))) for name in zf.namelist() if name.endswith((".html", ".js",
                                                                                                       ".json"))}
        launch = sizes["launch/au.html"] + sizes["launch/runtime.js"]
        assert sizes["launch/runtime.js"] <= SCRIPT_BUDGET
        for language in ("en", "fr", "es", "ru", "ar"):
            data = json.loads(zf.read(f"launch/{language}.json"))
            for slug, unit in data["modules"].items():
                folder = unit["base"].removeprefix("../")
                largest = max(size for name, size in sizes.items() if name.startswith(folder))
                assert launch + sizes[f"launch/{language}.json"] + largest <= CRITICAL_PATH_BUDGET, (language, slug)


def test_a_quiz_graded_on_the_server_only_leaves_no_answer_key_in_the_package(sample_package):
    """migrants-in-crisis says 'graded: server': its AU is its pages alone, completed by reading them."""
    from lxml import etree

    from authoring.cmi5 import NAMESPACE
    from export_support import SERVER_GRADED, assert_no_answer_key, correct_answers

    with zipfile.ZipFile(sample_package) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    courses = [name for name in files if name == "course.json" or name.endswith("/course.json")]
    assert len(courses) == 5
    answers = [answer for name in courses for answer in correct_answers(json.loads(files[name]), SERVER_GRADED)]
    # course.json is the course as the LMS imports it, key and all, to grade the quiz on the server.
    assert_no_answer_key(files, SERVER_GRADED, answers, lms_only=tuple(courses))
    au = etree.fromstring(files["cmi5.xml"]).xpath(f"//c:au[substring-after(@id, '/modules/') = '{SERVER_GRADED}']",
                                                   namespaces={"c": NAMESPACE})[0]
    assert au.get("moveOn") == "Completed" and au.get("masteryScore") is None
    # A quiz graded in the browser keeps its page and its key.
    for language in ("en", "fr", "es", "ru", "ar"):
        unit = json.loads(files[f"launch/{language}.json"])["modules"]["consular-crisis-response"]
        assert len(unit["quiz"]["questions"]) == 7 and unit["quizElsewhere"] is False
        assert "correct" in unit["quiz"]["questions"][0]
    assert "modules/consular-crisis-response/quiz.html" in files


def test_packages_that_differ_are_told_apart_by_the_files_that_differ():
    from authoring.package import zip_bytes

    one = zip_bytes({"course.json": b"{}", "modules/a/index.html": b"<p>a</p>"})
    other = zip_bytes({"course.json": b"{}", "modules/a/index.html": b"<p>b</p>"})
    assert_same_package(one, zip_bytes({"modules/a/index.html": b"<p>a</p>", "course.json": b"{}"}))
    with pytest.raises(AssertionError, match=r"files that differ \['modules/a/index.html'\]"):
        assert_same_package(one, other)
