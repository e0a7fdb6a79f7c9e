"""State, activity profile and agent profile documents, with ETag concurrency."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from lrs_helpers import ACTOR, new_id

ACTIVITY = "https://academy.example.org/courses/crisis/modules/m1"
STATE = {"activityId": ACTIVITY, "agent": ACTOR, "stateId": "resume"}
JSON = {"Content-Type": "application/json"}


def test_state_put_get_merge_list_delete(lrs):
    assert lrs.put("activities/state", params=STATE, json_body={"page": 3}).status_code == 204
    got = lrs.get("activities/state", params=STATE)
    assert got.status_code == 200 and got.get_json() == {"page": 3}
    assert got.headers["ETag"] == '"' + hashlib.sha1(got.data).hexdigest() + '"'
    assert got.headers["Last-Modified"]
    assert lrs.post("activities/state", params=STATE, json_body={"answers": 2}).status_code == 204
    assert lrs.get("activities/state", params=STATE).get_json() == {"page": 3, "answers": 2}
    other = dict(STATE, stateId="bookmarks")
    lrs.put("activities/state", params=other, data=b"\x00binary", headers={"Content-Type": "application/octet-stream"})
    assert lrs.get("activities/state", params=other).data == b"\x00binary"
    listing = lrs.get("activities/state", params={"activityId": ACTIVITY, "agent": ACTOR}).get_json()
    assert listing == ["bookmarks", "resume"]
    assert lrs.delete("activities/state", params=STATE).status_code == 204
    assert lrs.get("activities/state", params=STATE).status_code == 404
    assert lrs.delete("activities/state", params={"activityId": ACTIVITY, "agent": ACTOR}).status_code == 204
    assert lrs.get("activities/state", params={"activityId": ACTIVITY, "agent": ACTOR}).get_json() == []


def test_state_is_kept_per_registration(lrs):
    registration = new_id()
    lrs.put("activities/state", params=STATE | {"registration": registration}, json_body={"page": 1})
    lrs.put("activities/state", params=STATE, json_body={"page": 9})
    assert lrs.get("activities/state", params=STATE | {"registration": registration}).get_json() == {"page": 1}
    assert lrs.get("activities/state", params=STATE).get_json() == {"page": 9}


def test_listing_since(lrs):
    lrs.put("activities/state", params=STATE, json_body={})
    stamp = lrs.get("activities/state", params=STATE).headers["Last-Modified"]
    assert stamp
    later = lrs.get("activities/state", params={"activityId": ACTIVITY, "agent": ACTOR,
                                                "since": "2999-01-01T00:00:00Z"}).get_json()
    earlier = lrs.get("activities/state", params={"activityId": ACTIVITY, "agent": ACTOR,
                                                  "since": "2000-01-01T00:00:00Z"}).get_json()
    assert later == [] and earlier == ["resume"]


@pytest.mark.parametrize("params, reason", [
    ({"agent": ACTOR, "stateId": "x"}, "activityId parameter is required"),
    ({"activityId": ACTIVITY, "stateId": "x"}, "agent parameter is required"),
    ({"activityId": "not an iri", "agent": ACTOR, "stateId": "x"}, "activityId must be an IRI"),
    ({"activityId": ACTIVITY, "agent": {"name": "x"}, "stateId": "x"}, "exactly one of"),
    ({**STATE, "registration": "nope"}, "registration must be a UUID"),
    ({**STATE, "profileId": "x"}, "unknown parameter 'profileId'"),
])
def test_bad_state_requests(lrs, params, reason):
    response = lrs.put("activities/state", params=params, json_body={})
    assert response.status_code == 400
    assert reason in response.get_json()["error"]["message"]


def test_merging_needs_json_objects_and_keeps_the_document(lrs):
    lrs.put("activities/state", params=STATE, json_body={"page": 3})
    refused = lrs.post("activities/state", params=STATE, data=b"[1, 2]", headers=JSON)
    assert refused.status_code == 400
    assert lrs.get("activities/state", params=STATE).get_json() == {"page": 3}


@pytest.mark.parametrize("path, params", [
    ("activities/profile", {"activityId": ACTIVITY, "profileId": "glossary"}),
    ("agents/profile", {"agent": ACTOR, "profileId": "preferences"}),
])
def test_profiles_use_etags(lrs, path, params):
    # Replacing needs If-Match, so that nobody overwrites by accident; If-None-Match: * creates only.
    created = lrs.put(path, params=params, json_body={"v": 1}, headers={"If-None-Match": "*"})
    assert created.status_code == 204
    etag = lrs.get(path, params=params).headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{40}"', etag)
    assert lrs.put(path, params=params, json_body={"v": 2}, headers={"If-None-Match": "*"}).status_code == 412
    assert lrs.put(path, params=params, json_body={"v": 2}).status_code == 409
    stale = lrs.put(path, params=params, json_body={"v": 2}, headers={"If-Match": '"' + "0" * 40 + '"'})
    assert stale.status_code == 412
    assert lrs.get(path, params=params).get_json() == {"v": 1}  # nothing changed
    assert lrs.put(path, params=params, json_body={"v": 2}, headers={"If-Match": etag}).status_code == 204
    assert lrs.get(path, params=params).get_json() == {"v": 2}
    owner = {k: v for k, v in params.items() if k != "profileId"}
    assert lrs.get(path, params=owner).get_json() == [params["profileId"]]
    assert lrs.delete(path, params=params, headers={"If-Match": etag}).status_code == 412
    assert lrs.delete(path, params=params).status_code == 204
    assert lrs.get(path, params=params).status_code == 404


def test_a_learner_session_reaches_only_its_own_state(client, auth, users):
    auth.login("learner")
    me = {"objectType": "Agent", "account": {"homePage": "https://lms.example.test/",
                                             "name": users["learner"].actor_id}}
    headers = {"X-Experience-API-Version": "1.0.3"}
    mine = {"activityId": ACTIVITY, "agent": me, "stateId": "resume"}
    query = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in mine.items()}
    assert client.put("/xapi/activities/state", query_string=query, json={"page": 2}, headers=headers).status_code == 204
    assert client.get("/xapi/activities/state", query_string=query, headers=headers).get_json() == {"page": 2}
    theirs = dict(query, agent=json.dumps(ACTOR))
    assert client.get("/xapi/activities/state", query_string=theirs, headers=headers).status_code == 403
    profile = {"activityId": ACTIVITY, "profileId": "p"}
    assert client.get("/xapi/activities/profile", query_string=profile, headers=headers).status_code == 403
