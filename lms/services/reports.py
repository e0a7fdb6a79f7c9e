"""M&E figures computed from the statement store: completions and scores only as the LMS vouches for them."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from authoring import model
from xapi import statements as xs
from xapi.models import StatementRecord
from xapi.store import about_activity

from ..models import Course
from .catalog import count_enrolments
from .learning import quiz_score, vouched


@dataclass
class ModuleFigures:
    """One row of the M&E table."""

    module: model.Module
    enrolled: int
    started: int
    completed: int
    mean_score: float | None  # mean of each learner's best quiz score, 0..1
    scored: int  # learners with a quiz score


def module_figures(session: Session, course: Course, home_page: str) -> list[ModuleFigures]:
    """Return, per module of the course's current version, enrolment, starts, completions and the mean score.

    Completions and scores are those the LMS recorded under its authority (``home_page``'s): a
    device's own ``passed`` or ``completed`` is no result.
    """
    enrolled = count_enrolments(session, course)
    ours = vouched(home_page)
    rows = []
    for module in course.current.model.modules:
        in_module = about_activity(module.iri)
        live = StatementRecord.voided.is_(False)
        started = session.scalar(select(func.count(distinct(StatementRecord.actor_key))).where(live, in_module))
        completed = session.scalar(select(func.count(distinct(StatementRecord.actor_key))).where(
            live, ours, StatementRecord.object_id == module.iri, StatementRecord.verb_id == xs.VERBS["completed"]))
        best: dict[str, float] = {}
        if module.quiz is not None:
            results = session.execute(select(StatementRecord.actor_key, StatementRecord.data).where(
                live, ours, StatementRecord.object_id == module.quiz_iri,
                StatementRecord.verb_id.in_([xs.VERBS["passed"], xs.VERBS["failed"]])))
            for actor, data in results:
                scaled = quiz_score(json.loads(data))
                if scaled is not None:
                    best[actor] = max(scaled, best.get(actor, 0.0))
        mean = sum(best.values()) / len(best) if best else None
        rows.append(ModuleFigures(module, enrolled, started, completed, mean, len(best)))
    return rows
