"""Core commands: ``mgz db`` (migrations)."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from mgz.core import migrations
from mgz.core.db import database

db_group = AppGroup("db", help="Datenbank: Migrationen anwenden und prüfen.")


def _engine() -> Any:
    return database(current_app).engine


@db_group.command("upgrade", help="Datenbank auf REVISION migrieren (Standard: head, die neueste).")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: head)."""
    migrations.upgrade(_engine(), revision)
    click.echo(f"database at {migrations.current_revision(_engine())}")


@db_group.command("downgrade", help="Datenbank auf REVISION zurückmigrieren.")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION."""
    migrations.downgrade(_engine(), revision)
    click.echo(f"database at {migrations.current_revision(_engine())}")


@db_group.command(
    "current",
    help="Angewandte Revision anzeigen und ob sie die neueste ist; Exit-Code 1, wenn nicht.",
)
def db_current() -> None:
    """Print the applied revision and whether it is the newest; exit 1 if behind."""
    current = migrations.current_revision(_engine())
    head = migrations.head_revision()
    state = "(head)" if current == head else f"(behind head {head})"
    click.echo(f"{current or 'empty'} {state}")
    if current != head:
        sys.exit(1)


COMMANDS = [db_group]
