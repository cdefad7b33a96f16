"""German help for the ``mgz`` console script: click's own words translated too.

Our commands and options explain themselves in German; click adds its own English
around them ("Usage:", "Options:", "Show this message and exit.", "[default: …]",
type names such as INTEGER). click takes these from gettext, which would need a
compiled catalogue installed for the whole process; a help formatter of our own
translates exactly the help output instead. Command names stay English
(identifiers). :func:`germanise` applies it to a whole command tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import click

# Headings and fixed phrases click writes into help pages.
_HEADINGS = {
    "Options": "Optionen",
    "Commands": "Befehle",
    "Arguments": "Argumente",
    "Positional arguments": "Argumente",
}
_PHRASES = (
    ("Show this message and exit.", "Diese Hilfe anzeigen und beenden."),
    ("Show the version and exit.", "Die Version anzeigen und beenden."),
    ("Confirm the action without prompting.", "Ohne Rückfrage ausführen."),
    ("[default: ", "[Standard: "),
    ("; default: ", "; Standard: "),
    ("[required]", "[Pflicht]"),
    ("; required", "; Pflicht"),
    ("[env var: ", "[Umgebungsvariable: "),
    ("(dynamic)", "(berechnet)"),
    ("(deprecated)", "(veraltet)"),
    ("(DEPRECATED)", "(VERALTET)"),
)
# click's names of parameter types, as shown after an option ("--port INTEGER RANGE").
_METAVARS = {
    "INTEGER RANGE": "ZAHL",
    "INTEGER": "ZAHL",
    "FLOAT RANGE": "ZAHL",
    "FLOAT": "ZAHL",
    "TEXT": "TEXT",
    "BOOLEAN": "JA|NEIN",
    "FILENAME": "DATEI",
    "FILE": "DATEI",
    "PATH": "PFAD",
    "DIRECTORY": "ORDNER",
    "DATETIME": "ZEITPUNKT",
}
_METAVAR = re.compile(r"\b(" + "|".join(sorted(_METAVARS, key=len, reverse=True)) + r")\b")
USAGE = "Aufruf: "
OPTIONS_METAVAR = "[OPTIONEN]"
SUBCOMMAND_METAVAR = "BEFEHL [ARGUMENTE]..."

# What must not appear in any help page (the test walks every command with it).
ENGLISH_BOILERPLATE = (
    "Usage:",
    "Options:",
    "Commands:",
    "Arguments:",
    "Show this message",
    "[default:",
    "[required]",
    "env var",
    "[OPTIONS]",
    "COMMAND [ARGS]",
    "INTEGER",
    "FLOAT",
    "BOOLEAN",
    "FILENAME",
    "-e, --env-file",
    "-A, --app",
    "--debug",
)


def _phrases(text: str) -> str:
    for english, german in _PHRASES:
        text = text.replace(english, german)
    return text


class GermanHelpFormatter(click.HelpFormatter):
    """click's help formatter writing German headings, usage prefix and type names."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """The usage line as ``Aufruf: mgz …``."""
        super().write_usage(prog, args, USAGE if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        """A section heading in German (Optionen, Befehle, Argumente)."""
        super().write_heading(_HEADINGS.get(heading, heading))

    def write_dl(self, rows: Iterable[tuple[str, str]], *args: Any, **kwargs: Any) -> None:
        """Option and command rows with click's type names and hints in German."""
        german = [
            (_METAVAR.sub(lambda m: _METAVARS[m.group(1)], term), _phrases(text))
            for term, text in rows
        ]
        super().write_dl(german, *args, **kwargs)


class GermanContext(click.Context):
    """A click context whose help pages are written by :class:`GermanHelpFormatter`."""

    formatter_class = GermanHelpFormatter


def germanise(command: click.Command, seen: Sequence[click.Command] = ()) -> None:
    """Make the help of ``command`` and every command below it German."""
    if command in seen:
        return
    command.context_class = GermanContext
    if command.options_metavar:
        command.options_metavar = OPTIONS_METAVAR
    if isinstance(command, click.Group):
        optional = command.invoke_without_command
        command.subcommand_metavar = f"[{SUBCOMMAND_METAVAR}]" if optional else SUBCOMMAND_METAVAR
        for sub in command.commands.values():
            germanise(sub, (*seen, command))
