"""``mgz reference load`` and ``mgz reference list``; the demo step that loads the lists."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from mgz.core.actor import Actor
from mgz.core.db import session_scope
from mgz.core.demo import demo_step
from mgz.core.unit_of_work import work_scope
from mgz.reference import files, loading, service

reference_group = AppGroup("reference", help="Codelisten (Referenzdaten) laden und anzeigen.")


@reference_group.command(
    "load", help="Die Codelisten laden; geänderte Listen erhalten eine neue Version."
)
@click.option(
    "--data-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Ordner mit Codelisten als TOML (Standard: die mit mgz gelieferten).",
)
def load_command(data_dir: Path | None) -> None:
    """Load the code lists; changed lists get a new version."""
    with work_scope(current_app) as session:
        try:
            report = loading.load_reference_data(
                session, Actor.system("reference load"), data_dir=data_dir
            )
        except files.ReferenceDataError as exc:
            click.echo(f"reference data not loaded: {exc}", err=True)
            sys.exit(1)
    for change in report.lists:
        click.echo(change.describe())
    click.echo(f"{len(report.changed)} of {len(report.lists)} lists changed")


@reference_group.command(
    "list", help="Die geladenen Listen anzeigen, oder die Codes der Liste NAME."
)
@click.argument("name", required=False)
@click.option("--all", "include_withdrawn", is_flag=True, help="Auch zurückgezogene Codes.")
def list_command(name: str | None, include_withdrawn: bool) -> None:
    """Show the loaded lists, or the codes of list NAME."""
    with session_scope(current_app) as session:
        if name is None:
            for info in service.list_names(session):
                count = len(service.codes(session, info.name))
                click.echo(f"{info.name:<28} v{info.version:<3} {count:>4} codes  {info.title}")
            return
        try:
            entries = service.codes(session, name, include_withdrawn=include_withdrawn)
        except service.UnknownListError:
            click.echo(f"unknown list: {name}", err=True)
            sys.exit(1)
        for entry in entries:
            mark = f"  [withdrawn in v{entry.withdrawn_in_version}]" if entry.is_withdrawn else ""
            group = entry.group or "-"
            click.echo(f"{entry.code:<20} {group:<22} {entry.label}{mark}")


@demo_step
def load_demo_reference_data(app: Flask) -> list[str]:
    """Demo: load the shipped code lists (idempotent)."""
    with work_scope(app) as session:
        report = loading.load_reference_data(session, Actor.system("demo"))
    return [f"Codelisten: {len(report.lists)} geladen, {len(report.changed)} neu oder geändert"]


COMMANDS = [reference_group]
