"""The KIM report: open referrals, waiting times, unmet needs, places and waiting lists.

Computed in the database with set-based SQL (GROUP BY; the median with window
functions, which SQLite and PostgreSQL both have), from statistical columns only:
the tables come from ``statistical_table``, which has no identifying column, and
this package cannot import a model with encrypted fields (import-linter). Advisers
see the counts as they are; statisticians see them with small cells hidden
(:mod:`mgz.statistics.suppression`), and a median only where its count is shown.

Definitions (KIM, goal 26; goals 16 and 22):

- open referral: status planned, referred or registered (waiting for a course);
- waiting time: days from ``referred`` to ``started`` of the referrals that
  started, by course type and the client's municipality;
- unmet need: a referral not ended (planned to started) whose childcare need or
  mobility barrier is not solved, counted once per client and need;
- places and waiting list: per course that has not ended, referrals holding a
  place, and those on its waiting list (:mod:`mgz.courses.workflow`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.core.actor import Actor
from mgz.core.classification import statistical_table
from mgz.core.db import Base
from mgz.courses.workflow import OPEN_STATUSES, PLACE_STATUSES, WAITING_STATUSES
from mgz.statistics.suppression import suppress

NEEDS = ("childcare", "mobility")
PLACES = ("places_taken", "waiting_list")


@dataclass
class Table:
    """A published table: labels, cells, margins; counts or "x" when suppressed."""

    rows: list[str]
    columns: list[str]
    cells: list[list[Any]]
    row_totals: list[Any]
    column_totals: list[Any]
    total: Any
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class KimReport:
    """The four parts of the report, and whether small cells were suppressed."""

    suppressed: bool
    threshold: int | None
    open_referrals: Table
    waiting_time: Table
    unmet_needs: Table
    courses: Table


def _tables() -> tuple[Any, Any, Any]:
    metadata = Base.metadata
    return (
        statistical_table(metadata, "course_referrals", "statistical", "pseudonymous", "technical"),
        statistical_table(metadata, "clients"),
        statistical_table(metadata, "courses", "statistical", "technical"),
    )


def _table(
    rows: Sequence[str],
    columns: Sequence[str],
    counts: dict[tuple[str, str], int],
    threshold: int | None,
) -> tuple[Table, frozenset[tuple[int, int]]]:
    grid = [[counts.get((r, c), 0) for c in columns] for r in rows]
    if not grid:
        return Table(list(rows), list(columns), [], [], [0] * len(columns), 0), frozenset()
    if threshold is None:
        sums = [sum(row) for row in grid]
        totals = [sum(row[i] for row in grid) for i in range(len(columns))]
        table = Table(list(rows), list(columns), grid, sums, totals, sum(sums))
        return table, frozenset()
    hidden = suppress(grid, threshold)
    table = Table(
        list(rows),
        list(columns),
        hidden.rows(),
        hidden.row_totals(),
        hidden.column_totals(),
        hidden.total(),
    )
    return table, hidden.hidden


def _labels(pairs: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    keys = list(pairs)
    return sorted({r for r, _ in keys}), sorted({c for _, c in keys})


def _open_referrals(session: Session, threshold: int | None) -> Table:
    referrals, clients, _courses = _tables()
    rows = session.execute(
        select(referrals.c.course_type, clients.c.municipality, func.count())
        .join(clients, clients.c.id == referrals.c.client_id)
        .where(referrals.c.status.in_(WAITING_STATUSES))
        .group_by(referrals.c.course_type, clients.c.municipality)
    ).all()
    counts = {(r[0], r[1]): r[2] for r in rows}
    return _table(*_labels(counts), counts, threshold)[0]


def _waiting_time(session: Session, threshold: int | None) -> Table:
    referrals, clients, _courses = _tables()
    keys = (referrals.c.course_type, clients.c.municipality)
    ranked = (
        select(
            referrals.c.course_type.label("course_type"),
            clients.c.municipality.label("municipality"),
            referrals.c.waiting_days.label("days"),
            func.row_number()
            .over(partition_by=keys, order_by=(referrals.c.waiting_days, referrals.c.id))
            .label("position"),
            func.count().over(partition_by=keys).label("n"),
        )
        .join(clients, clients.c.id == referrals.c.client_id)
        .where(referrals.c.waiting_days.is_not(None))
        .subquery()
    )
    # The middle row (odd n) or the two middle rows (even n): integer division.
    middle = or_(
        ranked.c.position == (ranked.c.n + 1) // 2, ranked.c.position == (ranked.c.n + 2) // 2
    )
    rows = session.execute(
        select(
            ranked.c.course_type,
            ranked.c.municipality,
            func.max(ranked.c.n),
            func.avg(ranked.c.days),
        )
        .where(middle)
        .group_by(ranked.c.course_type, ranked.c.municipality)
    ).all()
    counts = {(r[0], r[1]): int(r[2]) for r in rows}
    medians = {(r[0], r[1]): float(r[3]) for r in rows}
    row_labels, column_labels = _labels(counts)
    table, hidden = _table(row_labels, column_labels, counts, threshold)
    table.extra["median_days"] = [
        ["x" if (i, j) in hidden else medians.get((r, c)) for j, c in enumerate(column_labels)]
        for i, r in enumerate(row_labels)
    ]
    return table


def _unmet_needs(session: Session, threshold: int | None) -> Table:
    referrals, clients, _courses = _tables()
    childcare = and_(referrals.c.childcare_needed, ~referrals.c.childcare_solved)
    mobility = and_(referrals.c.mobility_barrier, ~referrals.c.mobility_solved)
    rows = session.execute(
        select(
            clients.c.municipality,
            func.count(func.distinct(case((childcare, referrals.c.client_id)))),
            func.count(func.distinct(case((mobility, referrals.c.client_id)))),
        )
        .join(clients, clients.c.id == referrals.c.client_id)
        .where(referrals.c.status.in_(OPEN_STATUSES), or_(childcare, mobility))
        .group_by(clients.c.municipality)
    ).all()
    counts = {}
    for municipality, children, ways in rows:
        counts[(municipality, NEEDS[0])] = children
        counts[(municipality, NEEDS[1])] = ways
    return _table(sorted({r[0] for r in rows}), list(NEEDS), counts, threshold)[0]


def _courses(session: Session, threshold: int | None, today: date) -> Table:
    referrals, _clients, courses = _tables()
    holding = referrals.c.status.in_(PLACE_STATUSES)
    rows = session.execute(
        select(
            courses.c.id,
            courses.c.course_type,
            courses.c.municipality,
            courses.c.capacity,
            courses.c.starts_on,
            func.count(case((and_(holding, ~referrals.c.waitlisted), referrals.c.id))),
            func.count(case((and_(holding, referrals.c.waitlisted), referrals.c.id))),
        )
        .outerjoin(referrals, referrals.c.course_id == courses.c.id)
        .where(or_(courses.c.ends_on.is_(None), courses.c.ends_on >= today))
        .group_by(
            courses.c.id,
            courses.c.course_type,
            courses.c.municipality,
            courses.c.capacity,
            courses.c.starts_on,
        )
        .order_by(courses.c.starts_on, courses.c.id)
    ).all()
    labels = [str(row[0]) for row in rows]
    counts = {}
    for label, row in zip(labels, rows, strict=True):
        counts[(label, PLACES[0])] = row[5]
        counts[(label, PLACES[1])] = row[6]
    table = _table(labels, list(PLACES), counts, threshold)[0]
    table.extra["courses"] = [
        {
            "id": label,
            "course_type": row[1],
            "municipality": row[2],
            "capacity": row[3],
            "starts_on": row[4],
        }
        for label, row in zip(labels, rows, strict=True)
    ]
    return table


def kim_report(session: Session, actor: Actor, *, threshold: int, today: date) -> KimReport:
    """The report for ``actor``: whole counts for advisers, suppressed ones for everyone else.

    Writes one ``course.report`` event (no personal field is read).
    """
    cut = None if actor.has_role("adviser") else threshold
    report = KimReport(
        suppressed=cut is not None,
        threshold=cut,
        open_referrals=_open_referrals(session, cut),
        waiting_time=_waiting_time(session, cut),
        unmet_needs=_unmet_needs(session, cut),
        courses=_courses(session, cut, today),
    )
    record(
        session,
        actor,
        "course.report",
        object_type="course_report",
        details={"suppressed": report.suppressed, "threshold": cut or 0},
    )
    return report
