"""``mgz export``: write an export to a path, or delete exports past retention (cron)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from mgz.core.actor import Actor
from mgz.core.clock import today
from mgz.core.db import utcnow
from mgz.core.errors import DomainError
from mgz.core.unit_of_work import work_scope
from mgz.exports import parameters, service, store
from mgz.exports.parameters import ExportRequest

export_group = AppGroup("export", help="Anonymisierte Exporte für die Datenservicestelle.")


def _refuse(error: DomainError) -> None:
    click.echo(f"abgelehnt: {error.detail}", err=True)
    for name, messages in error.errors.items():
        click.echo(f"  {name}: {' '.join(messages)}", err=True)
    sys.exit(1)


def _options(func: Any) -> Any:
    options = [
        click.option("--from", "first", type=int, required=True, help="Erstes Jahr."),
        click.option("--to", "last", type=int, required=True, help="Letztes Jahr."),
        click.option(
            "--format", "export_format", type=click.Choice(parameters.FORMATS),
            required=True, help="Dateiformat: csv, xlsx oder json.",
        ),
        click.option(
            "--out", "out", type=click.Path(path_type=Path), required=True,
            help="Ziel: bei csv ein neuer Ordner (CSV-Dateien und manifest.json), bei "
            "xlsx und json die Datei; ihr Manifest liegt daneben als <Datei>.manifest.json.",
        ),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _run(request: ExportRequest, out: Path) -> None:
    if out.exists() or store.manifest_path_for(out).exists():
        click.echo(f"abgelehnt: {out} existiert bereits.", err=True)
        sys.exit(2)
    if not out.parent.is_dir():
        click.echo(f"abgelehnt: Ordner {out.parent} existiert nicht.", err=True)
        sys.exit(2)
    written = {"rows": 0}
    seen: dict[str, int] = {}
    with click.progressbar(
        length=0, label="Zeilen geschrieben", show_eta=False, show_percent=False, show_pos=True
    ) as bar:

        def progress(table: str, rows: int) -> None:
            step = rows - seen.get(table, 0)
            seen[table] = rows
            written["rows"] += step
            bar.length = written["rows"]
            bar.update(step)

        staged: service.Staged | None = None
        try:
            with work_scope(current_app) as session:
                staged = service.stage_to_path(
                    session,
                    Actor.system(f"export {request.kind}"),
                    request,
                    out,
                    today=today(),
                    progress=progress,
                )
        except BaseException as error:
            if staged is not None:  # written, but its audit event did not commit
                staged.discard()
            if isinstance(error, DomainError):
                _refuse(error)
            raise
    staged.publish()
    click.echo(f"{out} geschrieben ({written['rows']} Zeilen)")
    for item in staged.manifest["files"]:
        click.echo(f"  {item['name']}  SHA-256 {item['sha256']}")


def _request(kind: str, values: dict[str, Any]) -> ExportRequest:
    request = ExportRequest(
        kind=kind,
        export_format=values["export_format"],
        first_year=values["first"],
        last_year=values["last"],
        k=values.get("k", parameters.DEFAULT_K),
        threshold=values.get("threshold", parameters.DEFAULT_THRESHOLD),
        max_suppression=values.get("max_suppression", parameters.DEFAULT_MAX_SUPPRESSION),
        l_required=values.get("l_required", parameters.DEFAULT_L),
    )
    try:
        parameters.check(request, today())
    except DomainError as error:
        _refuse(error)
    return request


@export_group.command(
    "aggregates", help="Aggregierte Tabellen (kleine Zahlen als x) nach --out schreiben."
)
@_options
@click.option(
    "--threshold", type=int, default=parameters.DEFAULT_THRESHOLD, show_default=True,
    help="Zahlen von 1 bis threshold - 1 werden x (mindestens 1).",
)  # fmt: skip
def aggregates_command(**values: Any) -> None:
    """Write the aggregate tables to --out."""
    request = _request("aggregates", values)
    _run(request, values["out"])


@export_group.command("microdata", help="k-anonyme Mikrodaten nach --out schreiben.")
@_options
@click.option(
    "--k",
    "k",
    type=int,
    default=parameters.DEFAULT_K,
    show_default=True,
    help="Jede Klasse hat mindestens k Zeilen (mindestens 2).",
)
@click.option(
    "--max-suppression",
    "max_suppression",
    type=float,
    default=parameters.DEFAULT_MAX_SUPPRESSION,
    show_default=True,
    help="Höchster Anteil unterdrückter Zeilen (0 bis 0,5).",
)
@click.option(
    "--l", "l_required", type=int, default=parameters.DEFAULT_L, show_default=True,
    help="l-Diversität des sensiblen Merkmals (mindestens 2).",
)  # fmt: skip
def microdata_command(**values: Any) -> None:
    """Write the k-anonymous microdata to --out."""
    request = _request("microdata", values)
    _run(request, values["out"])


@export_group.command("purge", help="Exporte nach Ablauf der Aufbewahrungsfrist löschen (cron).")
def purge_command() -> None:
    """Delete exports past EXPORT_RETENTION_DAYS and leftovers of interrupted ones."""
    place = service.place_of(current_app.config, current_app.instance_path)
    with work_scope(current_app) as session:
        count = service.purge_expired(session, Actor.system("export purge"), place=place)
    click.echo(f"{count} Export(e) gelöscht (Stand {utcnow():%Y-%m-%d %H:%M} UTC)")


COMMANDS = [export_group]
