"""Real releases for the writer and store tests: tables with rows, made-up counts only."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from mgz.exports.content import Definition, Release, Row, Table

HEADERS = ("Jahr", "Gemeinde", "Geschlecht", "Anzahl", "Anteil in %")


def _counts(rows: int) -> Iterator[Row]:
    for number in range(rows):
        share = Decimal(number % 100) / 4  # 0, 0.25, 0.5 ...: decimals occur
        gemeinde = "Bad Essen" if number % 2 else "Bramsche; Süd"
        yield (2020 + number % 5, gemeinde, "weiblich", number, share)  # type: ignore[misc]


def _small() -> Iterator[Row]:
    yield (2021, "Melle", "x", None, 1.5)  # type: ignore[misc]
    yield (2022, 'Quote "A"', 12, 0, 0.125)  # type: ignore[misc]


def release(rows: int = 50, kind: str = "aggregates") -> Release:
    """Two tables (one of ``rows`` rows) and two definitions."""
    return Release(
        kind=kind,  # type: ignore[arg-type]
        tables=(
            Table(
                name="beratungen_gemeinde",
                title="Beratungen nach Gemeinde",
                columns=HEADERS,
                rows=lambda: _counts(rows),
                description="Erstberatungen je Jahr und Gemeinde",
            ),
            Table(
                name="klein",
                title="Kleine Zellen",
                columns=HEADERS,
                rows=_small,
            ),
        ),
        definitions=(
            Definition("x", "unterdrückt: 1 oder 2 Personen, oder daraus berechenbar"),
            Definition("Gemeinde", "Wohnort beim Zuzug (Landkreis Osnabrück)"),
        ),
        manifest={
            "generalisation": {"age": "5 Jahre", "municipality": "Gemeinde"},
            "rows_in": rows + 2,
            "rows_suppressed": 0,
            "smallest_class": None,
        },
    )
