"""TinCanPython's RemoteLRS saves a new profile document with a plain PUT, as xAPI 1.0.3 allows; only
overwriting an existing one without a precondition is a conflict."""

from __future__ import annotations

import tincan

from lrs_helpers import make_key

ACTIVITY = tincan.Activity(id="https://academy.example.org/courses/crisis-management")
AGENT = tincan.Agent(name="Amina", mbox="mailto:amina@academy.example.org")


def test_tincan_saves_new_profiles_and_cannot_overwrite_them_blindly(app, live_server):
    key, secret = make_key(app, "all")
    lrs = tincan.RemoteLRS(endpoint=f"{live_server}/xapi/", username=key, password=secret, version="1.0.3")
    activity_profile = tincan.ActivityProfileDocument(activity=ACTIVITY, id="glossary", content='{"terms": 12}',
                                                      content_type="application/json")
    agent_profile = tincan.AgentProfileDocument(agent=AGENT, id="preferences", content='{"language": "fr"}',
                                                content_type="application/json")
    for document in (activity_profile, agent_profile):
        document.etag = None  # no If-Match, no If-None-Match
    saved = lrs.save_activity_profile(activity_profile)
    assert saved.success, saved.data
    saved = lrs.save_agent_profile(agent_profile)
    assert saved.success, saved.data

    activity_profile.content, agent_profile.content = '{"terms": 0}', '{"language": "en"}'
    for save in (lambda: lrs.save_activity_profile(activity_profile), lambda: lrs.save_agent_profile(agent_profile)):
        again = save()
        assert not again.success and again.response.status == 409
    assert bytes(lrs.retrieve_activity_profile(ACTIVITY, "glossary").content.content) == b'{"terms": 12}'
    assert bytes(lrs.retrieve_agent_profile(AGENT, "preferences").content.content) == b'{"language": "fr"}'
