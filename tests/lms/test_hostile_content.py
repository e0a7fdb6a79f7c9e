"""Markup in course sources never reaches learners as live HTML."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from authoring.build import build_course
from lms.services import catalog

HOSTILE_MODULE = """\
---
type: self-paced
title: <img src=x onerror=alert(1)> Module
duration: 5
---

# Page <script>alert('title')</script>

<script>alert('body')</script>

[a link](javascript:alert('link')) and <b onclick="alert(1)">bold</b>

:::: quiz
::: question
Which <iframe src="https://evil.example"></iframe>?

- [x] <svg onload=alert(1)>
- [ ] no
:::
::::
"""


class LiveMarkup(HTMLParser):
    """Collect what a browser would run: dangerous tags, event handlers, javascript: links."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if self._platform_own(tag, dict(attrs)):
            return
        if tag in ("script", "img", "iframe", "svg", "b"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or (value or "").lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}={value}")


    @staticmethod
    def _platform_own(tag: str, attrs: dict) -> bool:
        """The player's own script, its data (JSON, never run) and the page-view image of <noscript>."""
        if tag == "script":
            return attrs.get("src", "").startswith("/static/player.js?v=") or \
                (attrs.get("type") == "application/json" and attrs.get("id") == "xapi")
        return tag == "img" and attrs.get("src", "").endswith("/seen") and attrs.get("alt") == ""


def test_scripts_in_markdown_are_shown_as_text(app, db, client, auth, users, tmp_path):
    course_dir = tmp_path / "hostile"
    (course_dir / "modules").mkdir(parents=True)
    (course_dir / "course.yaml").write_text(
        "id: https://academy.example.org/hostile\ntitle: <script>alert('course')</script>\nversion: '1'\n"
        "source_language: en\nmodules: [m]\n")
    (course_dir / "modules" / "m.md").write_text(HOSTILE_MODULE)
    package = build_course(course_dir, tmp_path / "dist").path
    with open(package, "rb") as stream:
        version, _ = catalog.import_package(db, stream, app.config["PACKAGE_DIR"])
    catalog.enrol(db, users["learner"], version.course)
    db.commit()

    auth.login("learner")
    module = version.course.current.model.modules[0]
    pages = ["/courses/hostile/", "/courses/hostile/modules/m/",
             f"/courses/hostile/modules/m/pages/{module.pages[0].id}", "/courses/hostile/modules/m/quiz"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        parser = LiveMarkup()
        parser.feed(response.get_data(as_text=True))
        assert parser.found == [], url
    page_html = client.get(pages[2]).get_data(as_text=True)
    # The page's data for the player holds the hostile title, escaped so that it cannot close its <script>.
    data = page_html.split('<script type="application/json" id="xapi">')[1].split("</script>")[0]
    assert "<" not in data and "alert" in json.loads(data)["statements"][0]["context"]["contextActivities"][
        "grouping"][0]["definition"]["name"]["en"]
    assert "&lt;script&gt;alert('body')&lt;/script&gt;" in page_html
