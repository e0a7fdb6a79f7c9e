"""One error handler: a page for people, JSON for API clients, never a traceback."""

from __future__ import annotations


def test_unknown_page_is_a_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<h1>Not found</h1>" in response.get_data(as_text=True)
    french = client.get("/no/such/page", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "<h1>Introuvable</h1>" in french and "Vérifiez le lien" in french


def test_api_errors_are_json_with_a_code(client):
    response = client.get("/xapi/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not-found"


def test_unexpected_errors_show_no_traceback(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body and "The error has been logged" in body
    assert "secret internals" not in body and "Traceback" not in body
