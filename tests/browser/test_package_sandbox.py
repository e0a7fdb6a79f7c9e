"""A crafted course package in Chromium: its handout, guide and SVG image carry scripts that would act as the
viewer on the platform; served in a sandbox, none of them runs, and the handout still shows its image."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from browser_support import log_in
from conftest import PASSWORDS
from lms.services import catalog

COURSE = "/courses/crisis-management"
LIVE = f"{COURSE}/modules/earthquake-tabletop"
SVG = f"{COURSE}/assets/images/evil.svg"

#: What a hostile author would want from a viewer: their cookie, their storage, requests made with their session.
ATTACK = """
document.documentElement.dataset.ran = "{name}";
document.cookie = "stolen={name}; path=/";
try {{ localStorage.setItem("stolen", "{name}"); }} catch (e) {{}}
fetch("/marker/{name}", {{credentials: "include"}});
"""
HANDOUT = """<!doctype html><html><head><meta charset="utf-8"><title>Handout</title>
<style>h1{{color:rgb(43, 108, 176)}}</style></head><body>
<h1>Handout</h1><img src="../../assets/images/crisis-cycle.png" alt="The crisis cycle">
<script>{attack}</script></body></html>"""
EVIL_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80">
<rect width="120" height="80" fill="teal"/><script>{attack}</script></svg>"""


def crafted(package: bytes) -> bytes:
    """The sample package with scripts in its live module's handout and guide, and an SVG image that has one."""
    replaced = {}
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    for name in members:
        for material in ("handout.html", "guide.html"):
            if name.endswith(f"modules/earthquake-tabletop/{material}"):
                attack = ATTACK.format(name=material.removesuffix(".html"))
                replaced[name] = HANDOUT.format(attack=attack).encode()
    course = json.loads(members["course.json"])
    live = next(m for m in course["modules"] if m["slug"] == "earthquake-tabletop")
    live["assets"]["../images/evil.svg"] = "images/evil.svg"
    replaced["course.json"] = json.dumps(course).encode()
    replaced["assets/images/evil.svg"] = EVIL_SVG.format(attack=ATTACK.format(name="svg")).encode()
    members |= replaced
    manifest = json.loads(members["manifest.json"])
    for name in replaced:
        manifest["files"][name] = hashlib.sha256(members[name]).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def hostile_course(app, db, users, sample_package):
    """The crafted package imported like any other, with the learner enrolled."""
    version, _ = catalog.import_package(db, io.BytesIO(crafted(sample_package.read_bytes())),
                                        app.config["PACKAGE_DIR"])
    catalog.enrol(db, users["learner"], version.course)
    db.commit()
    return version.course


@pytest.mark.parametrize("role, url", [("learner", f"{LIVE}/handout.html"), ("trainer", f"{LIVE}/guide.html"),
                                       ("learner", SVG)])
def test_scripts_in_a_package_do_not_run_as_the_viewer(live_server, browser_page, hostile_course, role, url):
    page = browser_page
    log_in(page, live_server, role, PASSWORDS[role])
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto(f"{live_server}{url}")
    assert response.ok
    page.wait_for_load_state("networkidle")
    assert not [u for u in requested if "/marker/" in u]  # no request made with the viewer's session
    assert not [c for c in page.context.cookies() if c["name"] == "stolen"]
    assert page.evaluate("document.documentElement.dataset.ran") is None
    if url.endswith(".html"):
        # The handout still looks right: its styles apply and its image, from the platform, shows.
        assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") == "rgb(43, 108, 176)"
        assert page.evaluate("document.querySelector('img').naturalWidth") > 0
    page.goto(f"{live_server}{COURSE}/")
    assert page.evaluate("localStorage.getItem('stolen')") is None
    assert "stolen" not in page.evaluate("document.cookie")
