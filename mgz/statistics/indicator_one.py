"""Indicator 1: newly arrived third-country nationals aged 21+ reached by a first consultation.

The numerator is one set-based query over statistical columns only: clients whose
citizenship group is ``third_country``, who moved in from abroad with a move-in date
in year Y, were 21 or older on that day (``age_at_move_in``, derived exact to the day
when the dates are written), and whose first consultation was held from 1 January Y
to 31 March Y+1, both included. The breakdown into protection seekers and others uses
the status recorded with the first consultation, not today's. Stateless people and
people of unknown citizenship are not third-country nationals here; they are counted
beside the indicator (under the same conditions) so nobody wonders where they went.
The denominator is the registration offices' figure, never estimated.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.orm import Session

from mgz.core.classification import statistical_table
from mgz.core.db import Base
from mgz.statistics import reference_figures
from mgz.statistics.figures import YearFigure

DENOMINATOR_KEY = "new_third_country_nationals_21plus"
MIN_AGE = 21
# Groups counted beside the indicator rather than in it.
BESIDE_GROUPS = ("stateless", "unknown")


def window_end(year: int) -> date:
    """The last day a first consultation counts for year ``year``: 31 March of Y+1."""
    return date(year + 1, 3, 31)


def _counts(session: Session, year: int) -> dict[tuple[str, bool], int]:
    """(citizenship group, protection seeker at the first consultation) -> persons."""
    clients = statistical_table(Base.metadata, "clients")
    consultations = statistical_table(Base.metadata, "consultations")
    seeker = case((consultations.c.protection_seeker_then == true(), True), else_=False)
    query = (
        select(clients.c.citizenship_group, seeker.label("seeker"), func.count())
        .select_from(
            clients.join(
                consultations,
                and_(consultations.c.client_id == clients.c.id, consultations.c.kind == "first"),
            )
        )
        .where(
            clients.c.moved_in_from_abroad == true(),
            clients.c.moved_in_on.between(date(year, 1, 1), date(year, 12, 31)),
            clients.c.age_at_move_in >= MIN_AGE,
            consultations.c.held_on.between(date(year, 1, 1), window_end(year)),
        )
        .group_by(clients.c.citizenship_group, seeker)
    )
    return {(group, bool(is_seeker)): int(n) for group, is_seeker, n in session.execute(query)}


def compute(session: Session, first: int, last: int, today: date) -> list[YearFigure]:
    """Indicator 1 for each year from ``first`` to ``last`` (one query per year)."""
    denominators = reference_figures.current_values(session, DENOMINATOR_KEY, first, last)
    figures = []
    for year in range(first, last + 1):
        counts = _counts(session, year)
        seekers = counts.get(("third_country", True), 0)
        others = counts.get(("third_country", False), 0)
        numerator = seekers + others
        figure = YearFigure(
            year=year,
            numerator=numerator,
            denominator=None,
            value=None,
            provisional=today <= window_end(year),
            breakdowns={"protection_seekers": seekers, "other_third_country_nationals": others},
            beside={
                group: counts.get((group, True), 0) + counts.get((group, False), 0)
                for group in BESIDE_GROUPS
            },
        )
        reference = denominators.get(year)
        if reference is None:
            figure.reason = (
                f"Bezugsgröße {DENOMINATOR_KEY} für {year} fehlt (Meldebehörden, "
                "Fachdienst Ordnung); ohne sie gibt es keinen Anteil."
            )
        elif reference.value == 0:
            figure.denominator = 0
            figure.reason = "Bezugsgröße ist 0; ein Anteil ist nicht definiert."
        else:
            figure.denominator = reference.value
            figure.value = round(100 * numerator / reference.value, 1)
        if reference is not None:
            figure.denominator_source = {
                "source": reference.source,
                "as_of": reference.as_of,
                "version": reference.version,
            }
        figures.append(figure)
    return figures
