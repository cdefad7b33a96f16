"""``mgz stats``: reference figures and indicators from the command line (audited)."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from mgz.core.actor import Actor
from mgz.core.clock import today
from mgz.core.db import session_scope
from mgz.core.errors import DomainError
from mgz.core.files import write_bytes_atomically
from mgz.core.unit_of_work import work_scope
from mgz.statistics import charts, indicators, reference_figures
from mgz.statistics.reference_figures import FigureValues
from mgz.statistics.schemas import IndicatorReportSchema

stats_group = AppGroup("stats", help="Statistik: Indikatoren und Bezugsgrößen.")
reference_group = AppGroup("reference", help="Bezugsgrößen erfassen und anzeigen.")
stats_group.add_command(reference_group)


def _refuse(error: DomainError) -> None:
    click.echo(f"abgelehnt: {error.detail}", err=True)
    for name, messages in error.errors.items():
        click.echo(f"  {name}: {' '.join(messages)}", err=True)
    sys.exit(1)


@reference_group.command("set", help="Neue Version der Bezugsgröße KEY für YEAR erfassen.")
@click.argument("key")
@click.argument("year", type=int)
@click.argument("value", type=click.IntRange(min=0))
@click.option("--source", required=True, help="Quelle, z. B. 'Meldebehörden, Fachdienst Ordnung'.")
@click.option(
    "--as-of", "as_of", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Stand der Zahl (JJJJ-MM-TT).",
)  # fmt: skip
def set_command(key: str, year: int, value: int, source: str, as_of: date) -> None:
    """Record a new version of a reference figure."""
    values = FigureValues(value=value, source=source, as_of=as_of.date())  # type: ignore[attr-defined]
    try:
        with work_scope(current_app) as session:
            figure = reference_figures.set_figure(
                session, Actor.system("stats reference set"), key, year, values, today()
            )
            version = figure.version
    except DomainError as error:
        _refuse(error)
    click.echo(f"{key} {year} = {value} (Version {version})")


@reference_group.command("list", help="Alle Bezugsgrößen mit ihren Versionen.")
@click.option("--key", default=None, help="Nur diese Bezugsgröße.")
def list_command(key: str | None) -> None:
    """Show every version of the reference figures."""
    try:
        with session_scope(current_app) as session:
            for f in reference_figures.history(session, key):
                click.echo(
                    f"{f.key:<46} {f.year} v{f.version:<3} {f.value:>8}  {f.as_of}  {f.source}"
                )
    except DomainError as error:
        _refuse(error)


@stats_group.command("indicator", help="Indikator NUMBER für ein Jahr oder eine Reihe, als JSON.")
@click.argument("number", type=int)
@click.option("--year", type=int, default=None, help="Ein Jahr.")
@click.option("--from", "first", type=int, default=None, help="Erstes Jahr der Reihe.")
@click.option("--to", "last", type=int, default=None, help="Letztes Jahr der Reihe.")
def indicator_command(number: int, year: int | None, first: int | None, last: int | None) -> None:
    """Compute an indicator and print it as JSON."""
    try:
        with work_scope(current_app) as session:
            report = indicators.read_indicator(
                session, Actor.system("stats indicator"), number,
                year=year, first=first, last=last, today=today(),
            )  # fmt: skip
            body = report.as_body()
    except DomainError as error:
        _refuse(error)
    click.echo(json.dumps(IndicatorReportSchema().dump(body), ensure_ascii=False, indent=2))


@stats_group.command(
    "chart", help="Diagramm des Indikators NUMBER als PNG oder SVG (nach der Endung von --out)."
)
@click.argument("number", type=int)
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="Zieldatei, .png oder .svg.",
)  # fmt: skip
@click.option("--year", type=int, default=None, help="Ein Jahr.")
@click.option("--from", "first", type=int, default=None, help="Erstes Jahr der Reihe.")
@click.option("--to", "last", type=int, default=None, help="Letztes Jahr der Reihe.")
def chart_command(
    number: int, out: Path, year: int | None, first: int | None, last: int | None
) -> None:
    """Draw an indicator's chart into a file, atomically."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in charts.FORMATS:
        click.echo("abgelehnt: --out muss auf .png oder .svg enden.", err=True)
        sys.exit(2)
    try:
        with work_scope(current_app) as session:
            report = indicators.read_indicator(
                session, Actor.system("stats chart"), number,
                year=year, first=first, last=last, today=today(), chart=fmt,
            )  # fmt: skip
    except DomainError as error:
        _refuse(error)
    digest = write_bytes_atomically(out, charts.render(report, fmt))
    click.echo(f"{out} geschrieben (SHA-256 {digest})")


COMMANDS = [stats_group]
