"""Quizzes: read ``:::: quiz`` blocks into the model, and check a learner's answers.

Syntax (see docs/authoring.md)::

    :::: quiz attempts=3 Check your understanding
    ::: question #id single|multiple|true-false|text|number points=N
    The question.

    - [x] A right answer
      > Feedback shown to a learner who picks it.
    - [ ] A wrong answer

    answer: accepted text, or 72, or 72 ± 2     (text, number, true-false)

    > Explanation shown after the learner has answered.
    :::
    ::::
"""

from __future__ import annotations

import re

from . import model, nodes
from .problems import Problems

_CHOICE = re.compile(r"^\[([ xX])\]\s+(.+)$", re.S)
_ANSWER = re.compile(r"^answer:\s*(.+)$", re.I)
_NUMBER = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:(?:±|\+-|\+/-)\s*(\d+(?:[.,]\d+)?))?\s*$")
_TRUE, _FALSE = "true", "false"
MAX_RESPONSE = 1000  # characters of a text answer that are kept


def read_quiz(node, pass_mark: float, path: str, problems: Problems, lines: list[str],
              graded: str = model.DEVICE) -> model.Quiz:
    """Read a ``:::: quiz`` container and its questions; the pass mark and who grades come from the front matter."""
    settings, words = nodes.split_settings(nodes.container_info(node, "quiz"))
    quiz = model.Quiz(title=" ".join(words) or model.DEFAULT_QUIZ_TITLE, questions=[], pass_mark=pass_mark,
                      line=nodes.line(node), graded=graded)
    for key, value in settings.items():
        if key == "attempts" and value.isdigit():
            quiz.attempts = int(value)
        else:
            problems.error(path, quiz.line, f"unknown quiz setting {key}={value}",
                           "use attempts=N (N a whole number; 0 for no limit)")
    for child in node.children:
        if child.type != "container_question":
            problems.error(path, nodes.line(child), "only '::: question' blocks may appear inside a quiz",
                           "wrap the text in '::: question' ... ':::'")
            continue
        quiz.questions.append(read_question(child, len(quiz.questions) + 1, path, problems, lines))
    if not quiz.questions:
        problems.error(path, quiz.line, "the quiz has no questions", "add '::: question' blocks inside it")
    ids = [q.id for q in quiz.questions]
    for q in quiz.questions:
        if ids.count(q.id) > 1:
            problems.error(path, q.line, f"question id {q.id!r} is used twice in the quiz",
                           "give each question its own #id")
    return quiz


def read_question(node, number: int, path: str, problems: Problems, lines: list[str]) -> model.Question:
    """Read one ``::: question`` container."""
    line = nodes.line(node)
    question = model.Question(id=f"q{number}", prompt="", kind="", line=line)
    settings, words = nodes.split_settings(nodes.container_info(node, "question"))
    for word in words:
        if nodes.word_id(word):
            question.id = nodes.word_id(word)
        elif word in model.QUESTION_KINDS:
            question.kind = word
        else:
            problems.error(path, line, f"unknown question setting {word!r}",
                           f"use #id, points=N or a kind: {', '.join(model.QUESTION_KINDS)}")
    for key, value in settings.items():
        if key == "points" and value.isdigit() and int(value) > 0:
            question.points = int(value)
        else:
            problems.error(path, line, f"unknown question setting {key}={value}", "use points=N (N at least 1)")

    prompt, answers = [], []
    for child in node.children:
        text = nodes.inline_text(child) if child.type == "paragraph" else ""
        if child.type == "paragraph" and _ANSWER.match(text.split("\n", 1)[0]):
            for offset, part in enumerate(text.splitlines()):
                match = _ANSWER.match(part)
                if match:
                    answers.append((match[1].strip(), nodes.line(child) + offset))
                else:
                    problems.error(path, nodes.line(child) + offset, "a line among answers does not start with "
                                   "'answer:'", "put one 'answer: ...' per line, or a blank line before other text")
        elif child.type == "paragraph" and not question.options and not answers:
            prompt.append(text)
        elif child.type == "bullet_list" and not question.options:
            question.options = _read_options(child, path, problems, lines)
        elif child.type == "blockquote" and not question.feedback:
            question.feedback = nodes.blockquote_source(child, lines)
        else:
            problems.error(path, nodes.line(child), "unexpected content in a question",
                           "a question is its text, then answers, then an optional '> explanation'")
    question.prompt = "\n".join(prompt)
    if not question.prompt:
        problems.error(path, line, "the question has no text", "write the question above its answers")
    if not question.kind:
        correct = sum(o.correct for o in question.options)
        question.kind = model.MULTIPLE_CHOICE if correct > 1 else model.SINGLE_CHOICE
    _check_answers(question, answers, path, problems)
    return question


def _read_options(node, path, problems, lines) -> list[model.Option]:
    options = []
    for item in node.children:
        match = _CHOICE.match(nodes.item_text(item))
        if not match:
            problems.error(path, nodes.line(item), "an answer must start with [x] (correct) or [ ] (wrong)",
                           "write '- [x] right answer' or '- [ ] wrong answer'")
            continue
        feedback = next((nodes.blockquote_source(c, lines) for c in item.children if c.type == "blockquote"), "")
        options.append(model.Option(match[2].strip(), match[1] != " ", feedback, nodes.line(item)))
    return options


def _check_answers(question: model.Question, answers: list[tuple[str, int]], path, problems) -> None:
    """Validate the answer key of a question for its kind, filling the model."""
    kind, line = question.kind, question.line
    if kind in (model.SINGLE_CHOICE, model.MULTIPLE_CHOICE):
        if answers:
            problems.error(path, answers[0][1], "'answer:' lines are for text, number and true-false questions",
                           "mark the right options with [x] instead")
        correct = sum(o.correct for o in question.options)
        if len(question.options) < 2:
            problems.error(path, line, "a question needs at least two answers")
        elif correct == 0:
            problems.error(path, line, "the question has no correct answer", "mark the right answer with [x]")
        elif kind == model.SINGLE_CHOICE and correct > 1:
            problems.error(path, line, "a single-choice question has several correct answers",
                           "mark one answer with [x], or write '::: question multiple'")
        return
    if question.options:
        problems.error(path, question.options[0].line, f"a {kind} question has no list of options",
                       "give the answer on an 'answer:' line")
        question.options = []
    if not answers:
        problems.error(path, line, f"the {kind} question has no answer", "add a line 'answer: ...'")
        return
    if kind == model.TRUE_FALSE:
        value, answer_line = answers[0]
        if value.lower() not in (_TRUE, _FALSE) or len(answers) > 1:
            problems.error(path, answer_line, f"a true-false answer must be 'true' or 'false', not {value!r}")
        question.options = [model.Option(model.TRUE_LABEL, value.lower() == _TRUE),
                            model.Option(model.FALSE_LABEL, value.lower() == _FALSE)]
    elif kind == model.NUMERIC:
        value, answer_line = answers[0]
        match = _NUMBER.match(value)
        if not match or len(answers) > 1:
            problems.error(path, answer_line, f"a number answer must read like '72' or '72 ± 2', not {value!r}")
            return
        question.number = float(match[1].replace(",", "."))
        question.tolerance = float(match[2].replace(",", ".")) if match[2] else 0.0
    else:
        question.answers = [value for value, _ in answers]


def normalise_text(text: str) -> str:
    """Compare short answers without regard to case or extra spaces."""
    return " ".join(text.casefold().split())


def parse_number(text: str) -> float | None:
    """Read a learner's number, accepting a decimal comma; None if it is not one."""
    try:
        return float(text.strip().replace(" ", "").replace(",", "."))
    except ValueError:
        return None


def whole_number(text: str, below: int) -> int | None:
    """The number ``text`` writes in the digits 0-9 if it is under ``below`` (an option's index); None otherwise.

    Other digits that ``str.isdigit`` accepts (``²``) and numbers too long to read are no number here.
    """
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(below)):
        return None
    number = int(text)
    return number if number < below else None


def is_answered(response: list[str]) -> bool:
    """Tell whether a learner gave an answer at all."""
    return any(value.strip() for value in response)


def is_correct(question: model.Question, response: list[str]) -> bool:
    """Check a learner's response: option indexes for choices, one text otherwise."""
    if question.kind in model.CHOICE_KINDS:
        chosen = {whole_number(v, len(question.options)) for v in response} - {None}
        return chosen == {i for i, option in enumerate(question.options) if option.correct}
    given = response[0] if response else ""
    if question.kind == model.NUMERIC:
        number = parse_number(given)
        return number is not None and question.number is not None and \
            abs(number - question.number) <= question.tolerance + 1e-9
    return normalise_text(given) in {normalise_text(a) for a in question.answers}


def answer_key(question: model.Question) -> dict:
    """What a device needs to grade a question as :func:`is_correct` does, without the network.

    Choices give the indexes of the right options; text answers come
    normalised by :func:`normalise_text`; numbers with their tolerance.
    """
    key = {"id": question.id, "kind": question.kind, "points": question.points}
    if question.kind in model.CHOICE_KINDS:
        key["correct"] = [i for i, option in enumerate(question.options) if option.correct]
    elif question.kind == model.NUMERIC:
        key["number"], key["tolerance"] = question.number, question.tolerance
    else:
        key["answers"] = sorted({normalise_text(a) for a in question.answers})
    return key


def feedback_for(question: model.Question, response: list[str]) -> list[str]:
    """Return the feedback (Markdown) a learner sees for their response."""
    out = []
    if question.kind in model.CHOICE_KINDS:
        for value in response:
            index = whole_number(value, len(question.options))
            if index is not None and question.options[index].feedback:
                out.append(question.options[index].feedback)
    if question.feedback:
        out.append(question.feedback)
    return out
