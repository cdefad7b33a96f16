"""The records each aggregate measure counts for one year, with the client's dimensions.

One ``select`` per measure and year over statistical columns only
(``mgz.core.classification.statistical_table``): the records of that year joined to
their client's citizenship group, residence-status group, gender, municipality and
age band (the year minus the birth year), plus the measure's own category columns.
No condition on erasure: a crypto-shredded client's statistical attributes stay
lawful and stay counted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import and_, case, literal, or_, select
from sqlalchemy.sql import ColumnElement, Select

from mgz.core.classification import statistical_table
from mgz.core.db import Base

AGE_COLUMN = "age_band"
# (code, label, lowest age, highest age or None)
AGE_BANDS = (
    ("0-17", "unter 18 Jahre", 0, 17),
    ("18-24", "18 bis 24 Jahre", 18, 24),
    ("25-34", "25 bis 34 Jahre", 25, 34),
    ("35-44", "35 bis 44 Jahre", 35, 44),
    ("45-54", "45 bis 54 Jahre", 45, 54),
    ("55-64", "55 bis 64 Jahre", 55, 64),
    ("65+", "65 Jahre und älter", 65, None),
)


def _clients():  # noqa: ANN202 - a TableClause of SQLAlchemy's
    return statistical_table(Base.metadata, "clients", "statistical", "pseudonymous")


def _year(column: ColumnElement, year: int) -> ColumnElement[bool]:
    return column.between(date(year, 1, 1), date(year, 12, 31))


def _with_client(records, year: int, condition, *extra: ColumnElement) -> Select:  # noqa: ANN001
    """``records`` joined to their client, the client's dimensions, and ``extra``."""
    clients = _clients()
    age = year - clients.c.birth_year
    band = case(
        *(
            (age <= high, literal(code))
            for code, _label, _low, high in AGE_BANDS
            if high is not None
        ),
        else_=literal(AGE_BANDS[-1][0]),
    )
    return (
        select(
            records.c.client_id,
            clients.c.citizenship_group,
            clients.c.residence_status_group,
            clients.c.gender,
            clients.c.municipality,
            band.label(AGE_COLUMN),
            *extra,
        )
        .select_from(records.join(clients, clients.c.id == records.c.client_id))
        .where(condition)
    )


def _table(name: str, *classes: str):  # noqa: ANN202
    return statistical_table(Base.metadata, name, *(classes or ("statistical", "pseudonymous")))


def counselled(year: int) -> Select:
    """Every consultation held in ``year`` (persons are counted distinct)."""
    t = _table("consultations")
    return _with_client(t, year, _year(t.c.held_on, year))


def first_consultations(year: int) -> Select:
    """The first consultations held in ``year``."""
    t = _table("consultations")
    return _with_client(t, year, and_(t.c.kind == "first", _year(t.c.held_on, year)))


def profilings(year: int) -> Select:
    """The profilings of ``year``, with their profile type."""
    t = _table("profilings")
    return _with_client(t, year, _year(t.c.profiled_on, year), t.c.profile_type)


def qualifications(year: int) -> Select:
    """The qualifications recorded in ``year``, with ISCED level and recognition status."""
    t = _table("qualifications", "statistical", "pseudonymous", "technical")
    recorded = and_(
        t.c.created_at >= datetime(year, 1, 1, tzinfo=UTC),
        t.c.created_at < datetime(year + 1, 1, 1, tzinfo=UTC),
    )
    return _with_client(t, year, recorded, t.c.isced_level, t.c.recognition_status)


def measures(year: int) -> Select:
    """The measures started in ``year``, with their kind."""
    t = _table("measures")
    return _with_client(t, year, _year(t.c.starts_on, year), t.c.kind)


def course_referrals(year: int) -> Select:
    """The course referrals referred in ``year``, with course type and status."""
    t = _table("course_referrals")
    return _with_client(t, year, _year(t.c.referred_on, year), t.c.course_type, t.c.status)


def placements(year: int) -> Select:
    """The placements of ``year``, with their kind."""
    t = _table("placements")
    return _with_client(t, year, _year(t.c.placed_on, year), t.c.kind)


def benefits(year: int) -> Select:
    """The benefit periods touching ``year``, with their kind."""
    t = _table("benefits")
    overlaps = and_(
        t.c.from_on <= date(year, 12, 31), or_(t.c.to_on.is_(None), t.c.to_on >= date(year, 1, 1))
    )
    return _with_client(t, year, overlaps, t.c.kind)
