"""The demonstration's graduate: one demo learner studies the course through, so that the demo shows a completed
course, its certificate, the verification page and the signed credential."""

from __future__ import annotations

from sqlalchemy.orm import Session

from authoring import model
from ..models import Enrolment
from ..services import learning
from .models import Certificate
from .services import certificate_for


def study_through(session: Session, enrolment: Enrolment, home_page: str) -> Certificate | None:
    """Read every page, play every scenario to its first end and pass every quiz of the modules the course's
    completion asks for, through the same services as the player; return the certificate this earns."""
    course = enrolment.course.current.model
    learner = learning.enrolled_learner(enrolment, course.text_language, home_page)
    for rule in course.completion:
        finish_module(session, learner, course, course.module(rule.module))
    return certificate_for(session, enrolment.user, enrolment.course)


def finish_module(session: Session, learner: learning.Learner, course: model.Course, module: model.Module) -> None:
    """Read every page, play every scenario to its first end and pass the quiz of a module, as a learner would."""
    for page in module.pages:
        learning.record_page_view(session, learner, course, module, page)
    for scenario in module.scenarios:
        learning.record_scenario(session, learner, course, module, scenario, _first_walk(scenario))
    if module.quiz is not None:
        responses = {question.id: _right_answer(question) for question in module.quiz.questions}
        learning.record_quiz(session, learner, course, module, responses, learning.grade_quiz(module.quiz, responses))


def _first_walk(scenario: model.Scenario) -> list[str]:
    """The steps met by always taking the first choice, up to an end (or a step already met)."""
    path, step = [], scenario.steps[0]
    while step is not None and step.id not in path:
        path.append(step.id)
        step = scenario.step(step.choices[0].goto) if step.choices else None
    return path


def _right_answer(question: model.Question) -> list[str]:
    if question.options:
        return [str(index) for index, option in enumerate(question.options) if option.correct]
    return [question.answers[0] if question.answers else f"{question.number:g}"]
