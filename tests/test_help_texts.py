"""Every setting a ``passerelle`` command's help names is one that exists, under the name people set."""

from __future__ import annotations

import contextlib
import re

import click
from flask import current_app
from flask.cli import ScriptInfo

from lms.cli import passerelle_group
from lms.config import SETTINGS

#: Environment variables Flask's own commands (run, shell, routes) speak of.
FLASK_VARIABLES = {"FLASK_APP", "FLASK_DEBUG", "FLASK_RUN_HOST", "FLASK_RUN_PORT", "FLASK_RUN_CERT", "FLASK_RUN_KEY",
                   "FLASK_RUN_EXTRA_FILES", "FLASK_RUN_EXCLUDE_PATTERNS"}
#: A name that looks like an environment variable: capitals with an underscore, or one of ours.
VARIABLE = re.compile(r"\b(?:PASSERELLE[A-Z0-9_]*|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b")


def every_command(app):
    """Yield (command path, help as printed, the command's own metavars) for ``passerelle`` and each subcommand.

    Each context is closed at the end: Flask's group pushes an app context into the first one that loads a
    command, and one left open would run later tests' commands on this app and its database.
    """
    with contextlib.ExitStack() as opened:
        yield from _walk(app, opened)


def _walk(app, opened: contextlib.ExitStack):
    group = passerelle_group(create_app=lambda: app)
    root = group.make_context("passerelle", [], obj=ScriptInfo(create_app=lambda: app), resilient_parsing=True)
    opened.callback(root.close)
    waiting = [(root, group)]
    while waiting:
        context, command = waiting.pop()
        subcommands = []
        if isinstance(command, click.Group):
            subcommands = [command.get_command(context, name) for name in command.list_commands(context)]
        # A group's help lists its subcommands with their first sentence, which may name their arguments.
        params = [param for each in (command, *subcommands) for param in each.params]
        metavars = {param.name.upper() for param in params if param.name}
        metavars |= {param.make_metavar(context).strip("[].") for param in command.params}
        yield context.command_path, command.get_help(context), metavars
        for sub in subcommands:
            child = sub.make_context(sub.name, [], parent=context, resilient_parsing=True)
            opened.callback(child.close)
            waiting.append((child, sub))


def test_the_walk_reaches_the_commands_of_every_package(app):
    paths = {path for path, _, _ in every_command(app)}
    assert not current_app, "the walk left an app context pushed"
    assert {"passerelle", "passerelle run", "passerelle demo", "passerelle build", "passerelle translate interface",
            "passerelle lrs-forwarding run", "passerelle lrs-credentials create", "passerelle users create",
            "passerelle cohorts create"} <= paths, sorted(paths)


def test_help_texts_name_only_settings_that_exist(app):
    known = {setting.env for setting in SETTINGS} | FLASK_VARIABLES
    wrong = {}
    for path, text, metavars in every_command(app):
        names = set(VARIABLE.findall(text)) - metavars - known
        if names:
            wrong[path] = sorted(names)
    assert not wrong, f"help texts name settings that do not exist (see lms/config.py): {wrong}"


def test_the_check_catches_a_setting_named_by_its_key_in_the_app_config():
    """``XAPI_FORWARD_URL`` is what the app calls the setting; people set ``PASSERELLE_FORWARD_LRS``."""
    known = {setting.env for setting in SETTINGS}
    assert set(VARIABLE.findall("Forward statements (see XAPI_FORWARD_URL).")) - known == {"XAPI_FORWARD_URL"}
    assert set(VARIABLE.findall("Forward statements (see PASSERELLE_FORWARD_LRS).")) - known == set()


def test_forwarding_when_off_names_the_setting_that_turns_it_on(app, runner):
    app.config["XAPI_FORWARD_URL"] = ""
    result = runner.invoke(args=["lrs-forwarding", "run", "--once"])
    assert result.exit_code == 1
    assert set(VARIABLE.findall(result.output)) == {"PASSERELLE_FORWARD_LRS"}, result.output
