"""Branching scenarios: a case where each choice leads to a consequence and a next step.

Syntax (see docs/authoring.md)::

    ::::: scenario #valdoria Earthquake in Valdoria
    :::: step #alert
    What happens, and what the learner must decide.

    - [Call the crisis cell](#cell)
      > What follows from the choice, shown with the next step.
    - [Wait for news](#wait)
    ::::
    :::: step #cell outcome=success
    An end state: a step without choices.
    ::::
    :::: debrief
    Shown at every end.
    ::::
    :::::

The first step is where every learner starts; the path a learner takes is
recorded as the response of the scenario's statement.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

from . import model, nodes
from .problems import Problems

_CHOICE = re.compile(r"^\[(.+)\]\(#([^\s)]+)\)$", re.S)


def read_scenario(node, fallback_id: str, path: str, problems: Problems, lines: list[str],
                  check_block: Callable[[object], None]) -> model.Scenario:
    """Read a ``::::: scenario`` container; ``check_block`` checks images and links in step text."""
    line = nodes.line(node)
    words = nodes.container_info(node, "scenario").split()
    scenario_id = fallback_id
    if words and nodes.word_id(words[0]):
        scenario_id = nodes.word_id(words.pop(0))
    scenario = model.Scenario(id=scenario_id, title=" ".join(words) or model.DEFAULT_SCENARIO_TITLE, steps=[], line=line)
    for child in node.children:
        if child.type == "container_step":
            scenario.steps.append(_read_step(child, path, problems, lines, check_block))
        elif child.type == "container_debrief":
            check_block(child)
            scenario.debrief = nodes.child_source(child, lines)
        else:
            problems.error(path, nodes.line(child), "only '::: step' and '::: debrief' blocks may appear in a scenario",
                           "put the text inside a step")
    _check_graph(scenario, path, problems)
    return scenario


def _read_step(node, path, problems, lines, check_block) -> model.Step:
    line = nodes.line(node)
    settings, words = nodes.split_settings(nodes.container_info(node, "step"))
    step = model.Step(id="", body="", line=line)
    for word in words:
        if nodes.word_id(word) and not step.id:
            step.id = nodes.word_id(word)
        else:
            problems.error(path, line, f"unknown step setting {word!r}", "write ':::: step #id'")
    for key, value in settings.items():
        if key == "outcome" and value in model.OUTCOMES:
            step.outcome = value
        else:
            problems.error(path, line, f"unknown step setting {key}={value}",
                           f"an end step may say outcome={' or outcome='.join(model.OUTCOMES)}")
    if not step.id:
        problems.error(path, line, "the step has no id", "write ':::: step #id' so that choices can lead to it")
    body = []
    for child in node.children:
        choices = _read_choices(child, path, problems, lines) if child.type == "bullet_list" else None
        if choices is not None:
            if step.choices:
                problems.error(path, nodes.line(child), "a step has one list of choices",
                               "merge the lists of choices")
            step.choices.extend(choices)
        elif step.choices:
            problems.error(path, nodes.line(child), "text after the choices of a step",
                           "put the step's text above its choices")
        else:
            check_block(child)
            body.append(nodes.source(child, lines))
    step.body = "\n\n".join(body)
    if not step.body:
        problems.error(path, line, "the step has no text", "say what happens before listing the choices")
    if step.outcome and step.choices:
        problems.error(path, line, "only an end step (one without choices) has an outcome",
                       "remove outcome= or the choices")
    return step


def _read_choices(node, path, problems, lines) -> list[model.Choice] | None:
    """Read a list of ``[choice](#step)`` items; None if the list is ordinary text."""
    items = [(item, _CHOICE.match(nodes.item_text(item))) for item in node.children]
    if not any(match for _, match in items):
        return None
    choices = []
    for item, match in items:
        if not match:
            problems.error(path, nodes.line(item), "a choice must read '- [What the learner does](#next-step)'",
                           "make every item of the list a link to a step, or none of them")
            continue
        consequence = next((nodes.blockquote_source(c, lines) for c in item.children if c.type == "blockquote"), "")
        choices.append(model.Choice(match[1].strip(), match[2], consequence, nodes.line(item)))
    return choices


def _check_graph(scenario: model.Scenario, path, problems) -> None:
    """Every choice leads to a step; every step can be reached; some end can be reached."""
    if not scenario.steps:
        problems.error(path, scenario.line, "the scenario has no steps", "add ':::: step #id' blocks")
        return
    ids = [s.id for s in scenario.steps if s.id]
    for step in scenario.steps:
        if step.id and ids.count(step.id) > 1:
            problems.error(path, step.line, f"step id {step.id!r} is used twice", "give each step its own #id")
        for choice in step.choices:
            if choice.goto not in ids:
                close = difflib.get_close_matches(choice.goto, ids, n=1)
                problems.error(path, choice.line, f"the choice leads to step {choice.goto!r}, which does not exist",
                               f"did you mean '#{close[0]}'?" if close else f"steps: {', '.join(ids)}")
    reached, todo = set(), [scenario.steps[0].id]
    while todo:
        step = scenario.step(todo.pop())
        if step is None or step.id in reached:
            continue
        reached.add(step.id)
        todo.extend(c.goto for c in step.choices)
    for step in scenario.steps:
        if step.id and step.id not in reached:
            problems.warning(path, step.line, f"step {step.id!r} cannot be reached from the first step",
                             "lead a choice to it, or remove it")
    if not any(scenario.step(s).is_end for s in reached if scenario.step(s)):
        problems.error(path, scenario.line, "no end can be reached in the scenario",
                       "add a step without choices and lead a choice to it")
