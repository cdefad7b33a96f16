"""`mgz … --help` works without any configuration; commands that need it fail in one line.

Run as a user meets it: the installed console script in an empty environment.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from mgz.cli import cli
from mgz.core.german_help import ENGLISH_BOILERPLATE

MGZ = str(Path(sys.executable).parent / "mgz")
GROUPS = {
    "audit",
    "checklists",
    "db",
    "demo",
    "export",
    "keys",
    "privacy",
    "reference",
    "serve",
    "stats",
    "tokens",
    "users",
}


def _command_paths(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            paths.extend(_command_paths(sub, (*path, name)))
    return paths


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script
        [MGZ, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def test_top_level_help_lists_every_command_group_without_configuration(tmp_path):
    result = _run(["--help"], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert [phrase for phrase in ENGLISH_BOILERPLATE if phrase in result.stdout] == []
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr == ""
    listed = set()
    in_commands = False
    for line in result.stdout.splitlines():
        if line.strip() == "Befehle:":
            in_commands = True
        elif in_commands and line.startswith("  ") and line.strip():
            listed.add(line.split()[0])
    assert listed == GROUPS


def test_help_of_every_group_and_command_works_without_configuration(tmp_path):
    paths = [path for path in _command_paths(cli) if path]
    assert {path[0] for path in paths} == GROUPS
    assert ("keys", "status") in paths and ("db", "upgrade") in paths
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda p: (p, _run([*p, "--help"], {}, tmp_path)), paths))
    for path, result in results:
        name = " ".join(path)
        assert result.returncode == 0, (name, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr, name
        assert result.stdout.startswith(f"Aufruf: mgz {name} "), (name, result.stdout)
        english = [phrase for phrase in ENGLISH_BOILERPLATE if phrase in result.stdout]
        assert english == [], (name, english)
    assert list(tmp_path.iterdir()) == []  # help created nothing (no instance folder)


def test_a_command_that_needs_configuration_fails_in_one_line_with_exit_2(tmp_path):
    env = {"MGZ_INSTANCE_PATH": str(tmp_path / "instance")}
    for args in (["db", "upgrade"], ["keys", "status"], ["users", "list"]):
        result = _run(args, env, tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            "mgz: configuration error: MGZ_SECRET_KEY: required in production "
            "(or MGZ_SECRET_KEY_FILE)"
        ], args
