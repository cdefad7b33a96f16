"""The k-anonymous microdata export for the Datenservicestelle (issue 19, goal 87).

One row per counselled person: everyone with at least one consultation held in the
period. Erased clients are included: erasure removes the personal (encrypted) data,
while the statistical attributes stay lawful to keep and to release anonymised.

Two passes over the database, neither holding rows in Python:

1. one GROUP BY over the finest quasi-identifiers (and the benefit kinds) gives the
   class sizes; ``anonymise`` searches the declared hierarchies on that histogram for
   the least-loss generalisation that is k-anonymous after suppressing at most the
   allowed share, and ``l_diversity`` judges the benefit kinds in the released classes;
2. the rows themselves, streamed (``yield_per``: a server-side cursor on PostgreSQL)
   in an order ``random()`` draws in the database, each generalised to the chosen
   levels, rows of suppressed classes skipped, each with a fresh random row id.

Pass 2 runs each time a writer asks for the rows, so every file gets its own order
and its own row ids. It counts the persons per released class as it goes and raises
``ExportChangedError`` at the end of the stream if they are not exactly the classes
of pass 1 (records changed in between): a writer then fails instead of finishing a
file whose classes were never checked. Run the export in one snapshot (REPEATABLE
READ on PostgreSQL; a SQLite read transaction is one) to avoid that.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sqlalchemy.orm import Session

from mgz.exports import microdata_query as q
from mgz.exports.anonymity import (
    Anonymisation,
    anonymise,
    generalise_sensitive,
    l_diversity,
)
from mgz.exports.content import Release, Row, Table
from mgz.exports.hierarchies import (
    QUASI_IDENTIFIERS,
    SUPPRESSED,
    Hierarchy,
    declared_hierarchies,
    generalise_key,
)
from mgz.exports.microdata_text import COLUMNS, DEFINITIONS, DESCRIPTION, NOTES
from mgz.reference import service as reference

DEFINITION_VERSION = "1.0"
UNKNOWN = "unknown"
YIELD_PER = 1000
Key = tuple[object, ...]


class ExportChangedError(RuntimeError):
    """The rows of pass 2 do not form the classes that pass 1 checked; nothing is valid."""

    def __init__(self) -> None:
        super().__init__(
            "Die Daten haben sich während des Exports geändert; der Export ist ungültig "
            "und muss neu erstellt werden."
        )


def _with_unknown(hierarchy: Hierarchy) -> Hierarchy:
    # A missing value (no move-in date, no residence-status group, an age that cannot
    # be) is released as "unknown" on every level but the last, which stays "*".
    # Each level remembers its answers: an attribute has few distinct values, and the
    # lattice search generalises every class once per node it looks at.
    def level(inner: Callable[[object], str]) -> Callable[[object], str]:
        seen: dict[object, str] = {}

        def generalised(value: object) -> str:
            found = seen.get(value)
            if found is None:
                found = seen[value] = UNKNOWN if value is None else inner(value)
            return found

        return generalised

    return Hierarchy(
        name=hierarchy.name,
        level_names=hierarchy.level_names,
        levels=(*(level(f) for f in hierarchy.levels[:-1]), hierarchy.levels[-1]),
    )


def hierarchies(session: Session) -> tuple[Hierarchy, ...]:
    """The declared hierarchies, municipality groups from the loaded code list."""
    groups = {
        entry.code: entry.group or entry.code
        for entry in reference.codes(session, "municipality", include_withdrawn=True)
    }
    return tuple(_with_unknown(h) for h in declared_hierarchies(groups))


def _age(value: object) -> int | None:
    # A birth year after the consultation is a recording error, not an age.
    if value is None:
        return None
    age = int(value)  # PostgreSQL may hand back a Decimal
    return age if age >= 0 else None


def _finest(row: Mapping[str, Any]) -> Key:
    year = row["year_moved_in"]
    return (
        _age(row["age"]),
        row["gender"],
        row["citizenship_group"],
        row["residence_status_group"],
        row["municipality"],
        None if year is None else int(year),
    )


def _histograms(
    session: Session, first_year: int, last_year: int
) -> tuple[dict[Key, int], dict[tuple[Key, str], int]]:
    classes: dict[Key, int] = {}
    sensitive: dict[tuple[Key, str], int] = {}
    # One object per distinct value and key: the driver makes a new string for every
    # cell, and the histograms would otherwise hold all of them.
    shared: dict[Any, Any] = {}
    statement = q.class_histogram(first_year, last_year).execution_options(yield_per=YIELD_PER)
    for row in session.execute(statement).mappings():
        fresh = tuple(shared.setdefault(v, v) for v in _finest(row))
        key: Key = shared.setdefault(fresh, fresh)
        benefits = q.codes_value(row["benefit_kinds"])
        value: str = shared.setdefault(benefits, benefits)
        classes[key] = classes.get(key, 0) + row["persons"]
        sensitive[(key, value)] = sensitive.get((key, value), 0) + row["persons"]
    return classes, sensitive


def _isced(row: Mapping[str, Any]) -> str | None:
    levels = [v for v in (row["isced_qualification"], row["isced_schooling"]) if v is not None]
    return max(levels, key=int) if levels else None


def _released_row(row: Mapping[str, Any], general: tuple[str, ...], hide_benefits: bool) -> Row:
    rank = row["recognition_rank"]
    return (
        str(uuid.uuid4()),
        *general,
        int(row["first_year"]),
        _isced(row),
        q.RECOGNITION_BY_RANK.get(int(rank)) if rank is not None else None,
        q.codes_value(row["measures_started"]),
        q.codes_value(row["courses_started"]),
        q.codes_value(row["courses_completed"]),
        q.codes_value(row["placement_kinds"]),
        SUPPRESSED if hide_benefits else q.codes_value(row["benefit_kinds"]),
    )


def _rows(
    session: Session,
    first_year: int,
    last_year: int,
    chosen: tuple[Hierarchy, ...],
    result: Anonymisation,
    hide_benefits: frozenset[tuple[str, ...]],
) -> Iterator[Row]:
    statement = q.shuffled_rows(first_year, last_year).execution_options(yield_per=YIELD_PER)
    seen: dict[tuple[str, ...], int] = {}
    for row in session.execute(statement).mappings():
        general = generalise_key(chosen, _finest(row), result.levels)
        if general not in result.histogram:
            continue  # a suppressed class
        seen[general] = seen.get(general, 0) + 1
        yield _released_row(row, general, general in hide_benefits)
    if seen != result.histogram:
        raise ExportChangedError()


def build_microdata(
    session: Session,
    *,
    first_year: int,
    last_year: int,
    k: int = 5,
    max_suppression: float = 0.05,
    l_required: int = 2,
) -> Release:
    """The microdata release of persons counselled from ``first_year`` to ``last_year``.

    Runs pass 1 now (raising ``NotAnonymisableError`` when no generalisation reaches k
    within the share, ``ValueError`` for bad parameters); the table's rows run pass 2
    on ``session`` each time they are asked for, so keep the session (and, on
    PostgreSQL, a REPEATABLE READ transaction) open until the writer is done.
    """
    if not all(isinstance(y, int) and not isinstance(y, bool) for y in (first_year, last_year)):
        raise ValueError("Erstes und letztes Jahr müssen ganze Zahlen sein.")
    if first_year > last_year:
        raise ValueError("Das erste Jahr darf nicht nach dem letzten liegen.")
    chosen = hierarchies(session)
    classes, sensitive = _histograms(session, first_year, last_year)
    result = anonymise(classes, chosen, k=k, max_suppression=max_suppression)
    diversity = l_diversity(generalise_sensitive(sensitive, chosen, result), l_required)
    hide = frozenset(diversity.failing)
    values_hidden = sum(result.histogram[c] for c in hide)

    def rows() -> Iterator[Row]:
        return _rows(session, first_year, last_year, chosen, result, hide)

    table = Table(
        name="mikrodaten",
        title="Mikrodaten",
        columns=COLUMNS,
        rows=rows,
        description=DESCRIPTION,
    )
    manifest = {
        "definition_version": DEFINITION_VERSION,
        "period": {"first_year": first_year, "last_year": last_year},
        "parameters": {"k": k, "max_suppression": float(max_suppression), "l": l_required},
        "quasi_identifiers": {
            name: h.level_names[level]
            for name, h, level in zip(QUASI_IDENTIFIERS, chosen, result.levels, strict=True)
        },
        "information_loss": float(result.loss),
        "information_loss_fraction": str(result.loss),
        "rows_in": result.total_rows,
        "rows_released": result.total_rows - result.suppressed_rows,
        "rows_suppressed": result.suppressed_rows,
        "classes_released": len(result.histogram),
        "classes_suppressed": result.suppressed_classes,
        "smallest_class": result.smallest_class,
        "l_diversity": {
            "benefit_kinds": {
                "applied": True,
                "met": diversity.satisfied,
                "classes_failing": len(diversity.failing),
                "values_suppressed": values_hidden,
                "note": NOTES["benefit_kinds_met" if diversity.satisfied else "benefit_kinds"],
            },
            "residence_status_group": {
                "applied": False,
                "met": None,
                "classes_failing": None,
                "values_suppressed": 0,
                "note": NOTES["residence_status_group"],
            },
        },
    }
    return Release(kind="microdata", tables=(table,), definitions=DEFINITIONS, manifest=manifest)
