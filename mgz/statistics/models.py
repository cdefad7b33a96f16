"""Reference figures: numbers from outside mgz that indicators compare against.

A figure (e.g. the registration offices' count of newly arrived third-country
nationals aged 21 or more in a year) is never overwritten: a correction adds a
version, so a figure published earlier can always be traced to what it was computed
from. The newest version of a key and year is the one in force.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mgz.core.classification import classified
from mgz.core.db import Base, utcnow


class ReferenceFigure(Base):
    """One version of a reference figure for a key and a year (Bezugsgröße)."""

    __tablename__ = "reference_figures"

    id: Mapped[int] = mapped_column(primary_key=True, info=classified("technical"))
    key: Mapped[str] = mapped_column(String(64), info=classified("statistical"))
    year: Mapped[int] = mapped_column(SmallInteger, info=classified("statistical"))
    version: Mapped[int] = mapped_column(Integer, info=classified("technical"))
    value: Mapped[int] = mapped_column(Integer, info=classified("statistical"))
    source: Mapped[str] = mapped_column(String(200), info=classified("statistical"))
    as_of: Mapped[date] = mapped_column(info=classified("statistical"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, info=classified("technical"))
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), info=classified("staff")
    )

    __table_args__ = (
        UniqueConstraint("key", "year", "version"),
        CheckConstraint("value >= 0", name="value"),
        CheckConstraint("version >= 1", name="version"),
    )
