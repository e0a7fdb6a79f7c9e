"""Studying as a learner does, through the LMS's services: the shared steps of tests that need a learner to
finish modules or a whole course."""

from __future__ import annotations

from authoring.quiz import is_correct
from lms.services import learning

#: The modules whose completion completes the sample course (its course.yaml's completion rules).
SAMPLE_COMPLETION = ("consular-crisis-response", "registration-contingency", "families-and-media",
                     "migrants-in-crisis")


def answers(quiz, wrong: int = 0) -> dict[str, list[str]]:
    """Right answers to every question of a quiz but the first ``wrong`` ones."""
    responses = {}
    for index, q in enumerate(quiz.questions):
        if q.options:
            responses[q.id] = [str(i) for i, o in enumerate(q.options) if o.correct != (index < wrong)]
        else:
            responses[q.id] = [q.answers[0] if q.answers else f"{q.number:g}"]
            if index < wrong:
                responses[q.id] = ["something else"]
        assert is_correct(q, responses[q.id]) == (index >= wrong)
    return responses


def finish(db, learner, course, slug, wrong: int = 0, commit: bool = True) -> None:
    """Read every page, play every scenario to an end and pass the quiz of a module (and commit, unless not)."""
    module = course.module(slug)
    for page in module.pages:
        learning.record_page_view(db, learner, course, module, page)
    for scenario in module.scenarios:
        learning.record_scenario(db, learner, course, module, scenario, ["alert", "wardens", "shelter"])
    if module.quiz:
        responses = answers(module.quiz, wrong)
        learning.record_quiz(db, learner, course, module, responses, learning.grade_quiz(module.quiz, responses))
    if commit:
        db.commit()


def finish_course(db, learner, course) -> None:
    """Finish every module the sample course's completion rules ask for, which completes the course."""
    for slug in SAMPLE_COMPLETION:
        finish(db, learner, course, slug)
