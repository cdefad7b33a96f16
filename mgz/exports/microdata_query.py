"""The SQL of the microdata export: one row per counselled person, statistical columns only.

Every column is read through ``statistical_table`` (no identifying, secret or staff
column can even be named) and every multi-valued variable is aggregated in the
database by a correlated subquery, so a row arrives complete and nothing has to be
collected in Python. The two passes of ``mgz.exports.microdata`` share these
expressions: pass 1 groups by the finest quasi-identifiers, pass 2 streams the rows.

The SQLite shipped with Python 3.11 (3.40) knows no ``ORDER BY`` inside an aggregate,
so the codes of a multi-valued variable come in any order and possibly repeated:
``codes_value`` makes the one canonical value of them (sorted, distinct) in Python,
row by row.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Integer, and_, case, cast, extract, func, or_, select
from sqlalchemy.sql import ColumnElement, Select

from mgz.core.classification import statistical_table
from mgz.core.db import Base

SEPARATOR = "|"
NONE_VALUE = "keine"

# Best recognition outcome first: the four decisions of the BQ-Portal by how much they
# recognise, then the process states by how far they got. A person's outcome is the
# best one over all their qualifications.
RECOGNITION_ORDER = (
    "fully_equivalent",
    "partly_equivalent",
    "compensation_required",
    "not_equivalent",
    "in_process",
    "applied",
    "counselled",
    "not_applied",
)
_RECOGNITION_RANK = {code: len(RECOGNITION_ORDER) - i for i, code in enumerate(RECOGNITION_ORDER)}
RECOGNITION_BY_RANK = {rank: code for code, rank in _RECOGNITION_RANK.items()}

# The finest quasi-identifier columns, in ``QUASI_IDENTIFIERS`` order.
QI_COLUMNS = (
    "age",
    "gender",
    "citizenship_group",
    "residence_status_group",
    "municipality",
    "year_moved_in",
)
# Every further column pass 2 reads, in release order.
VALUE_COLUMNS = (
    "first_year",
    "isced_qualification",
    "isced_schooling",
    "recognition_rank",
    "measures_started",
    "courses_started",
    "courses_completed",
    "placement_kinds",
    "benefit_kinds",
)


def codes_value(raw: str | None) -> str:
    """The canonical value of an aggregated code list: distinct, sorted, ``|``-joined."""
    if not raw:
        return NONE_VALUE
    return SEPARATOR.join(sorted({code for code in raw.split(SEPARATOR) if code}))


def _codes(column: ColumnElement[str], *where: ColumnElement[bool]) -> ColumnElement[str]:
    return select(func.aggregate_strings(column, SEPARATOR)).where(*where).scalar_subquery()


def _in_period(column: ColumnElement[date], start: date, end: date) -> ColumnElement[bool]:
    return column.between(start, end)


def people(first_year: int, last_year: int) -> Select:
    """One row per client with a consultation held in the period, every column labelled.

    Columns: ``QI_COLUMNS`` (age is the year of the first consultation in the period
    minus the birth year) and ``VALUE_COLUMNS``. Multi-valued columns are raw
    aggregates (``codes_value`` makes them canonical); the ISCED levels of
    qualifications and of the schooling in profilings come apart and are combined in
    Python (SQLite's two-argument ``max`` is NULL as soon as one side is).
    """
    start, end = date(first_year, 1, 1), date(last_year, 12, 31)
    clients = statistical_table(Base.metadata, "clients")
    consultations = statistical_table(Base.metadata, "consultations")
    qualifications = statistical_table(Base.metadata, "qualifications")
    profilings = statistical_table(Base.metadata, "profilings")
    measures = statistical_table(Base.metadata, "measures")
    referrals = statistical_table(Base.metadata, "course_referrals")
    placements = statistical_table(Base.metadata, "placements")
    benefits = statistical_table(Base.metadata, "benefits")

    first = (
        select(
            consultations.c.client_id.label("client_id"),
            func.min(consultations.c.held_on).label("first_held_on"),
        )
        .where(_in_period(consultations.c.held_on, start, end))
        .group_by(consultations.c.client_id)
        .subquery("first_in_period")
    )
    first_year_expr = cast(extract("year", first.c.first_held_on), Integer)
    person = clients.c.id
    rank = case(
        *(
            (qualifications.c.recognition_status == code, r)
            for code, r in _RECOGNITION_RANK.items()
        ),
        else_=None,
    )
    return select(
        (first_year_expr - clients.c.birth_year).label("age"),
        clients.c.gender.label("gender"),
        clients.c.citizenship_group.label("citizenship_group"),
        clients.c.residence_status_group.label("residence_status_group"),
        clients.c.municipality.label("municipality"),
        cast(extract("year", clients.c.moved_in_on), Integer).label("year_moved_in"),
        first_year_expr.label("first_year"),
        select(func.max(qualifications.c.isced_level))
        .where(qualifications.c.client_id == person)
        .scalar_subquery()
        .label("isced_qualification"),
        select(func.max(profilings.c.schooling_isced_level))
        .where(profilings.c.client_id == person)
        .scalar_subquery()
        .label("isced_schooling"),
        select(func.max(rank))
        .where(qualifications.c.client_id == person)
        .scalar_subquery()
        .label("recognition_rank"),
        _codes(
            measures.c.kind,
            measures.c.client_id == person,
            _in_period(measures.c.starts_on, start, end),
        ).label("measures_started"),
        _codes(
            referrals.c.course_type,
            referrals.c.client_id == person,
            _in_period(referrals.c.started_on, start, end),
        ).label("courses_started"),
        _codes(
            referrals.c.course_type,
            referrals.c.client_id == person,
            referrals.c.status == "completed",
            _in_period(referrals.c.status_on, start, end),
        ).label("courses_completed"),
        _codes(
            placements.c.kind,
            placements.c.client_id == person,
            _in_period(placements.c.placed_on, start, end),
        ).label("placement_kinds"),
        # A benefit counts when its period overlaps the export's period.
        _codes(
            benefits.c.kind,
            benefits.c.client_id == person,
            benefits.c.from_on <= end,
            or_(benefits.c.to_on.is_(None), benefits.c.to_on >= start),
        ).label("benefit_kinds"),
    ).select_from(clients.join(first, and_(first.c.client_id == person)))


def class_histogram(first_year: int, last_year: int) -> Select:
    """Pass 1: persons per (finest quasi-identifier tuple, raw benefit kinds)."""
    per_person = people(first_year, last_year).subquery("per_person")
    keys = [per_person.c[name] for name in (*QI_COLUMNS, "benefit_kinds")]
    return select(*keys, func.count().label("persons")).group_by(*keys)


def shuffled_rows(first_year: int, last_year: int) -> Select:
    """Pass 2: every person's row, in an order the database draws anew each time."""
    return people(first_year, last_year).order_by(func.random())
