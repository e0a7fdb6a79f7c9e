"""The accounts screens: admins only, create and edit with the M&E profile, deactivate, set-password links
(shown, mailed, working once), and everyone's own time zone and language."""

from __future__ import annotations

import html
import re

import pytest

from conftest import PASSWORDS, csrf_token
from lms.accounts import services as accounts
from people_fixtures import as_admin, mail_server  # noqa: F401 (fixtures)

ADMIN_PAGES = [("get", "/admin/accounts/"), ("get", "/admin/accounts/new"), ("post", "/admin/accounts/new"),
               ("get", "/admin/accounts/{id}"), ("post", "/admin/accounts/{id}"),
               ("post", "/admin/accounts/{id}/active"), ("post", "/admin/accounts/{id}/link"),
               ("get", "/admin/accounts/import"), ("post", "/admin/accounts/import")]
NEW = {"username": "kofi.mensah", "display_name": "Kofi Mensah", "email": "kofi@mfa.gov.gh", "role": "learner",
       "country": "GH", "institution": "Ministry of Foreign Affairs", "gender": "male", "language": "fr",
       "timezone": "Africa/Accra"}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def the_link(response) -> str:
    links = re.findall(r"<code>https://lms\.example\.test(/account/password/[\w.-]+)</code>", text(response))
    assert len(links) == 1
    return links[0]


def create(client, **fields):
    token = csrf_token(client, "/admin/accounts/new")
    return client.post("/admin/accounts/new", data={**NEW, **fields, "csrf_token": token})


@pytest.mark.parametrize("role", ["trainer", "learner", "analyst"])
def test_only_admins_reach_the_accounts_screens(client, auth, users, role):
    auth.login(role)
    token = csrf_token(client, "/courses/")  # a valid token: the refusal is for the role, not the form
    for method, url in ADMIN_PAGES:
        response = getattr(client, method)(url.format(id=users["learner"].id), data={"csrf_token": token})
        assert response.status_code == 403, (method, url)
    auth.logout()
    assert client.get("/admin/accounts/").status_code == 302  # to the log-in page


def test_an_admin_creates_an_account_whose_owner_sets_a_password_once(client, as_admin, db):
    created = create(client)
    assert created.status_code == 200 and "The account kofi.mensah is created." in text(created)
    link = the_link(created)
    kofi = accounts.find_user(db, "kofi.mensah")
    assert (kofi.country, kofi.gender, kofi.language, kofi.timezone) == ("GH", "male", "fr", "Africa/Accra")

    newcomer = client.application.test_client()
    assert "kofi.mensah" in text(newcomer.get(link))
    token = csrf_token(newcomer, link)
    weak = newcomer.post(link, data={"password": "password1234", "confirm": "password1234", "csrf_token": token})
    assert weak.status_code == 400 and "too common" in text(weak)
    chosen = "three unrelated words here"
    done = newcomer.post(link, data={"password": chosen, "confirm": chosen, "csrf_token": token})
    assert done.status_code == 302 and newcomer.get("/courses/").status_code == 200  # logged in
    again = client.application.test_client().get(link)
    assert again.status_code == 400 and "This link has already been used." in text(again)
    db.expire_all()
    assert accounts.authenticate(db, "kofi.mensah", chosen) is not None


def test_a_broken_link_gives_a_clear_page(client):
    response = client.get("/account/password/not-a-token")
    assert response.status_code == 400 and "This link is not valid." in text(response)


def test_the_link_is_mailed_in_the_account_language_when_smtp_is_set(client, as_admin, mail_server):
    created = create(client)
    assert "1 of them were sent by e-mail." in text(created)
    message, = mail_server.messages
    assert (message["To"], message["From"]) == ("kofi@mfa.gov.gh", "academy@example.org")
    assert message["Subject"] == "Votre compte Passerelle"
    assert "https://lms.example.test" + the_link(created) in message.get_content()


def test_unreachable_smtp_still_shows_the_links(app, client, as_admin):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9, SMTP_TLS="off")  # nothing listens on the discard port
    created = create(client)
    assert created.status_code == 200 and "could not be sent" in text(created)
    the_link(created)


@pytest.mark.parametrize("field, value, reason", [
    ("country", "XX", "XX is not an ISO 3166 country code."),
    ("email", "kofi@", "kofi@ is not an e-mail address."),
    ("timezone", "Mars/Base", "Mars/Base is not a time zone"),
    ("gender", "f", "Unknown gender f"),
    ("username", "learner", "The username learner is taken."),
])
def test_a_wrong_value_in_the_form_is_refused_and_nothing_is_created(client, as_admin, db, field, value, reason):
    response = create(client, **{field: value})
    assert response.status_code == 400 and reason in text(response)
    assert accounts.find_user(db, "kofi.mensah") is None


def test_the_form_offers_countries_and_genders_in_the_interface_language(client, as_admin):
    page = text(client.get("/admin/accounts/new?lang=fr"))
    assert '<option value="SN">Sénégal</option>' in page and '<option value="another">' in page
    assert '<option value="Africa/Accra">Ghana — Accra</option>' in page or \
        '<option value="Africa/Accra">Ghana</option>' in page


def test_an_admin_edits_then_deactivates_an_account_which_can_no_longer_log_in(app, client, as_admin, db, users):
    learner = users["learner"]
    phone = app.test_client()  # the learner, logged in on their phone
    token = csrf_token(phone, "/auth/login")
    phone.post("/auth/login", data={"username": "learner", "password": PASSWORDS["learner"], "csrf_token": token})
    assert phone.get("/courses/").status_code == 200

    url = f"/admin/accounts/{learner.id}"
    fields = {**NEW, "display_name": "Jonas Learner", "institution": "Ministry of the Interior"}
    saved = client.post(url, data={**fields, "csrf_token": csrf_token(client, url)})
    assert saved.status_code == 302
    db.expire_all()
    assert (learner.display_name, learner.institution, learner.username) == \
        ("Jonas Learner", "Ministry of the Interior", "learner")

    client.post(url + "/active", data={"active": "0", "csrf_token": csrf_token(client, url)})
    assert phone.get("/courses/").status_code == 302  # its session ended
    token = csrf_token(phone, "/auth/login")
    refused = phone.post("/auth/login", data={"username": "learner", "password": PASSWORDS["learner"],
                                              "csrf_token": token})
    assert refused.status_code == 403 and "This account is deactivated." in text(refused)
    listed = text(client.get("/admin/accounts/?active=0"))
    assert "Jonas Learner" in listed and "Demo trainer" not in listed

    client.post(url + "/active", data={"active": "1", "csrf_token": csrf_token(client, url)})
    again = phone.post("/auth/login", data={"username": "learner", "password": PASSWORDS["learner"],
                                            "csrf_token": token})
    assert again.status_code == 302


def test_an_admin_cannot_deactivate_themselves(client, as_admin, users):
    url = f"/admin/accounts/{users['admin'].id}"
    response = client.post(url + "/active", data={"active": "0", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 400 and users["admin"].active


def test_the_list_searches_and_pages(client, as_admin, db, users):
    for number in range(60):
        accounts.create_user(db, f"official{number:02}", None, "learner", f"Official {number:02}",
                             institution="Border police" if number == 7 else "")
    db.commit()
    first = text(client.get("/admin/accounts/?role=learner"))
    assert "61 accounts" in first and "Page 1 of 2" in first and "Official 48" in first and "Official 49" not in first
    assert "Official 49" in text(client.get("/admin/accounts/?role=learner&page=2"))
    found = text(client.get("/admin/accounts/?q=border+POLICE"))
    assert "1 accounts" in found and "Official 07" in found


def test_anyone_sets_their_own_time_zone_and_language(client, auth, db, users):
    auth.login("learner")
    token = csrf_token(client, "/account/profile")
    wrong = client.post("/account/profile", data={"timezone": "Mars/Base", "language": "en", "csrf_token": token})
    assert wrong.status_code == 400 and "Mars/Base is not a time zone" in text(wrong)
    saved = client.post("/account/profile", data={"timezone": "America/Costa_Rica", "language": "es",
                                                  "csrf_token": token})
    assert saved.status_code == 302
    db.expire_all()
    assert (users["learner"].timezone, users["learner"].language) == ("America/Costa_Rica", "es")
    assert 'lang="es"' in client.get("/account/profile").get_data(as_text=True)


@pytest.mark.parametrize("page", ["99999999999999999999", "-5", "x"])
def test_a_page_number_out_of_any_range_shows_a_page_not_an_error(client, as_admin, page):
    response = client.get(f"/admin/accounts/?page={page}")
    assert response.status_code == 200
