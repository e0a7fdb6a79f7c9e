"""Statements: validation, voiding, references, query filters, formats, scopes."""

from __future__ import annotations

import datetime as dt

import pytest
from lrs_helpers import ACTOR, Lrs, make_key, new_id, statement
from xapi import statements as xs
from xapi import store

GROUP = {"objectType": "Group", "name": "Crisis cell",
         "member": [{"mbox": "mailto:amina@academy.example.org"}, {"mbox": "mailto:jonas@academy.example.org"}]}
AMINA = {"objectType": "Agent", "mbox": "mailto:amina@academy.example.org"}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@pytest.mark.parametrize("change, field", [
    ({"actor": {"mbox": "amina@academy.example.org"}}, "actor.mbox"),
    ({"actor": {"mbox_sha1sum": "abc"}}, "actor.mbox_sha1sum"),
    ({"actor": {"account": {"homePage": "lms", "name": "u1"}}}, "actor.account.homePage"),
    ({"actor": {"objectType": "Group", "member": [GROUP]}}, "actor.member[0]"),
    ({"verb": {"id": "http://x.test/v", "display": {"not a tag!": "x"}}}, "verb.display key"),
    ({"object": {"id": "http://x.test/a", "definition": {"interactionType": "essay"}}},
     "object.definition.interactionType"),
    ({"object": {"id": "http://x.test/a", "definition": {"interactionType": "true-false",
                                                          "choices": [{"id": "a"}]}}},
     "object.definition.choices"),
    ({"object": {"id": "http://x.test/a", "definition": {"interactionType": "choice",
                                                          "choices": [{"id": "a"}, {"id": "a"}]}}},
     "object.definition.choices[1].id"),
    ({"object": {"objectType": "SubStatement", "actor": ACTOR, "verb": {"id": "http://x.test/v"},
                 "object": {"objectType": "SubStatement"}}}, "SubStatement inside a SubStatement"),
    ({"result": {"score": {"scaled": 1.5}}}, "result.score.scaled"),
    ({"result": {"score": {"raw": 11, "min": 0, "max": 10}}}, "result.score.raw"),
    ({"result": {"duration": "P4W1D"}}, "result.duration"),
    ({"result": {"success": "yes"}}, "result.success"),
    ({"context": {"registration": "42"}}, "context.registration"),
    ({"context": {"team": AMINA}}, "context.team"),
    ({"context": {"extensions": {"not an iri": 1}}}, "context.extensions key"),
    ({"object": {"objectType": "Agent", "mbox": "mailto:a@b.test"}, "context": {"platform": "web"}},
     "context.platform"),
    ({"timestamp": "2026-03-01T09:30:00-00:00"}, "timestamp"),
    ({"timestamp": "01/03/2026"}, "timestamp"),
    ({"authority": GROUP | {"member": GROUP["member"] * 2}}, "authority.member"),
    ({"version": "2.0.0"}, "version"),
    ({"colour": "blue"}, "statement.colour"),
    ({"result": {"response": None}}, "result.response may not be null"),
])
def test_malformed_fields_are_refused_with_their_path(lrs, change, field):
    response = lrs.post("statements", json_body=statement() | change)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["message"]
    assert lrs.query() == []


def test_extensions_may_hold_anything_even_null(lrs):
    extensions = {"https://academy.example.org/ext/office": None, "https://academy.example.org/ext/x": {}}
    [sid] = lrs.send(statement(context={"extensions": extensions}))
    assert lrs.get("statements", params={"statementId": sid}).get_json()["context"]["extensions"] == extensions


def test_what_the_lrs_adds_and_keeps(lrs):
    sent = statement(timestamp="2026-03-01T09:30:00.123456+01:00",
                     context={"contextActivities": {"parent": {"id": "https://academy.example.org/course"}}})
    [sid] = lrs.send(sent)
    got = lrs.get("statements", params={"statementId": sid}).get_json()
    assert got["version"] == "1.0.0"  # a statement sent without a version is a 1.0.0 statement
    assert got["timestamp"] == "2026-03-01T09:30:00.123456+01:00"  # precision and offset kept
    assert got["stored"].endswith("Z")
    assert got["context"]["contextActivities"]["parent"] == [{"id": "https://academy.example.org/course"}]
    assert got["authority"]["name"] == "test client"


def test_same_id_same_content_is_accepted_different_content_conflicts(lrs):
    sid = new_id()
    assert lrs.send(statement(id=sid)) == [sid]
    assert lrs.send(statement(id=sid.upper())) == [sid]
    response = lrs.post("statements", json_body=[statement(), statement(verb="completed", id=sid)])
    assert response.status_code == 409
    assert len(lrs.query()) == 1  # the batch's other statement was not stored either


def test_voiding(lrs):
    target = new_id()
    lrs.send(statement(id=target))
    voiding = statement(verb="voided") | {"object": {"objectType": "StatementRef", "id": target}}
    [voiding_id] = lrs.send(voiding)
    assert lrs.get("statements", params={"statementId": target}).status_code == 404
    assert lrs.get("statements", params={"voidedStatementId": target}).get_json()["id"] == target
    assert lrs.get("statements", params={"voidedStatementId": voiding_id}).status_code == 404
    assert [s["id"] for s in lrs.query()] == [voiding_id]
    # A voiding statement cannot itself be voided.
    again = statement(verb="voided") | {"object": {"objectType": "StatementRef", "id": voiding_id}}
    response = lrs.post("statements", json_body=again)
    assert response.status_code == 400 and "voiding statement" in response.get_json()["error"]["message"]
    not_a_ref = lrs.post("statements", json_body=statement(verb="voided"))
    assert not_a_ref.status_code == 400


def test_filters_include_statements_that_refer_to_a_match(lrs):
    verb = "http://adlnet.gov/expapi/verbs/attempted"
    target = new_id()
    lrs.send(statement(verb="attempted", id=target))
    [ref] = lrs.send(statement(verb="commented") | {"object": {"objectType": "StatementRef", "id": target}})
    lrs.send(statement(verb="commented"))
    assert [s["id"] for s in lrs.query(verb=verb, ascending="true")] == [target, ref]


def test_agent_filter_matches_actor_object_and_group_members(lrs):
    [as_actor] = lrs.send(statement() | {"actor": AMINA})
    [as_object] = lrs.send(statement(verb="mentored") | {"object": AMINA})
    [in_group] = lrs.send(statement() | {"actor": GROUP})
    [as_instructor] = lrs.send(statement(context={"instructor": AMINA}))
    lrs.send(statement())
    direct = {s["id"] for s in lrs.query(agent=AMINA)}
    assert direct == {as_actor, as_object, in_group}
    related = {s["id"] for s in lrs.query(agent=AMINA, related_agents="true")}
    assert related == {as_actor, as_object, in_group, as_instructor}


def test_activity_filter_and_related_activities(lrs):
    course = "https://academy.example.org/course"
    [direct] = lrs.send(statement(activity=course))
    [child] = lrs.send(statement(context={"contextActivities": {"parent": [{"id": course}]}}))
    [sub] = lrs.send(statement() | {"object": {"objectType": "SubStatement", "actor": ACTOR,
                                                "verb": {"id": "http://x.test/v"}, "object": {"id": course}}})
    assert {s["id"] for s in lrs.query(activity=course)} == {direct}
    assert {s["id"] for s in lrs.query(activity=course, related_activities="true")} == {direct, child, sub}


def test_registration_since_until_ascending_and_paging(lrs):
    registration = new_id()
    ids = [lrs.send(statement(context={"registration": registration}))[0] for _ in range(5)]
    lrs.send(statement())
    assert [s["id"] for s in lrs.query(registration=registration)] == ids[::-1]
    stored = [s["stored"] for s in lrs.query(registration=registration, ascending="true")]
    between = lrs.query(registration=registration, since=stored[1], until=stored[3], ascending="true")
    assert [s["id"] for s in between] == [i for i, t in zip(ids, stored, strict=True) if stored[1] < t <= stored[3]]
    assert ids[3] in [s["id"] for s in between]
    page = lrs.get("statements", params={"registration": registration, "limit": 2, "ascending": "true"}).get_json()
    seen = [s["id"] for s in page["statements"]]
    while page["more"]:
        page = lrs.client.get(page["more"], headers={"X-Experience-API-Version": "1.0.3"}, auth=lrs.auth).get_json()
        seen += [s["id"] for s in page["statements"]]
    assert seen == ids


@pytest.mark.parametrize("params", [
    {"foo": "bar"},
    {"StatementId": "x"},
    {"statementId": "3b3a9b86-6b1e-4a7e-9f0a-0c2c7b1f2a10", "verb": "http://x.test/v"},
    {"verb": "not an iri"},
    {"agent": "{nope"},
    {"agent": {"name": "no identifier"}},
    {"since": "yesterday"},
    {"limit": "ten"},
    {"format": "pretty"},
    {"ascending": "maybe"},
])
def test_bad_query_parameters_are_refused(lrs, params):
    response = lrs.get("statements", params=params)
    assert response.status_code == 400
    assert response.get_json()["error"]["message"]
    assert "X-Experience-API-Consistent-Through" in response.headers


def test_formats_ids_and_canonical(lrs):
    activity = {"id": "https://academy.example.org/a/9",
                "definition": {"name": {"en-US": "Registration", "fr-FR": "Enregistrement"}}}
    lrs.send(statement() | {"object": activity, "actor": AMINA | {"name": "Amina"},
                            "verb": {"id": "http://x.test/v", "display": {"en-US": "did", "fr-FR": "a fait"}}})
    # A later statement teaches the LRS the activity's Spanish name.
    lrs.send(statement() | {"object": {"id": activity["id"], "definition": {"name": {"es": "Registro"}}}})
    [_, first] = lrs.query(format="ids")
    assert first["actor"] == {"objectType": "Agent", "mbox": AMINA["mbox"]}
    assert first["object"] == {"id": activity["id"]} and first["verb"] == {"id": "http://x.test/v"}
    response = lrs.get("statements", params={"format": "canonical"}, headers={"Accept-Language": "fr-FR, en;q=0.5"})
    [_, canonical] = response.get_json()["statements"]
    assert canonical["verb"]["display"] == {"fr-FR": "a fait"}
    assert canonical["object"]["definition"]["name"] == {"fr-FR": "Enregistrement"}
    spanish = lrs.get("statements", params={"format": "canonical"}, headers={"Accept-Language": "es"})
    assert spanish.get_json()["statements"][1]["object"]["definition"]["name"] == {"es": "Registro"}
    exact = lrs.query()[1]
    assert exact["object"] == activity


def test_activities_and_agents_resources(lrs):
    iri = "https://academy.example.org/a/merged"
    lrs.send(statement() | {"object": {"id": iri, "definition": {"name": {"en-US": "Meeting"}}}},
             statement() | {"object": {"id": iri, "definition": {"name": {"fr-FR": "Réunion"}}}})
    activity = lrs.get("activities", params={"activityId": iri}).get_json()
    assert activity == {"objectType": "Activity", "id": iri,
                        "definition": {"name": {"en-US": "Meeting", "fr-FR": "Réunion"}}}
    assert lrs.get("activities", params={"activityId": "https://academy.example.org/never"}).status_code == 404
    assert lrs.get("activities").status_code == 400
    person = lrs.get("agents", params={"agent": AMINA | {"name": "Amina"}}).get_json()
    assert person == {"objectType": "Person", "name": ["Amina"], "mbox": [AMINA["mbox"]]}
    assert lrs.get("agents", params={"agent": {"name": "nobody"}}).status_code == 400


def test_an_interactions_components_gather_the_languages_learners_send_them_in(lrs):
    """Learners of a multilingual course each answer a survey item with its scale in their language: the
    activity's definition holds every language (it was the last one sent, and rewritten by each batch)."""
    iri = "https://academy.example.org/a/survey/clarity"

    def item(language, labels, ids=("1", "2")):
        return statement() | {"object": {"id": iri, "definition": {
            "interactionType": "likert", "name": {language: labels[0]},
            "scale": [{"id": i, "description": {language: label}} for i, label in zip(ids, labels[1:])]}}}

    lrs.send(item("en", ["Clear?", "No", "Yes"]), item("fr", ["Clair ?", "Non", "Oui"]))
    lrs.send(item("ru", ["Ясно?", "Нет", "Да"]))
    definition = lrs.get("activities", params={"activityId": iri}).get_json()["definition"]
    assert definition["name"] == {"en": "Clear?", "fr": "Clair ?", "ru": "Ясно?"}
    assert definition["scale"] == [{"id": "1", "description": {"en": "No", "fr": "Non", "ru": "Нет"}},
                                   {"id": "2", "description": {"en": "Yes", "fr": "Oui", "ru": "Да"}}]
    lrs.send(item("en", ["Clear?", "No", "Partly", "Yes"], ids=("1", "2", "3")))  # the item changed: its scale too
    definition = lrs.get("activities", params={"activityId": iri}).get_json()["definition"]
    assert definition["scale"] == [{"id": "1", "description": {"en": "No"}}, {"id": "2", "description": {"en": "Partly"}},
                                   {"id": "3", "description": {"en": "Yes"}}]


def test_the_last_mention_of_an_activity_in_a_batch_gives_its_definition_whatever_came_between(lrs):
    """A batch mentions an item as it was, as it became, then as it was again (devices that synchronised late):
    the last one wins, as if each statement had come alone, though the batch merges each definition once."""
    iri = "https://academy.example.org/a/survey/pace"

    def item(name, labels):
        return statement() | {"object": {"id": iri, "definition": {
            "interactionType": "likert", "name": {"en": name},
            "scale": [{"id": str(n), "description": {"en": label}} for n, label in enumerate(labels, 1)]}}}

    was, became = item("Pace?", ["Slow", "Fast"]), item("Was the pace right?", ["Slow", "Right", "Fast"])
    lrs.send(was, became, *[was, became] * 20, was)
    definition = lrs.get("activities", params={"activityId": iri}).get_json()["definition"]
    assert definition == was["object"]["definition"]
    lrs.send(was, became)
    definition = lrs.get("activities", params={"activityId": iri}).get_json()["definition"]
    assert definition == became["object"]["definition"]


def test_read_mine_sees_only_its_own_statements(app, client, lrs):
    [theirs] = lrs.send(statement())
    mine_key = make_key(app, "statements/write", "statements/read/mine", name="quiz tool")
    mine = Lrs(client, mine_key)
    [own] = mine.send(statement(verb="answered"))
    assert [s["id"] for s in mine.query()] == [own]
    assert mine.get("statements", params={"statementId": theirs}).status_code == 404
    assert {s["id"] for s in lrs.query()} == {own, theirs}


def test_scopes_guard_each_resource(app, client):
    writer = Lrs(client, make_key(app, "statements/write", name="sensor"))
    assert writer.post("statements", json_body=statement()).status_code == 200
    assert writer.get("statements").status_code == 403
    assert writer.get("activities/state", params={"activityId": "https://x.test/a", "agent": ACTOR}).status_code == 403


COURSE = "https://academy.example.org/course"


@pytest.mark.parametrize("params, count", [
    ({"agent": AMINA}, 6),
    ({"activity": COURSE, "related_activities": "true"}, 6),
    ({"agent": AMINA, "activity": COURSE, "related_activities": "true"}, 5),
])
@pytest.mark.parametrize("ascending", ["true", "false"])
def test_pages_of_filters_read_from_an_index_hold_each_match_once(lrs, params, count, ascending):
    parent = {"contextActivities": {"parent": [{"id": COURSE}]}}
    ids = [lrs.send(statement(context=parent) | {"actor": AMINA})[0] for _ in range(5)]
    lrs.send(statement(context=parent))  # not Amina's
    lrs.send(statement() | {"actor": AMINA})  # not in the course
    page = lrs.get("statements", params=params | {"limit": 2, "ascending": ascending}).get_json()
    seen = [s["id"] for s in page["statements"]]
    while page["more"]:
        page = lrs.client.get(page["more"], headers={"X-Experience-API-Version": "1.0.3"}, auth=lrs.auth).get_json()
        seen += [s["id"] for s in page["statements"]]
    assert len(seen) == len(set(seen)) == count
    assert seen == [s["id"] for s in lrs.query(**params, ascending=ascending)]
    both = [i for i in seen if i in ids]
    assert both == (ids if ascending == "true" else ids[::-1])


def test_statements_built_while_recording_the_past_carry_its_time():
    moment = dt.datetime(2026, 3, 29, 2, 30, tzinfo=dt.timezone.utc)
    agent = xs.account_agent("https://lms.example.test/", "u1")
    with xs.recorded_at(moment):
        past = xs.build(agent, "completed", xs.activity("https://academy.example.org/c", "course", "C"), language="en")
    now = xs.build(agent, "completed", xs.activity("https://academy.example.org/c", "course", "C"), language="en")
    assert dt.datetime.fromisoformat(past["timestamp"].replace("Z", "+00:00")) == moment
    assert dt.datetime.fromisoformat(now["timestamp"].replace("Z", "+00:00")) > moment


def test_what_listens_to_the_store_hears_a_gathered_block_once_and_a_failed_one_never(db):
    """A request storing a client's statements and then those derived from them lets the projections recompute
    once, in the transaction; a block that fails (its transaction to be rolled back) is heard of not at all."""
    heard = []

    def hear(_engine, session, records, voided):
        heard.append(([r["id"] for r in records], voided))

    authority = {"objectType": "Agent", "account": {"homePage": "https://lms.example.test/", "name": "lms"}}
    first, second, third = new_id(), new_id(), new_id()
    store.statements_stored.connect(hear)
    try:
        store.store_statements(db, [statement(id=first)], authority)
        assert heard == [([first], [])]  # alone, at once
        with store.gathered(db):
            store.store_statements(db, [statement(id=second)], authority)
            with store.gathered(db):
                store.store_statements(db, [statement(verb="voided", id=third,
                                                      object={"objectType": "StatementRef", "id": first})],
                                       authority)
            assert len(heard) == 1  # nothing yet, not even at the end of the inner block
        assert heard[1] == ([second, third], [first])
        with pytest.raises(store.StatementError), store.gathered(db):
            store.store_statements(db, [statement(id=new_id())], authority)
            store.store_statements(db, [{"verb": {"id": "http://x.test/v"}}], authority)
        assert len(heard) == 2
        db.rollback()
    finally:
        store.statements_stored.disconnect(hear)
    store.store_statements(db, [statement(id=new_id())], authority)  # the session gathers nothing any more
    assert len(heard) == 2
