"""The aggregate export: the tables the Datenservicestelle would tabulate (issue 19).

``build_aggregates`` counts every measure of :mod:`mgz.exports.aggregate_tables` by
every dimension and year (one GROUP BY each, statistical columns only, never a
decryption), suppresses the tables of each measure together
(:mod:`mgz.exports.linked_suppression`) and returns a :class:`Release` for the
writers. Suppressed cells are ``"x"`` (the mark of the KIM report,
``mgz.statistics.suppression.MARK``; "x" is what German official statistics write
for "Zahlenwert unbekannt oder geheim zu halten"); zeros are shown as ``0``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial

from sqlalchemy.orm import Session

from mgz.exports.aggregate_tables import (
    COUNTY,
    DIMENSIONS,
    MEASURES,
    TOTAL,
    Dimension,
    Key,
    Measure,
    code_of,
    count_by,
    row_keys,
)
from mgz.exports.content import Definition, Release, Row, Table
from mgz.exports.linked_suppression import suppress_linked
from mgz.statistics.suppression import MARK, SuppressedTable

MARK_MEANING = (
    "Zahlenwert geheim zu halten: ein Wert von 1 bis unter der Schwelle "
    "(primäre Sperrung) oder ein Wert, aus dem sich ein gesperrter Wert über Zeilen-, "
    "Spalten- oder Gesamtsummen, auch tabellenübergreifend, errechnen ließe "
    "(sekundäre Sperrung)."
)
ZERO_MEANING = (
    "0 heißt: niemand bzw. kein Datensatz. Null wird nie gesperrt, denn eine leere "
    "Zelle lässt auf niemanden schließen."
)


def _validate(first_year: int, last_year: int, threshold: int) -> None:
    if threshold < 1:
        raise ValueError("Die Schwelle der Geheimhaltung muss mindestens 1 sein.")
    if first_year > last_year:
        raise ValueError("Das erste Jahr darf nicht nach dem letzten Jahr liegen.")


def _grid(
    session: Session, measure: Measure, dimension: Dimension, years: Sequence[int]
) -> tuple[list[Key], list[list[int]]]:
    per_year = [count_by(session, measure, dimension, year) for year in years]
    found = {key for counts in per_year for key in counts}
    keys = row_keys(session, dimension, found)
    codes = [code_of(key) for key in keys]
    return keys, [[counts.get(code, 0) for counts in per_year] for code in codes]


def _rows(keys: list[Key], table: SuppressedTable, width: int) -> Iterator[Row]:
    for index, key in enumerate(keys):
        yield (*key, *(table.shown(index, c) for c in range(width)))
    total_key = (TOTAL, COUNTY, *([None] * (len(keys[0]) - 2)))
    yield (*total_key, *(table.shown(len(keys), c) for c in range(width)))


def _linked_sets(measure: Measure) -> list[tuple[str, list[Dimension]]]:
    """The dimensions whose tables share their margins, with the name of the set."""
    dimensions = list(DIMENSIONS)
    if not measure.separate_categories:
        return [(measure.name, [*dimensions, *measure.categories])]
    return [(measure.name, dimensions)] + [
        (f"{measure.name}_{category.name}", [category]) for category in measure.categories
    ]


def build_aggregates(
    session: Session, *, first_year: int, last_year: int, threshold: int = 3
) -> Release:
    """Count, suppress and describe every aggregate table for ``first_year``..``last_year``.

    Raises ValueError for a threshold below 1 or a first year after the last one (the
    route turns that into its 422). Reads statistical columns only.
    """
    _validate(first_year, last_year, threshold)
    years = list(range(first_year, last_year + 1))
    year_headers = tuple(str(year) for year in years)
    tables: list[Table] = []
    counts: dict[str, dict[str, int]] = {}
    for measure in MEASURES:
        for set_name, dimensions in _linked_sets(measure):
            grids = [_grid(session, measure, dimension, years) for dimension in dimensions]
            result = suppress_linked([grid for _keys, grid in grids], threshold)
            for index, (dimension, (keys, _grid_counts)) in enumerate(
                zip(dimensions, grids, strict=True)
            ):
                name = f"{set_name}__{dimension.name}"
                suppressed = result.tables[index]
                tables.append(
                    Table(
                        name=name,
                        title=f"{measure.title} – {dimension.title}",
                        columns=(*dimension.headers, *year_headers, TOTAL),
                        rows=partial(_rows, keys, suppressed, len(years) + 1),
                        description=f"{measure.term} nach {dimension.meaning}",
                    )
                )
                counts[name] = {
                    "primary": len(result.primary[index]),
                    "secondary": len(result.secondary(index)),
                    "linked_set": set_name,
                }
    return Release(
        kind="aggregates",
        tables=tuple(tables),
        definitions=definitions(),
        manifest={
            "threshold": threshold,
            "first_year": first_year,
            "last_year": last_year,
            "years": years,
            "mark": MARK,
            "mark_meaning": MARK_MEANING,
            "zero_meaning": ZERO_MEANING,
            "suppression": (
                "Primär: jede Zelle (auch Summen) von 1 bis unter der Schwelle. Sekundär: "
                "je Tabelle die kleinsten Zellen zuerst, Summen zuletzt, bis keine "
                "gesperrte Zelle aus Zeilen- oder Spaltensummen folgt; gemeinsame Summen "
                "der Tabellen einer Größe sind in allen gesperrt, sobald in einer; dann "
                "exakte Prüfung über alle Tabellen einer Größe zusammen."
            ),
            "tables": counts,
        },
    )


def definitions() -> tuple[Definition, ...]:
    """The definitions sheet: every measure, every dimension, the mark and the totals."""
    found = [Definition(measure.term, measure.meaning) for measure in MEASURES]
    seen: set[str] = set()
    for dimension in (*DIMENSIONS, *(c for m in MEASURES for c in m.categories)):
        term = " / ".join(part.headers[0] for part in dimension.parts)
        if term not in seen:
            seen.add(term)
            found.append(Definition(term, dimension.meaning))
    found += [
        Definition(
            "Jahr",
            "Das Kalenderjahr, in das das Datum fällt, das die jeweilige Größe nennt "
            "(Gesprächsdatum, Profiling-Datum, Beginn, Zuweisungsdatum, "
            "Vermittlungsdatum, Erfassung, Bezugszeitraum).",
        ),
        Definition(
            TOTAL,
            "Spalte: Summe der Jahre (eine Person, die in zwei Jahren gezählt wird, zählt "
            "zweimal). Zeile: der ganze Landkreis Osnabrück, Summe aller Zeilen.",
        ),
        Definition(MARK, MARK_MEANING),
        Definition("0", ZERO_MEANING),
        Definition(
            "Stand der Merkmale",
            "Staatsangehörigkeitsgruppe, Aufenthaltsstatusgruppe, Geschlecht und Gemeinde "
            "sind die der Person beim Export, für alle Jahre. Gelöschte Akten zählen mit.",
        ),
    ]
    return tuple(found)
