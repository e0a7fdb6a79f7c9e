"""Surveys: ungraded Likert statements and free-text questions, e.g. for satisfaction.

Syntax (see docs/authoring.md)::

    :::: survey How was this module?
    ::: item likert #useful
    The module was useful for my work.
    :::
    ::: item likert #pace
    The pace was

    - too slow
    - about right
    - too fast
    :::
    ::: item text #improve
    What would you change?
    :::
    ::::
"""

from __future__ import annotations

from . import model, nodes
from .problems import Problems


def read_survey(node, path: str, problems: Problems) -> model.Survey:
    """Read a ``:::: survey`` container and its items."""
    survey = model.Survey(title=nodes.container_info(node, "survey") or model.DEFAULT_SURVEY_TITLE, items=[], line=nodes.line(node))
    for child in node.children:
        if child.type != "container_item":
            problems.error(path, nodes.line(child), "only '::: item' blocks may appear inside a survey",
                           "wrap the text in '::: item likert' or '::: item text' ... ':::'")
            continue
        survey.items.append(_read_item(child, len(survey.items) + 1, path, problems))
    if not survey.items:
        problems.error(path, survey.line, "the survey has no items", "add '::: item likert' or '::: item text' blocks")
    ids = [item.id for item in survey.items]
    for item in survey.items:
        if ids.count(item.id) > 1:
            problems.error(path, item.line, f"survey item id {item.id!r} is used twice", "give each item its own #id")
    return survey


def _read_item(node, number: int, path: str, problems: Problems) -> model.SurveyItem:
    line = nodes.line(node)
    item = model.SurveyItem(id=f"i{number}", prompt="", kind="", line=line)
    for word in nodes.container_info(node, "item").split():
        if nodes.word_id(word):
            item.id = nodes.word_id(word)
        elif word in model.SURVEY_KINDS and not item.kind:
            item.kind = word
        else:
            problems.error(path, line, f"unknown survey item setting {word!r}",
                           f"use #id and a kind: {' or '.join(model.SURVEY_KINDS)}")
    if not item.kind:
        problems.error(path, line, "the survey item has no kind", "write '::: item likert' or '::: item text'")
        item.kind = model.FREE_TEXT
    prompt = []
    for child in node.children:
        if child.type == "paragraph" and not item.scale:
            prompt.append(nodes.inline_text(child))
        elif child.type in ("bullet_list", "ordered_list") and item.kind == model.LIKERT and not item.scale:
            item.scale = [nodes.item_text(entry) for entry in child.children]
        else:
            problems.error(path, nodes.line(child), "unexpected content in a survey item",
                           "a Likert item is a statement and an optional list of its scale; "
                           "a text item is only its question")
    item.prompt = "\n".join(prompt)
    if not item.prompt:
        problems.error(path, line, "the survey item has no text", "write the statement or question in the item")
    if item.kind == model.LIKERT:
        if not item.scale:
            item.scale = list(model.DEFAULT_LIKERT_SCALE)
        elif len(item.scale) < 2 or not all(item.scale):
            problems.error(path, line, "a Likert scale needs at least two points",
                           "list each point of the scale, or leave the list out for agree/disagree")
    return item
