"""Case numbers like MGZ-2026-000123: unique, per year, safe under concurrent intake.

A counter row per year is incremented with ``UPDATE … RETURNING``; the row lock
serialises concurrent creators on PostgreSQL (and SQLite's write lock does the same),
so two requests never draw the same number. A rolled-back intake gives its number
back with the rollback; numbers may still skip if a number is drawn and the row is
later refused, which is acceptable ("gap-tolerant"); a duplicate never is, and the
unique constraint on ``clients.case_number`` is the last line of defence.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mgz.clients.models import CaseNumberCounter

PREFIX = "MGZ"


def format_case_number(year: int, value: int) -> str:
    """Render the public form."""
    return f"{PREFIX}-{year:04d}-{value:06d}"


def allocate_case_number(session: Session, year: int) -> str:
    """Draw the next case number of ``year`` inside the caller's transaction."""
    bump = (
        update(CaseNumberCounter)
        .where(CaseNumberCounter.year == year)
        .values(last_value=CaseNumberCounter.last_value + 1)
        .returning(CaseNumberCounter.last_value)
        .execution_options(synchronize_session=False)
    )
    value = session.execute(bump).scalar_one_or_none()
    if value is None:
        try:
            with session.begin_nested():
                session.add(CaseNumberCounter(year=year, last_value=1))
            value = 1
        except IntegrityError:
            # Another request created this year's row first; take the next number.
            value = session.execute(bump).scalar_one()
    return format_case_number(year, value)
