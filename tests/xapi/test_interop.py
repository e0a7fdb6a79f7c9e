"""A real xAPI client library (tincan's RemoteLRS) against the LRS served over HTTP."""

from __future__ import annotations

import uuid

import tincan
from lrs_helpers import make_key

COURSE = "https://academy.example.org/courses/crisis-management"


def test_tincan_client_writes_reads_voids_and_keeps_documents(app, live_server):
    key, secret = make_key(app, "all")
    lrs = tincan.RemoteLRS(endpoint=f"{live_server}/xapi/", username=key, password=secret, version="1.0.3")
    about = lrs.about()
    assert about.success and "1.0.3" in about.content.version

    actor = tincan.Agent(name="Amina", mbox="mailto:amina@academy.example.org")
    activity = tincan.Activity(id=COURSE, definition=tincan.ActivityDefinition(
        name=tincan.LanguageMap({"en-US": "Crisis management"})))
    statements = [tincan.Statement(id=uuid.uuid4(), actor=actor, object=activity,
                                   verb=tincan.Verb(id=f"http://adlnet.gov/expapi/verbs/{verb}"))
                  for verb in ("attempted", "completed")]
    saved = lrs.save_statements(statements)
    assert saved.success, saved.response.data
    query = lrs.query_statements({"agent": actor, "verb": tincan.Verb(id="http://adlnet.gov/expapi/verbs/completed")})
    assert query.success
    [found] = query.content.statements
    assert found.id == statements[1].id and found.object.id == COURSE

    voiding = tincan.Statement(actor=actor, verb=tincan.Verb(id="http://adlnet.gov/expapi/verbs/voided"),
                               object=tincan.StatementRef(id=statements[0].id))
    assert lrs.save_statement(voiding).success
    assert not lrs.retrieve_statement(statements[0].id).success
    assert lrs.retrieve_voided_statement(statements[0].id).content.id == statements[0].id

    state = tincan.StateDocument(activity=activity, agent=actor, id="resume", content='{"page": 4}',
                                 content_type="application/json")
    assert lrs.save_state(state).success
    back = lrs.retrieve_state(activity, actor, "resume")
    assert back.success and bytes(back.content.content) == b'{"page": 4}'
    assert back.response.getheader("ETag").startswith('"')
    assert lrs.retrieve_state_ids(activity, actor).content == ["resume"]
    assert lrs.delete_state(back.content).success
    assert lrs.retrieve_state_ids(activity, actor).content == []

    profile = tincan.ActivityProfileDocument(activity=activity, id="glossary", content='{"terms": 12}',
                                             content_type="application/json")
    profile.etag = None
    assert lrs.save_activity_profile(profile).success  # a new document: no precondition needed
    assert lrs.retrieve_activity_profile_ids(activity).content == ["glossary"]
