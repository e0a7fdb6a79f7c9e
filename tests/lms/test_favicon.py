"""The site's icon: linked from every page, answered at /favicon.ico, tiny and kept by the browser."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

#: The icon is fetched once per browser, on a 2G link too: a few hundred bytes.
ICON_BUDGET = 1024


def kept_for_a_day_at_least(response) -> None:
    cache = response.headers["Cache-Control"]
    assert "public" in cache and "no-cache" not in cache and "no-store" not in cache, cache
    assert int(re.search(r"max-age=(\d+)", cache)[1]) >= 24 * 3600, cache


def test_favicon_ico_is_a_small_real_icon_anyone_may_fetch(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype in ("image/x-icon", "image/vnd.microsoft.icon")
    assert len(response.data) <= ICON_BUDGET
    icon = Image.open(io.BytesIO(response.data))
    assert icon.format == "ICO" and icon.size == (16, 16)
    kept_for_a_day_at_least(response)


def test_the_svg_icon_is_small_and_an_svg(client):
    response = client.get("/favicon.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert len(response.data) <= ICON_BUDGET
    assert ET.fromstring(response.data).tag == "{http://www.w3.org/2000/svg}svg"
    kept_for_a_day_at_least(response)


def icon_of(html: str) -> str:
    links = re.findall(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert len(links) == 1, html[:600]
    return links[0]


@pytest.mark.parametrize("url", ["/auth/login", "/no-such-page"])
def test_pages_anyone_sees_link_the_icon(client, url):
    page = client.get(url)
    assert page.status_code in (200, 404)
    icon = client.get(icon_of(page.get_data(as_text=True)))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_a_signed_in_learner_s_pages_link_the_icon(client, auth, enrolled):
    auth.login("learner")
    page = client.get("/courses/")
    assert page.status_code == 200
    assert client.get(icon_of(page.get_data(as_text=True))).status_code == 200


def test_a_browser_checking_its_kept_icon_gets_a_304(client):
    first = client.get("/favicon.ico")
    again = client.get("/favicon.ico", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
