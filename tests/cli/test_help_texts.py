"""Every option of the commands a newcomer meets first has help text, and says its default."""

from __future__ import annotations

import argparse

import pytest

from league.cli import COMMANDS, main


@pytest.mark.parametrize("name", ["up", "train", "eval", "play"])
def test_every_option_has_help_and_names_its_default(name):
    parser = argparse.ArgumentParser(prog=f"league {name}")
    COMMANDS[name][0].configure(parser)
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        flag = "/".join(action.option_strings) or action.dest
        assert action.help, f"league {name} {flag} has no help text"
        if action.default not in (None, False, [], argparse.SUPPRESS):
            assert "default" in action.help, f"league {name} {flag}: its default {action.default!r} is not shown"


@pytest.mark.parametrize("argv, text", [
    (["up", "--help"], "(default: 5000, the `league train` default)"),
    (["train", "--help"], "(default: default)"),
    (["eval", "--help"], "which basic opponent to play"),
])
def test_the_defaults_newcomers_asked_about_are_in_help(capsys, argv, text):
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    assert text in " ".join(capsys.readouterr().out.split())
