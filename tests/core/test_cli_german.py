"""`mgz --help` speaks German to its users: every command and option explains itself in German.

Command names stay English (they are identifiers); what a user reads is German.
"""

from __future__ import annotations

import re

import click
from click.testing import CliRunner

from mgz.cli import cli
from mgz.core.german_help import ENGLISH_BOILERPLATE, germanise

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


def _help_pages():
    runner = CliRunner()
    for path, _command in _commands(cli):
        result = runner.invoke(cli, [*path, "--help"], prog_name="mgz")
        assert result.exit_code == 0, (path, result.output)
        yield " ".join(("mgz", *path)), result.output


def test_no_english_click_boilerplate_in_any_help_page():
    pages = dict(_help_pages())
    assert len(pages) > 30  # the whole tree: groups and their commands
    problems = {
        name: [phrase for phrase in ENGLISH_BOILERPLATE if phrase in text]
        for name, text in pages.items()
    }
    assert {name: found for name, found in problems.items() if found} == {}
    for name, text in pages.items():
        assert text.startswith(f"Aufruf: {name} [OPTIONEN]"), name
        assert "Optionen:" in text and "Diese Hilfe anzeigen und beenden." in text, name
    assert "Befehle:" in pages["mgz"]
    assert "[Standard: 8000" in pages["mgz serve"]
    assert "--port ZAHL" in pages["mgz serve"]
    # Flask's generic options are not offered: the app comes from configuration.
    assert "--env-file" not in pages["mgz"] and "--app" not in pages["mgz"]


def test_the_boilerplate_check_sees_clicks_english():
    @click.command()
    @click.option("--port", type=int, default=1, show_default=True, help="Port.")
    def plain(port: int) -> None:
        """Ohne Übersetzung."""

    text = CliRunner().invoke(plain, ["--help"]).output
    assert {"Usage:", "Options:", "Show this message", "[default:", "INTEGER"} <= {
        phrase for phrase in ENGLISH_BOILERPLATE if phrase in text
    }
    germanise(plain)
    text = CliRunner().invoke(plain, ["--help"]).output
    assert [phrase for phrase in ENGLISH_BOILERPLATE if phrase in text] == []
