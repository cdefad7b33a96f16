"""Indicator 10: integrations of protection seekers on SGB II into insured work or training.

Placements with ``placed_on`` in year Y whose kind is employment or vocational training
subject to social insurance and counted as an integration (the code list's attributes
``subject_to_social_insurance`` and ``counts_as_integration``: SVB and AUSBILDUNG; an
Einstiegsqualifizierung is insured but prepares for training, so it is no integration),
whose snapshot taken with the placement names a protection-seeker residence-status
group and SGB II receipt. At most one per person and calendar month, as the job
centres' K2 figure counts integrations: of several placements of one person in one
month the earliest counts (its kind decides the breakdown). Later changes of the
client file never move a figure: only the placement's own snapshot is read.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import distinct, extract, func, select
from sqlalchemy.orm import Session

from mgz.core.classification import statistical_table
from mgz.core.db import Base
from mgz.reference import service as reference
from mgz.statistics import reference_figures
from mgz.statistics.figures import YearFigure

CUMULATIVE_FROM = 2017
PUBLISHED_KEY = "published_indicator_10"


def _codes_with(session: Session, list_name: str, *attributes: str) -> list[str]:
    return sorted(
        entry.code
        for entry in reference.codes(session, list_name, include_withdrawn=True)
        if all(entry.attributes.get(name) for name in attributes)
    )


def _counted(session: Session, first: int, last: int):  # noqa: ANN202 - a SQLAlchemy subquery
    """One row per person and month that counts: (year, client, kind), earliest first."""
    placements = statistical_table(Base.metadata, "placements")
    year = extract("year", placements.c.placed_on)
    month = extract("month", placements.c.placed_on)
    rank = func.row_number().over(
        partition_by=(placements.c.client_id, year, month),
        order_by=(placements.c.placed_on, placements.c.kind),
    )
    ranked = (
        select(
            year.label("year"),
            placements.c.client_id,
            placements.c.kind,
            rank.label("rank"),
        )
        .where(
            placements.c.placed_on.between(date(first, 1, 1), date(last, 12, 31)),
            placements.c.kind.in_(
                _codes_with(
                    session,
                    "placement_outcome",
                    "subject_to_social_insurance",
                    "counts_as_integration",
                )  # fmt: skip
            ),
            placements.c.residence_status_group.in_(
                _codes_with(session, "residence_status_group", "protection_seeker")
            ),
            placements.c.receives_sgb2.is_(True),
        )
        .subquery()
    )
    return select(ranked.c.year, ranked.c.client_id, ranked.c.kind).where(ranked.c.rank == 1)


def compute(session: Session, first: int, last: int, today: date) -> list[YearFigure]:
    """Indicator 10 for each year from ``first`` to ``last``, with the cumulative count."""
    low = min(first, CUMULATIVE_FROM)
    counted = _counted(session, low, last).subquery()
    per_kind: dict[int, dict[str, int]] = {}
    for year, kind, n in session.execute(
        select(counted.c.year, counted.c.kind, func.count()).group_by(
            counted.c.year, counted.c.kind
        )
    ):
        per_kind.setdefault(int(year), {})[kind] = int(n)
    persons = dict(
        session.execute(
            select(counted.c.year, func.count(distinct(counted.c.client_id))).group_by(
                counted.c.year
            )
        ).all()
    )
    published = reference_figures.current_values(session, PUBLISHED_KEY, first, last)
    figures, running = [], 0
    for year in range(low, last + 1):
        kinds = per_kind.get(year, {})
        total = sum(kinds.values())
        if year >= CUMULATIVE_FROM:
            running += total
        if year < first:
            continue
        figures.append(
            YearFigure(
                year=year,
                value=float(total),
                provisional=today <= date(year, 12, 31),
                breakdowns={
                    "employment": kinds.get("SVB", 0),
                    "vocational_training": kinds.get("AUSBILDUNG", 0),
                },
                distinct_persons=int(persons.get(year, 0)),
                cumulative=running if year >= CUMULATIVE_FROM else None,
                published={"indicator_10": published[year].value} if year in published else {},
            )
        )
    return figures
