"""Deep linking: an instructor of the platform's course picks a Passerelle course or module, and the tool answers
the platform with a signed LtiDeepLinkingResponse that places it; launches of the placed link land there."""

from __future__ import annotations

import re
from html import unescape

import requests
from sqlalchemy import func, select

from lms.integration.lti.models import Link
from lti_platform import CLAIM, CLIENT_ID, DEPLOYMENT_ID, INSTRUCTOR, ISSUER, registered, platform  # noqa: F401

MODULE = "consular-crisis-response"


def choose(client, platform, roles=(INSTRUCTOR,)):
    return platform.launch(client, token_args={"roles": roles, "sub": "moodle-teacher-3"},
                           **platform.deep_linking_claims())


def form_of(page: str) -> tuple[str, dict]:
    action = unescape(re.search(r'<form[^>]* action="([^"]+)"', page)[1])
    fields = {unescape(name): unescape(value)
              for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}
    return action, fields


def test_an_instructor_places_a_module_and_the_platform_verifies_the_signed_answer(client, db, registered,
                                                                                    platform, course):
    page = choose(client, platform)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert course.title in text and f'value="crisis-management/{MODULE}"' in text
    # The platform may show the choice in a frame; no other site may.
    assert f"frame-ancestors 'self' {platform.url}" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers
    action = re.search(r'<form method="post" action="([^"]+)"', text)[1]
    placed = client.post(action, data={"target": f"crisis-management/{MODULE}"})
    assert placed.status_code == 200
    return_url, fields = form_of(placed.get_data(as_text=True))
    assert return_url == f"{platform.url}/deep-linking/return"
    # The answer's form may be sent to the platform: the page's policy names its address.
    assert f"form-action 'self' {platform.url}" in placed.headers["Content-Security-Policy"]
    # The browser posts the answer to the platform, which verifies it with the tool's published key set.
    assert requests.post(return_url, data=fields, timeout=10).text == "Placed."
    claims = platform.deep_link_responses[-1]
    assert (claims["iss"], claims["aud"]) == (CLIENT_ID, [ISSUER])
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[CLAIM + "deployment_id"] == DEPLOYMENT_ID
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-platform-data"
    [item] = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["type"] == "ltiResourceLink"
    assert item["window"] == {"targetName": "_blank"} and "iframe" not in item  # opened in a new window
    assert item["url"] == f"http://localhost/lti/courses/crisis-management/modules/{MODULE}/"
    module_title = course.current.model.module(MODULE).title
    assert item["title"] == f"{module_title} — {course.title}"
    assert item["lineItem"]["scoreMaximum"] == 100
    # The column the platform makes is the one a launch without a line item would find again by its tag.
    assert item["lineItem"]["tag"] == f"passerelle:crisis-management/{MODULE}"
    link = db.scalar(select(Link))
    assert item["custom"] == {"passerelle_link": link.uuid} and link.module == MODULE

    # A learner launched from the placed link lands in the module, its score going to the link's line item.
    client.delete_cookie("session")
    landed = platform.launch(client, target="https://elsewhere.example.test/", token_args={"sub": "learner-5"},
                             **{CLAIM + "custom": {"passerelle_link": link.uuid}})
    assert landed.status_code == 303
    assert landed.headers["Location"] == f"/courses/crisis-management/modules/{MODULE}/launch"


def test_a_choice_is_made_once(client, db, registered, platform, course):
    text = choose(client, platform).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', text)[1]
    assert client.post(action, data={"target": "crisis-management"}).status_code == 200
    again = client.post(action, data={"target": "crisis-management"})
    assert again.status_code == 410 and "expired or was already made" in again.get_data(as_text=True)
    assert client.post("/lti/deep-linking/forged-token", data={"target": "crisis-management"}).status_code == 410
    assert db.scalar(select(func.count()).select_from(Link)) == 1


def test_choosing_nothing_or_what_does_not_exist_asks_again(client, db, registered, platform, course):
    text = choose(client, platform).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', text)[1]
    for target in ("", "no-such-course", "crisis-management/no-such-module"):
        answer = client.post(action, data={"target": target})
        assert answer.status_code == 400 and "Choose a course or a module." in answer.get_data(as_text=True)
    assert client.post(action, data={"target": "crisis-management"}).status_code == 200


def test_a_learner_may_not_place_anything(client, db, registered, platform, course):
    answer = choose(client, platform, roles=("http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",))
    assert answer.status_code == 403
    assert db.scalar(select(func.count()).select_from(Link)) == 0


def test_an_instructor_whose_account_here_is_a_learner_s_places_nothing(client, db, registered, platform, course):
    from lti_platform import LEARNER

    assert platform.launch(client, token_args={"sub": "moodle-teacher-3", "roles": (LEARNER,)}).status_code == 303
    client.delete_cookie("session")
    page = choose(client, platform)
    assert page.status_code == 403
    assert "Your account here is a learner" in page.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Link)) == 0
