"""Build statements with tincan's statement model.

Learners are identified by an ``account`` (the platform's home page and an
opaque id), never by an e-mail address.  Language travels in
``context.language`` so that activity ids stay the same in every language.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from tincan import (
    Activity,
    ActivityDefinition,
    ActivityList,
    Agent,
    AgentAccount,
    Context,
    ContextActivities,
    InteractionComponent,
    InteractionComponentList,
    LanguageMap,
    Result,
    Score,
    Statement,
    Verb,
)

from . import VERSION

ADL = "http://adlnet.gov/expapi/verbs/"

#: The verbs the platform uses, by name.
VERBS = {name: ADL + name for name in (
    "experienced", "answered", "responded", "attempted", "passed", "failed", "completed", "registered",
    "launched", "initialized", "terminated",
)}

#: Activity types, from the ADL vocabulary.
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "module": "http://adlnet.gov/expapi/activities/module",
    "page": "http://activitystrea.ms/schema/1.0/page",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "question": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "survey": "http://id.tincanapi.com/activitytype/survey",
    "scenario": "http://adlnet.gov/expapi/activities/simulation",
}


#: The time statements built now say they happened at, when something records the past (see :func:`recorded_at`).
_MOMENT: ContextVar[dt.datetime | None] = ContextVar("statement_moment", default=None)


@contextmanager
def recorded_at(moment: dt.datetime) -> Iterator[None]:
    """Build statements as if at ``moment`` (aware): what a demonstration or an import of past records needs."""
    token = _MOMENT.set(moment)
    try:
        yield
    finally:
        _MOMENT.reset(token)


def account_agent(home_page: str, name: str) -> Agent:
    """Return an agent identified by an account on ``home_page``."""
    return Agent(account=AgentAccount(home_page=home_page, name=name))


def activity(iri: str, kind: str, name: str, language: str = "en") -> Activity:
    """Return an activity with a type from :data:`ACTIVITY_TYPES` and a name."""
    return Activity(id=iri, definition=ActivityDefinition(type=ACTIVITY_TYPES[kind],
                                                          name=LanguageMap({language: name})))


def interaction(iri: str, prompt: str, language: str, interaction_type: str,
                scale: list[tuple[str, str]] = ()) -> Activity:
    """Return a cmi.interaction activity, e.g. a Likert item with its scale as ``(id, label)`` pairs."""
    definition = ActivityDefinition(type=ACTIVITY_TYPES["question"], name=LanguageMap({language: prompt}),
                                    interaction_type=interaction_type)
    if scale:
        definition.scale = InteractionComponentList(
            [InteractionComponent(id=key, description=LanguageMap({language: label})) for key, label in scale])
    return Activity(id=iri, definition=definition)


def build(actor: Agent, verb: str, obj: Activity, *, language: str, registration: str | None = None,
          parents: list[Activity] = (), grouping: list[Activity] = (), result: Result | None = None,
          timestamp: dt.datetime | None = None) -> dict:
    """Return a new statement (with its id) as JSON-ready data."""
    context = Context(language=language, registration=registration)
    if parents or grouping:
        context.context_activities = ContextActivities(
            parent=ActivityList(list(parents)) if parents else None,
            grouping=ActivityList(list(grouping)) if grouping else None,
        )
    statement = Statement(
        id=uuid.uuid4(),
        actor=actor,
        verb=Verb(id=VERBS[verb], display=LanguageMap({"en-US": verb})),
        object=obj,
        context=context,
        result=result,
        timestamp=timestamp or _MOMENT.get() or dt.datetime.now(dt.timezone.utc),
    )
    return json.loads(statement.to_json(VERSION))


def score_result(raw: float, maximum: float, success: bool | None = None, completion: bool | None = None,
                 response: str | None = None) -> Result:
    """Return a result with a raw and a scaled score."""
    scaled = raw / maximum if maximum else 0.0
    return Result(score=Score(raw=raw, min=0, max=maximum, scaled=round(scaled, 4)),
                  success=success, completion=completion, response=response)


def completion_result(success: bool | None = True, response: str | None = None) -> Result:
    """Return the result of finishing an activity that has no score."""
    return Result(success=success, completion=True, response=response)


def answer_result(response: str, success: bool | None = None) -> Result:
    """Return the result of one answered question (ungraded when ``success`` is None)."""
    return Result(response=response, success=success)
