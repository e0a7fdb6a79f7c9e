"""Security headers, set in one place: pages may run only the platform's own scripts, are never framed by
another site, send no address to other sites, are reached over https once they have been; files from a course
package are served in a sandbox, so a crafted package cannot script the platform."""

from __future__ import annotations

import re

import pytest

from conftest import read_page

MODULE = "/courses/crisis-management/modules/consular-crisis-response"
LESSON = f"{MODULE}/pages/roles-in-a-consular-crisis"
LIVE = "/courses/crisis-management/modules/earthquake-tabletop"


def policy(response) -> dict[str, str]:
    """The response's Content-Security-Policy as {directive: sources}."""
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("url", ["/auth/login", "/courses/", LESSON, f"{MODULE}/quiz", "/sw.js"])
def test_pages_carry_the_security_headers(client, auth, enrolled, url):
    auth.login("learner")
    response = client.get(url)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'" and csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'self'" and csp["base-uri"] == "'self'" and csp["form-action"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"  # the public URL is https


def test_the_lesson_needs_nothing_the_policy_forbids(client, auth, enrolled):
    """The lesson's only inline script is a JSON data block, which the browser does not run."""
    auth.login("learner")
    response = read_page(client, LESSON)
    assert policy(response)["script-src"] == "'self'"
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all('src="/static/' in tag or 'type="application/json"' in tag for tag in scripts)
    assert not re.search(r"\son[a-z]+=|javascript:", html)


def test_the_lrs_answers_are_not_sniffed_and_cors_still_works(client, lrs):
    about = client.get("/xapi/about")
    assert about.headers["X-Content-Type-Options"] == "nosniff"
    statements = lrs.get("statements")
    assert statements.status_code == 200 and statements.headers["X-Content-Type-Options"] == "nosniff"
    preflight = client.options("/xapi/statements", headers={
        "Origin": "https://content.example.org", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Authorization, X-Experience-API-Version, Content-Type"})
    assert preflight.headers["Access-Control-Allow-Origin"] in ("*", "https://content.example.org")


def test_no_hsts_when_the_public_url_is_http(app, client):
    app.config["PUBLIC_URL"] = "http://127.0.0.1:5000/"
    response = client.get("/auth/login")
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("role, url", [
    ("learner", f"{LIVE}/handout.html"),
    ("trainer", f"{LIVE}/guide.html"),
    ("learner", "/courses/crisis-management/assets/images/crisis-cycle.png"),
])
def test_package_files_are_served_in_a_sandbox(client, auth, enrolled, role, url):
    auth.login(role)
    response = client.get(url)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["sandbox"] == "allow-same-origin"  # no scripts, forms or windows
    assert csp["default-src"] == "'none'" and "script-src" not in csp
    assert csp["img-src"] == "'self' data:"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
