"""What a lesson costs on a 2G link: compressed bytes of its critical path, against the budgets."""

from __future__ import annotations

import gzip
import re

from conftest import read_page

MODULE = "/courses/crisis-management/modules/consular-crisis-response"
LESSON = f"{MODULE}/pages/roles-in-a-consular-crisis"  # the sample lesson with an image
GZIP = {"Accept-Encoding": "gzip"}
#: Budgets in compressed bytes.
HTML_BUDGET, CSS_BUDGET, SCRIPT_BUDGET, CRITICAL_PATH_BUDGET = 14_000, 5_000, 10_000, 20_000


def compressed(client, url: str):
    response = client.get(url, headers=GZIP)
    assert response.status_code == 200, url
    assert response.headers["Content-Encoding"] == "gzip", url
    return response, len(response.data), gzip.decompress(response.data).decode()


def test_a_lesson_fits_its_budget_compressed_and_cached(client, auth, enrolled):
    auth.login("learner")
    read_page(client, LESSON)
    response, html_bytes, html = compressed(client, LESSON)
    assert html_bytes <= HTML_BUDGET
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert {a.split("?")[0] for a in assets} == {"/static/style.css", "/static/player.js"}
    total = html_bytes
    for url in assets:
        asset, size, text = compressed(client, url)
        assert re.search(r"\?v=[0-9a-f]{12}$", url)  # fingerprinted: a new file gets a new address
        assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert size <= (CSS_BUDGET if url.startswith("/static/style.css") else SCRIPT_BUDGET), url
        assert "@font-face" not in text and "@import" not in text  # no web fonts, nothing more to fetch
        total += size
    assert total <= CRITICAL_PATH_BUDGET
    # Images load lazily and keep their place while they do.
    images = re.findall(r"<img [^>]*>", html.split("<noscript>")[0])
    assert images
    for tag in images:
        assert 'loading="lazy"' in tag and re.search(r'width="\d+"', tag) and re.search(r'height="\d+"', tag)
    # The old address of a changed file is not kept for good.
    stale = client.get("/static/style.css?v=000000000000")
    assert stale.headers["Cache-Control"] == "no-cache"
