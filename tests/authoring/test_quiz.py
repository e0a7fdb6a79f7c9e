"""Checking answers: each question kind, as the LMS grades them on the server."""

from __future__ import annotations

import pytest

from authoring import model
from authoring.quiz import feedback_for, is_answered, is_correct


def choice(kind, *flags, feedback=""):
    options = [model.Option(f"option {i}", flag, feedback=f"feedback {i}") for i, flag in enumerate(flags)]
    return model.Question(id="q", prompt="?", kind=kind, options=options, feedback=feedback)


@pytest.mark.parametrize("question, response, right", [
    (choice("single", False, True), ["1"], True),
    (choice("single", False, True), ["0"], False),
    (choice("single", False, True), ["7"], False),  # out of range
    (choice("single", False, True), ["\u00b9"], False),  # a digit to str.isdigit, and no number to int()
    (choice("single", False, True), ["\u0661"], False),  # an Arabic-Indic 1: options are numbered 0-9
    (choice("single", False, True), ["9" * 5000], False),  # longer than int() reads
    (choice("multiple", True, True, False), ["0", "1"], True),
    (choice("multiple", True, True, False), ["0"], False),
    (choice("multiple", True, True, False), ["0", "1", "2"], False),
    (choice("true-false", False, True), ["1"], True),
    (model.Question(id="q", prompt="?", kind="text", answers=["Wardens", "warden"]), ["  WARDENS "], True),
    (model.Question(id="q", prompt="?", kind="text", answers=["wardens"]), ["guards"], False),
    (model.Question(id="q", prompt="?", kind="number", number=2.0), ["2"], True),
    (model.Question(id="q", prompt="?", kind="number", number=2.0), ["2,0"], True),
    (model.Question(id="q", prompt="?", kind="number", number=2.0), ["two"], False),
    (model.Question(id="q", prompt="?", kind="number", number=72.0, tolerance=2.0), ["73.5"], True),
    (model.Question(id="q", prompt="?", kind="number", number=72.0, tolerance=2.0), ["74.5"], False),
])
def test_is_correct(question, response, right):
    assert is_correct(question, response) is right


def test_blank_responses_are_not_answers():
    assert not is_answered([]) and not is_answered(["  "]) and is_answered(["0"])


def test_feedback_is_the_chosen_options_then_the_explanation():
    question = choice("multiple", True, True, False, feedback="why")
    assert feedback_for(question, ["0", "2"]) == ["feedback 0", "feedback 2", "why"]
    assert feedback_for(question, ["\u00b2", "9" * 5000]) == ["why"]
