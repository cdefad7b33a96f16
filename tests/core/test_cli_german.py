"""`mgz --help` speaks German to its users: every command and option explains itself in German.

Command names stay English (they are identifiers); what a user reads is German.
"""

from __future__ import annotations

import re

import click

from mgz.cli import cli

# Words that give English text away; none of them is a German word.
ENGLISH = {"the", "and", "with", "from", "of", "to", "is", "this", "that", "which", "into", "its"}


def _commands(command: click.Command, path: tuple[str, ...] = ()):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


def _english_words(text: str) -> set[str]:
    return ENGLISH & {word.lower() for word in re.findall(r"[A-Za-z]+", text)}


def test_every_command_and_option_has_german_help():
    problems = []
    for path, command in _commands(cli):
        name = " ".join(("mgz", *path))
        text = command.help or ""
        if not text.strip():
            problems.append(f"{name}: no help")
        elif _english_words(text):
            problems.append(f"{name}: {sorted(_english_words(text))} in {text!r}")
        for parameter in command.params:
            if not isinstance(parameter, click.Option) or parameter.hidden:
                continue
            if not parameter.help:
                problems.append(f"{name} {parameter.opts[0]}: no help")
            elif _english_words(parameter.help):
                problems.append(f"{name} {parameter.opts[0]}: {parameter.help!r}")
    assert problems == []


def test_the_checker_sees_english():
    assert _english_words("Serve the API with gunicorn") == {"the", "with"}
    assert _english_words("Die API mit gunicorn bereitstellen (auch im Demo-Modus).") == set()
