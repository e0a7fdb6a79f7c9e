"""Reading packages treats them as hostile: every check refuses a bad zip with a reason."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from authoring.package import PackageError, read_package


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
