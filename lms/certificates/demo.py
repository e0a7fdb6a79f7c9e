"""The demonstration's graduate: one demo learner studies the course through, so that the demo shows a completed
course, its certificate, the verification page and the signed credential."""

from __future__ import annotations

from collections.abc import Collection

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


def finish_module(session: Session, learner: learning.Learner, course: model.Course, module: model.Module,
                  wrong: Collection[str] = ()) -> None:
    """Read every page, play every scenario to its first end and take the quiz of a module, as a learner would:
    passing it, unless answering the questions ``wrong`` names wrongly fails it."""
    for page in module.pages:
        learning.record_page_view(session, learner, course, module, page)
    for scenario in module.scenarios:
        learning.record_scenario(session, learner, course, module, scenario, first_walk(scenario))
    if module.quiz is not None:
        take_quiz(session, learner, course, module, wrong)


def take_quiz(session: Session, learner: learning.Learner, course: model.Course, module: model.Module,
              wrong: Collection[str] = ()) -> learning.QuizResult:
    """Answer every question of the module's quiz, rightly but for those ``wrong`` names; return the graded attempt."""
    responses = {question.id: wrong_answer(question) if question.id in wrong else right_answer(question)
                 for question in module.quiz.questions}
    result = learning.grade_quiz(module.quiz, responses)
    learning.record_quiz(session, learner, course, module, responses, result)
    return result


def first_walk(scenario: model.Scenario) -> list[str]:
    """The steps met by always taking the first choice, up to an end (or a step already met)."""
    path, step = [], scenario.steps[0]
    while step is not None and step.id not in path:
        path.append(step.id)
        step = scenario.step(step.choices[0].goto) if step.choices else None
    return path


def right_answer(question: model.Question) -> list[str]:
    if question.options:
        return [str(index) for index, option in enumerate(question.options) if option.correct]
    return [question.answers[0] if question.answers else f"{question.number:g}"]


def wrong_answer(question: model.Question) -> list[str]:
    """A plausible mistake: a wrong option (or one right option missed), a number off, a text nobody accepts."""
    if question.options:
        right = [index for index, option in enumerate(question.options) if option.correct]
        others = [index for index, option in enumerate(question.options) if not option.correct]
        if question.kind == model.MULTIPLE_CHOICE and len(right) > 1:
            return [str(index) for index in right[:-1]]
        return [str(others[0] if others else right[0])]
    if question.number is not None:
        return [f"{question.number + question.tolerance + 1:g}"]
    return ["I am not sure"]
