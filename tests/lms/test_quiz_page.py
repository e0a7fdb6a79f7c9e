"""The quiz page: each question's instruction said once, and what it says once the learner has passed."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask import render_template

from authoring import model
from authoring.markdown import Fallback
from conftest import csrf_token
from learning_helpers import answers

MODULE = "/courses/crisis-management/modules/consular-crisis-response"
REGISTRATION_MODULE = "/courses/crisis-management/modules/registration-contingency"


def legend(page: str, question: str) -> str:
    """The text of a question's legend on the quiz page."""
    found = re.search(rf'<fieldset id="q-{question}"[^>]*>\s*<legend[^>]*>(.*?)</legend>', page, re.S)
    assert found, f"no question {question}"
    return re.sub(r"<[^>]+>", "", found[1])


@pytest.mark.parametrize("language, said, hint", [
    ("en", "Choose every correct answer.", "(choose every correct answer)"),
    ("fr", "Choisissez toutes les bonnes réponses.", "(cochez toutes les bonnes réponses)"),
])
def test_a_question_that_says_choose_every_answer_is_not_told_it_again(client, auth, enrolled, language, said, hint):
    auth.login("learner")
    client.get(f"/courses/?lang={language}")
    text = legend(client.get(f"{MODULE}/quiz").get_data(as_text=True), "registration-value")
    assert text.endswith(said) and hint not in text


def test_a_question_whose_last_sentence_opens_with_the_verb_is_not_told_it_again(client, auth, prerequisites_done):
    auth.login("learner")
    text = legend(client.get(f"{REGISTRATION_MODULE}/quiz").get_data(as_text=True), "fields")
    assert "Choose every one" in text and "(choose every correct answer)" not in text


def test_a_reader_of_another_language_gets_the_instruction_in_theirs_beside_english_left_untranslated(
        client, auth, enrolled):
    auth.login("learner")
    client.get("/courses/?lang=ar")
    text = legend(client.get(f"{MODULE}/quiz").get_data(as_text=True), "registration-value")
    assert "Choose every correct answer." in text and "(اختر كل الإجابات الصحيحة)" in text


def quiz_page(app, prompt: str = "Which of these are consular tasks?", **context) -> str:
    """The quiz page of a one-question module, rendered as the player renders it."""
    question = model.Question(id="tasks", prompt=prompt, kind=model.MULTIPLE_CHOICE,
                              options=[model.Option("Registering nationals", True), model.Option("Issuing visas",
                                                                                                   True)])
    module = model.Module(slug="m", iri="https://example.test/m", type=model.SELF_PACED, title="Module",
                          duration=5, quiz=model.Quiz(title="Check", questions=[question], pass_mark=0.5,
                                                      attempts=3))
    with app.test_request_context("/"):
        return render_template("player/quiz.html", **{
            "course": SimpleNamespace(slug="c"), "module": module, "fallback": Fallback(), "responses": {},
            "missing": [], "xapi": {}, "attempts_left": 2, **context})


def test_a_question_that_does_not_say_it_is_told_to_choose_every_correct_answer(app):
    assert legend(quiz_page(app), "tasks").endswith("Which of these are consular tasks? (choose every correct answer)")
    said = legend(quiz_page(app, "Which of these are consular tasks? Select every correct answer."), "tasks")
    assert said.endswith("Select every correct answer.") and "(choose" not in said


def test_before_passing_the_attempts_left_are_counted(app):
    page = quiz_page(app, passed=False)
    assert "Attempts left: 2" in page and "passed this quiz" not in page


def test_once_passed_no_attempt_is_counted_as_if_another_were_needed(app):
    page = quiz_page(app, passed=True)
    assert "Attempts left" not in page
    assert "You have passed this quiz. You may answer it again if you wish." in page
    assert '<form method="post" class="quiz">' in page  # answering again stays possible, as a choice
    spent = quiz_page(app, passed=True, attempts_left=0)
    assert "You have passed this quiz.</p>" in spent and "again" not in spent
    assert "used every attempt" not in spent and '<form method="post" class="quiz">' not in spent


# The quiz page after the LMS has graded an attempt: the learner's progress, read back from its statements.

def submit(client, course, wrong: int = 0):
    """Answer the module's quiz through its form, every question right but the first ``wrong`` ones."""
    quiz = course.current.model.module("consular-crisis-response").quiz
    form = {f"q-{question}": given for question, given in answers(quiz, wrong).items()}
    return client.post(f"{MODULE}/quiz", data={"csrf_token": csrf_token(client, f"{MODULE}/quiz"), **form})


def test_once_the_lms_has_graded_a_pass_the_quiz_page_says_so_instead_of_counting_attempts(
        client, auth, enrolled, course):
    auth.login("learner")
    assert "Attempts left: 3" in client.get(f"{MODULE}/quiz").get_data(as_text=True)
    result = submit(client, course).get_data(as_text=True)
    assert "<h1>Passed</h1>" in result
    page = client.get(f"{MODULE}/quiz").get_data(as_text=True)
    assert "Attempts left" not in page
    assert "You have passed this quiz. You may answer it again if you wish." in page
    assert '<form method="post" class="quiz">' in page


def test_a_learner_who_failed_still_sees_the_attempts_left(client, auth, enrolled, course):
    auth.login("learner")
    result = submit(client, course, wrong=3).get_data(as_text=True)
    assert "<h1>Not passed yet</h1>" in result
    page = client.get(f"{MODULE}/quiz").get_data(as_text=True)
    assert "Attempts left: 2" in page and "passed this quiz" not in page
