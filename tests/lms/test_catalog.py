"""Importing packages, the catalogue, enrolment and the player's refusals."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from pptx import Presentation
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from conftest import csrf_token
from lms.services import catalog

MODULE = "/courses/crisis-management/modules/consular-crisis-response"


def upload(client, data: bytes, name="course.zip"):
    token = csrf_token(client, "/admin/packages")
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart({"csrf_token": token, "package": FileStorage(io.BytesIO(data), name)})
    return client.post("/admin/packages", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_admin_uploads_a_package(client, auth, users, sample_package):
    auth.login("admin")
    response = upload(client, sample_package.read_bytes())
    assert response.status_code == 302
    page = client.get("/admin/packages").get_data(as_text=True)
    assert "Imported Crisis management and protection of citizens abroad 1.0." in page
    assert upload(client, sample_package.read_bytes()).status_code == 302  # a second import is harmless
    assert "was already imported" in client.get("/admin/packages").get_data(as_text=True)


def test_upload_that_is_not_a_zip_is_400_and_keeps_what_was_stored(client, auth, users, course):
    auth.login("admin")
    response = upload(client, b"%PDF-1.7 not a package", "course.pdf")
    assert response.status_code == 400
    assert "the file is not a zip archive" in response.get_data(as_text=True)
    assert client.get("/courses/crisis-management/").status_code == 200


def test_same_version_with_other_content_is_refused(app, db, course, sample_package):
    with zipfile.ZipFile(sample_package) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(files["manifest.json"])
    manifest["build"]["generator"] = "another build"
    files["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    out.seek(0)
    with pytest.raises(catalog.PackageConflict, match="already imported with different content"):
        catalog.import_package(db, out, app.config["PACKAGE_DIR"])
    assert [v.version for v in course.versions] == ["1.0"]


def test_import_cli(runner, sample_package, tmp_path):
    result = runner.invoke(args=["import", str(sample_package)])
    assert result.exit_code == 0 and "imported Crisis management" in result.output
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip")
    refused = runner.invoke(args=["import", str(bad)])
    assert refused.exit_code == 1 and "not a zip archive" in refused.output


def test_unknown_course_and_module_are_404(client, auth, users, course):
    auth.login("learner")
    assert client.get("/courses/no-such-course/").status_code == 404
    response = client.get("/courses/crisis-management/modules/nope/")
    assert response.status_code == 404 and "no module called" in response.get_data(as_text=True)
    assert client.get(f"{MODULE}/pages/no-such-page").status_code == 404


def test_learner_enrols_from_the_course_page(client, auth, users, course):
    auth.login("learner")
    page = client.get("/courses/crisis-management/").get_data(as_text=True)
    assert "Enrol in this course" in page
    assert client.get(f"{MODULE}/pages/roles-in-a-consular-crisis").status_code == 403
    token = csrf_token(client, "/courses/crisis-management/")
    assert client.post("/courses/crisis-management/enrol", data={"csrf_token": token}).status_code == 302
    assert "Enrol in this course" not in client.get("/courses/crisis-management/").get_data(as_text=True)
    page = client.get(f"{MODULE}/pages/roles-in-a-consular-crisis")
    assert page.status_code == 200
    assert "<strong>Headquarters (the crisis unit)</strong>" in page.get_data(as_text=True)


def test_quiz_with_a_missing_answer_is_400_and_records_nothing(client, auth, enrolled):
    auth.login("learner")
    token = csrf_token(client, f"{MODULE}/quiz")
    response = client.post(f"{MODULE}/quiz", data={"csrf_token": token, "q-crisis-lead": "1"})
    assert response.status_code == 400
    assert "Please answer every question (6 unanswered)." in response.get_data(as_text=True)
    assert "best score" not in client.get("/courses/crisis-management/").get_data(as_text=True)


def test_trainer_downloads_the_deck(client, auth, users, course):
    auth.login("trainer")
    response = client.get("/courses/crisis-management/modules/earthquake-tabletop/deck.pptx")
    assert response.status_code == 200
    assert response.data[:2] == b"PK"
    # A trainer working in French gets the French deck.
    french = client.get("/courses/crisis-management/modules/earthquake-tabletop/deck.pptx?lang=fr")
    slides = Presentation(io.BytesIO(french.data)).slides
    text = " ".join(shape.text_frame.text for slide in slides for shape in slide.shapes if shape.has_text_frame)
    assert "Exercice de simulation" in text and "Tabletop exercise" not in text
    auth.logout()
    auth.login("learner")
    assert client.get("/courses/crisis-management/modules/earthquake-tabletop/deck.pptx").status_code == 403


def test_quiz_attempts_run_out(client, auth, enrolled):
    """The sample quiz allows three attempts; a fourth is refused and nothing more is recorded."""
    auth.login("learner")
    wrong = {"q-crisis-lead": "0", "q-registration-value": "2", "q-registration-compulsory": "0",
             "q-check-messages": "12", "q-wardens": "guards", "q-confirm-death": "0", "q-plan-testing": "0"}
    for left in (2, 1, 0):
        token = csrf_token(client, f"{MODULE}/quiz")
        body = client.post(f"{MODULE}/quiz", data={"csrf_token": token, **wrong}).get_data(as_text=True)
        assert "0 / 7 (0%)" in body
        assert (f"({left} attempt{'s' if left > 1 else ''} left)" in body) if left else ("used every attempt" in body)
    page = client.get(f"{MODULE}/quiz").get_data(as_text=True)
    assert "Attempts left: 0" in page and "<form method=\"post\" class=\"quiz\">" not in page
    refused = client.post(f"{MODULE}/quiz", data={"csrf_token": csrf_token(client, "/courses/"), **wrong})
    assert refused.status_code == 403


def test_page_images_are_served_from_the_package(client, auth, enrolled):
    auth.login("learner")
    page = client.get(f"{MODULE}/pages/roles-in-a-consular-crisis").get_data(as_text=True)
    src = "/courses/crisis-management/assets/images/crisis-cycle.png"
    assert f'<img src="{src}" alt="The consular crisis cycle' in page
    image = client.get(src)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.headers["Cache-Control"] == "public, max-age=86400"
    from PIL import Image

    assert Image.open(io.BytesIO(image.data)).width == 960  # shrunk from 1600 for slow connections
    again = client.get(src, headers={"If-None-Match": image.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/courses/crisis-management/assets/manifest.json").status_code == 404
    assert client.get("/courses/crisis-management/assets/../course.json").status_code == 404
