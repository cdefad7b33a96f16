"""Indicator 6: participants of county-funded language courses, per offer, from the kept steps.

A participant is a person whose course referral reached ``started`` with its step
date in year Y, for a course funded ``LANDKREIS``. The offers are Mama lernt Deutsch,
Deutsch-Treff and every other county-funded course together ("weitere
landkreisfinanzierte Sprachkurse"); a person counts once per offer and year however
many courses of that offer they started. The total is the sum of the per-offer
counts, as the concept publishes it (2018: 251 + 196 + 66 = 513); the distinct persons
stand beside it. The steps are a history that later steps never overwrite, so a
person who started in Y and dropped out in Y+1 stays counted for Y.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from mgz.core.classification import statistical_table
from mgz.core.db import Base
from mgz.statistics import reference_figures
from mgz.statistics.figures import YearFigure

COUNTY_FUNDING = "LANDKREIS"
OFFERS = {
    "MAMA_LERNT_DEUTSCH": "mama_lernt_deutsch",
    "DEUTSCH_TREFF": "deutsch_treff",
}
FURTHER = "further_county_courses"
PUBLISHED_KEYS = {
    "mama_lernt_deutsch": "published_indicator_6_mama_lernt_deutsch",
    "deutsch_treff": "published_indicator_6_deutsch_treff",
    FURTHER: "published_indicator_6_further_county_courses",
}


def _started(year: int):  # noqa: ANN202 - a select of SQLAlchemy's
    steps = statistical_table(Base.metadata, "course_referral_steps", "statistical",
                              "pseudonymous", "technical")  # fmt: skip
    courses = statistical_table(Base.metadata, "courses", "statistical", "technical")
    offer = case(
        *((courses.c.course_type == code, name) for code, name in OFFERS.items()), else_=FURTHER
    )
    return (
        select(steps.c.client_id, offer.label("offer"))
        .select_from(steps.join(courses, courses.c.id == steps.c.course_id))
        .where(
            steps.c.status == "started",
            steps.c.status_on.between(date(year, 1, 1), date(year, 12, 31)),
            courses.c.funding == COUNTY_FUNDING,
        )
        .subquery()
    )


def compute(session: Session, first: int, last: int, today: date) -> list[YearFigure]:
    """Indicator 6 for each year from ``first`` to ``last`` (two queries per year)."""
    published = {
        offer: reference_figures.current_values(session, key, first, last)
        for offer, key in PUBLISHED_KEYS.items()
    }
    figures = []
    for year in range(first, last + 1):
        started = _started(year)
        per_offer = dict(
            session.execute(
                select(started.c.offer, func.count(distinct(started.c.client_id))).group_by(
                    started.c.offer
                )
            ).all()
        )
        persons = session.scalar(select(func.count(distinct(started.c.client_id)))) or 0
        breakdowns = {name: int(per_offer.get(name, 0)) for name in (*OFFERS.values(), FURTHER)}
        figures.append(
            YearFigure(
                year=year,
                value=float(sum(breakdowns.values())),
                provisional=today <= date(year, 12, 31),
                breakdowns=breakdowns,
                distinct_persons=int(persons),
                published={
                    offer: by_year[year].value
                    for offer, by_year in published.items()
                    if year in by_year
                },
            )
        )
    return figures
