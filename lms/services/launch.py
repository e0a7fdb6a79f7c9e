"""Launching a self-paced module the cmi5 way.

The LMS makes a session, writes ``LMS.LaunchData`` in the State API and
records ``launched``; the module is opened with ``endpoint``, ``fetch``,
``actor``, ``registration`` and ``activityId``.  The module POSTs once to the
fetch URL and gets an auth-token: an LRS key that acts only as the learner and
expires after ``LAUNCH_KEY_DAYS``, so that what a learner did offline can still
be sent days later.  A second fetch is refused (cmi5 error code 1).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import uuid

from sqlalchemy.orm import Session

from authoring import model
from xapi import credentials, documents
from xapi import statements as xs
from xapi.store import store_statements

from ..models import Enrolment, Launch, utcnow
from .learning import Learner, authority, cohort_activity, course_activity, module_activity

SESSION_ID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
LAUNCH_MODE = "https://w3id.org/xapi/cmi5/context/extensions/launchmode"
LAUNCH_URL = "https://w3id.org/xapi/cmi5/context/extensions/launchurl"
MOVE_ON = "https://w3id.org/xapi/cmi5/context/extensions/moveon"
MASTERY_SCORE = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
LAUNCH_DATA = "LMS.LaunchData"
#: The State API document that keeps where a learner is in a module: ``{"page": "<page id>"}``.
BOOKMARK = "passerelle.bookmark"
#: What an auth-token's key may do: what a signed-in learner may do, as them.
LEARNER_SCOPES = ["statements/write", "statements/read/mine", "state"]


class FetchRefused(Exception):
    """A fetch URL used twice, or unknown: cmi5's error code and text."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code, self.text = code, text


def move_on(module: model.Module) -> str:
    """The module's rule for moving on, in cmi5's words."""
    return "CompletedAndPassed" if module.quiz is not None else "Completed"


def launch_data(course: model.Course, module: model.Module, session_id: str, return_url: str,
                learner: Learner | None = None) -> dict:
    """Return the ``LMS.LaunchData`` document of a session; its context template names the learner's cohort."""
    grouping = [activity.as_version(xs.VERSION) for activity in _grouping(course, learner)]
    data = {
        "contextTemplate": {
            "contextActivities": {"grouping": grouping},
            "extensions": {SESSION_ID: session_id},
        },
        "launchMode": "Normal",
        "returnURL": return_url,
        "moveOn": move_on(module),
    }
    if module.quiz is not None:
        data["masteryScore"] = module.quiz.pass_mark
    return data


def start(session: Session, learner: Learner, enrolment: Enrolment, course: model.Course, module: model.Module,
          launch_url: str, return_url: str) -> tuple[Launch, str]:
    """Open a session: write its launch data, record ``launched``; return it and its fetch secret."""
    secret = secrets.token_urlsafe(32)
    launch = Launch(id=str(uuid.uuid4()), enrolment=enrolment, module=module.slug, fetch_hash=_hash(secret))
    session.add(launch)
    key = documents.DocumentKey("state", module.iri, learner.key, learner.registration, LAUNCH_DATA)
    content = json.dumps(launch_data(course, module, launch.id, return_url, learner)).encode()
    documents.put(session, key, content, "application/json")
    statement = xs.build(learner.agent, "launched", module_activity(course, module), language=learner.language,
                         registration=learner.registration, grouping=_grouping(course, learner))
    context = statement["context"]
    context["contextActivities"]["category"] = [{"id": CMI5_CATEGORY, "objectType": "Activity"}]
    context["extensions"] = {SESSION_ID: launch.id, LAUNCH_MODE: "Normal", LAUNCH_URL: launch_url,
                             MOVE_ON: move_on(module)}
    store_statements(session, [statement], authority(learner.home_page))
    session.flush()
    return launch, secret


def _grouping(course: model.Course, learner: Learner | None) -> list:
    """The course, and the learner's cohort when they are in one."""
    cohort = cohort_activity(learner) if learner else None
    return [course_activity(course), cohort] if cohort else [course_activity(course)]


def fetch(session: Session, launch_id: str, secret: str, home_page: str, days: int) -> str:
    """Give a session's auth-token, once; raise :class:`FetchRefused` after that or for a wrong secret."""
    launch = session.get(Launch, launch_id)
    if launch is None or not hmac.compare_digest(launch.fetch_hash, _hash(secret)):
        raise FetchRefused("3", "this is not a fetch URL the platform gave")
    if launch.fetched is not None:
        raise FetchRefused("1", "this fetch URL was already used; launch the module again")
    agent = xs.account_agent(home_page, launch.enrolment.user.actor_id).as_version(xs.VERSION)
    credential, key_secret = credentials.create_credential(
        session, f"Launch {launch.id}", LEARNER_SCOPES, agent=agent,
        expires=utcnow() + dt.timedelta(days=days))
    launch.fetched, launch.credential_key = utcnow(), credential.key
    session.flush()
    return credentials.token(credential.key, key_secret)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def bookmark_state(learner: Learner, module: model.Module, page: model.Page) -> dict:
    """The State API request that keeps a page as the learner's place in the module: its parameters and document."""
    return {"params": {"activityId": module.iri, "agent": json.dumps(learner.agent.as_version(xs.VERSION)),
                       "registration": learner.registration, "stateId": BOOKMARK},
            "document": {"page": page.id}}


def save_bookmark(session: Session, learner: Learner, module: model.Module, page: model.Page) -> None:
    """Keep a page as the learner's place in the module (what the player does itself when it runs)."""
    documents.put(session, _bookmark_key(learner, module), json.dumps({"page": page.id}).encode(), "application/json")


def bookmark(session: Session, learner: Learner, module: model.Module) -> model.Page | None:
    """The page where the learner stopped in the module, if one is kept and the module still has it."""
    document = documents.get(session, _bookmark_key(learner, module))
    try:
        page_id = json.loads(document.content)["page"] if document else None
    except (ValueError, TypeError, KeyError):
        return None  # the document is the learner's own: whatever it holds, it is no place
    return module.page(page_id) if isinstance(page_id, str) else None


def _bookmark_key(learner: Learner, module: model.Module) -> documents.DocumentKey:
    return documents.DocumentKey("state", module.iri, learner.key, learner.registration, BOOKMARK)
