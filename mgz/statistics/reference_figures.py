"""Reference figures: recorded by statisticians, versioned, never overwritten, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mgz.audit import service as audit
from mgz.core.actor import Actor
from mgz.core.errors import ConflictError, InvalidInputError, NotFoundError
from mgz.statistics.definitions import FIRST_YEAR, REFERENCE_FIGURES
from mgz.statistics.models import ReferenceFigure


class UnknownReferenceFigureError(NotFoundError):
    """No reference figure of that key exists."""

    slug = "unknown-reference-figure"


class ConcurrentFigureError(ConflictError):
    """Another request recorded a version of the same figure at the same moment."""

    slug = "concurrent-reference-figure"


@dataclass(frozen=True)
class FigureValues:
    """What a statistician records for one key and year."""

    value: int
    source: str
    as_of: date


def _known(key: str) -> None:
    if key not in REFERENCE_FIGURES:
        raise UnknownReferenceFigureError(
            "Unbekannte Bezugsgröße; bekannt sind: " + ", ".join(sorted(REFERENCE_FIGURES)) + "."
        )


def set_figure(
    session: Session, actor: Actor, key: str, year: int, values: FigureValues, today: date
) -> ReferenceFigure:
    """Record a new version of ``key`` for ``year``; earlier versions stay as they were."""
    _known(key)
    errors: dict[str, list[str]] = {}
    if not FIRST_YEAR <= year <= today.year:
        errors["year"] = [f"Jahr muss zwischen {FIRST_YEAR} und {today.year} liegen."]
    if values.as_of > today:
        errors["as_of"] = ["Datum liegt in der Zukunft."]
    if errors:
        raise InvalidInputError("Eingabe ungültig.", errors=errors)
    latest = session.scalar(
        select(func.max(ReferenceFigure.version)).where(
            ReferenceFigure.key == key, ReferenceFigure.year == year
        )
    )
    figure = ReferenceFigure(
        key=key,
        year=year,
        version=(latest or 0) + 1,
        value=values.value,
        source=values.source,
        as_of=values.as_of,
        recorded_by_id=actor.user_id,
    )
    try:
        with session.begin_nested():
            session.add(figure)
    except IntegrityError:
        raise ConcurrentFigureError(
            "Die Bezugsgröße wurde gerade von anderer Seite geändert; bitte neu laden."
        ) from None
    audit.record(
        session,
        actor,
        "statistics.reference_figure.set",
        object_type="reference_figure",
        object_id=f"{key}:{year}",
        fields=["value", "source", "as_of"],
        details={"key": key, "year": year, "version": figure.version, "value": values.value},
    )
    return figure


def history(session: Session, key: str | None = None) -> list[ReferenceFigure]:
    """Every version, by key, year and version (oldest first)."""
    if key is not None:
        _known(key)
    query = select(ReferenceFigure).order_by(
        ReferenceFigure.key, ReferenceFigure.year, ReferenceFigure.version
    )
    if key is not None:
        query = query.where(ReferenceFigure.key == key)
    return list(session.scalars(query))


def current_values(session: Session, key: str, first: int, last: int) -> dict[int, ReferenceFigure]:
    """The version in force (the newest) of ``key`` for each year of a range that has one."""
    newest = (
        select(ReferenceFigure.year, func.max(ReferenceFigure.version).label("version"))
        .where(ReferenceFigure.key == key, ReferenceFigure.year.between(first, last))
        .group_by(ReferenceFigure.year)
        .subquery()
    )
    rows = session.scalars(
        select(ReferenceFigure)
        .join(
            newest,
            (ReferenceFigure.year == newest.c.year) & (ReferenceFigure.version == newest.c.version),
        )
        .where(ReferenceFigure.key == key)
    )
    return {row.year: row for row in rows}
