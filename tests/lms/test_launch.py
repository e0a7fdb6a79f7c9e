"""A self-paced module launched the cmi5 way: launch data, launched, a one-time fetch, a key for one learner."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit

from conftest import PUBLIC_URL, csrf_token

COURSE = "/courses/crisis-management"
MODULE = f"{COURSE}/modules/consular-crisis-response"
MODULE_IRI = "https://courses.passerelle.example/crisis-management/modules/consular-crisis-response"
SESSION_ID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
XAPI = {"X-Experience-API-Version": "1.0.3"}


def launch(client) -> dict[str, str]:
    response = client.get(f"{MODULE}/launch")
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert target.path == f"{MODULE}/"
    return {name: values[0] for name, values in parse_qs(target.query).items()}


def fetch(client, url: str):
    parts = urlsplit(url)
    return client.post(f"{parts.path}?{parts.query}")


def test_a_launch_gives_the_module_what_cmi5_asks_and_a_key_once(app, client, auth, enrolled, users):
    auth.login("learner")
    assert f'href="{MODULE}/launch"' in client.get(f"{COURSE}/").get_data(as_text=True)
    params = launch(client)
    assert set(params) == {"endpoint", "fetch", "actor", "registration", "activityId"}
    assert params["endpoint"].endswith("/xapi/") and params["activityId"] == MODULE_IRI
    assert params["registration"] == enrolled.registration
    actor = json.loads(params["actor"])
    assert actor["account"] == {"homePage": PUBLIC_URL, "name": users["learner"].actor_id}

    auth.logout()  # the module needs no cookie: the fetch URL and its token are enough
    first = fetch(client, params["fetch"])
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    token = first.get_json()["auth-token"]
    again = fetch(client, params["fetch"])
    assert again.status_code == 400 and again.get_json()["error-code"] == "1"
    forged = fetch(client, params["fetch"].replace("secret=", "secret=x"))
    assert forged.get_json()["error-code"] == "3"

    state = {"activityId": MODULE_IRI, "agent": params["actor"], "registration": params["registration"],
             "stateId": "LMS.LaunchData"}
    data = client.get("/xapi/activities/state", query_string=state, headers={**XAPI, "Authorization": token})
    assert data.status_code == 200
    launch_data = data.get_json()
    assert launch_data["launchMode"] == "Normal" and launch_data["moveOn"] == "CompletedAndPassed"
    assert launch_data["masteryScore"] == 0.7 and launch_data["returnURL"].endswith(f"{COURSE}/")
    session_id = launch_data["contextTemplate"]["extensions"][SESSION_ID]

    launched = client.get("/xapi/statements", query_string={"verb": "http://adlnet.gov/expapi/verbs/launched"},
                          headers={**XAPI, "Authorization": token}).get_json()["statements"]
    assert len(launched) == 1 and launched[0]["object"]["id"] == MODULE_IRI
    assert launched[0]["context"]["extensions"][SESSION_ID] == session_id
    assert launched[0]["context"]["registration"] == params["registration"]

    # The key writes the learner's own statements, and no one else's.
    mine = {"actor": actor, "verb": {"id": "http://adlnet.gov/expapi/verbs/initialized"},
            "object": {"id": MODULE_IRI}, "context": {"registration": params["registration"],
                                                      "extensions": {SESSION_ID: session_id}}}
    assert client.post("/xapi/statements", json=mine, headers={**XAPI, "Authorization": token}).status_code == 200
    other = {**mine, "actor": {"account": {"homePage": PUBLIC_URL, "name": users["trainer"].actor_id}}}
    assert client.post("/xapi/statements", json=other, headers={**XAPI, "Authorization": token}).status_code == 403
    # Each launch is a new session.
    auth.login("learner")
    assert launch(client)["fetch"] != params["fetch"]


def test_the_key_of_a_launch_expires(app, client, auth, enrolled):
    app.config["LAUNCH_KEY_DAYS"] = 0
    auth.login("learner")
    token = fetch(client, launch(client)["fetch"]).get_json()["auth-token"]
    answer = client.get("/xapi/statements", headers={**XAPI, "Authorization": token})
    assert answer.status_code == 401


def test_only_an_enrolled_learner_launches_and_live_modules_open_as_pages(client, auth, users, course):
    auth.login("learner")
    assert client.get(f"{MODULE}/launch").status_code == 403
    client.post(f"{COURSE}/enrol", data={"csrf_token": csrf_token(client, f"{COURSE}/")})
    live = client.get(f"{COURSE}/modules/earthquake-tabletop/launch")
    assert live.status_code == 302 and live.headers["Location"].endswith("/modules/earthquake-tabletop/")


def test_statements_the_player_sends_earn_the_module_completion(client, auth, enrolled, db):
    """The page views the script sends over the launch key complete the module, as the server's own records do."""
    from sqlalchemy import select

    from xapi.models import StatementRecord
    from xapi.statements import VERBS

    from test_journey import PAGES, RIGHT, take_quiz

    auth.login("learner")
    take_quiz(client, RIGHT)  # passed, but no page read yet: not completed
    token = fetch(client, launch(client)["fetch"]).get_json()["auth-token"]

    def completions() -> int:
        db.expire_all()
        return len(db.scalars(select(StatementRecord).where(StatementRecord.object_id == MODULE_IRI,
                                                            StatementRecord.verb_id == VERBS["completed"])).all())

    assert completions() == 0
    for page in PAGES:
        html = client.get(f"{MODULE}/pages/{page}").get_data(as_text=True)
        data = json.loads(html.split('<script type="application/json" id="xapi">')[1].split("</script>")[0])
        made = [dict(s, id=str(uuid.uuid4())) for s in data["statements"]]  # as the script stamps them
        assert client.post("/xapi/statements", json=made, headers={**XAPI, "Authorization": token}).status_code == 200
    assert completions() == 1
    assert "You have completed this module." in client.get(f"{MODULE}/").get_data(as_text=True)


def test_the_module_offers_to_continue_from_the_last_page_read_kept_in_the_state_api(client, auth, enrolled):
    from test_journey import PAGES

    from conftest import read_page

    auth.login("learner")
    assert 'class="resume"' not in client.get(f"{MODULE}/").get_data(as_text=True)
    read_page(client, f"{MODULE}/pages/{PAGES[1]}")  # without scripts: the page's image keeps the place too
    overview = client.get(f"{MODULE}/").get_data(as_text=True)
    assert f'<a class="resume" href="{MODULE}/pages/{PAGES[1]}">Continue where you stopped: ' in overview
    state = {"activityId": MODULE_IRI, "registration": enrolled.registration, "stateId": "passerelle.bookmark",
             "agent": json.dumps({"account": {"homePage": PUBLIC_URL, "name": enrolled.user.actor_id}})}
    kept = client.get("/xapi/activities/state", query_string=state, headers=XAPI)
    assert kept.status_code == 200 and kept.get_json() == {"page": PAGES[1]}
    # The document is the learner's to write: a place the module does not have is no place, and no error.
    for junk in ({"page": "no-such-page"}, {"page": ["x"]}, [1, 2]):
        assert client.put("/xapi/activities/state", query_string=state, json=junk, headers=XAPI).status_code == 204
        overview = client.get(f"{MODULE}/")
        assert overview.status_code == 200 and 'class="resume"' not in overview.get_data(as_text=True)
