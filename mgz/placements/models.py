"""Placements (with their follow-up), benefit periods and measures of a client.

Codes, dates and hours are statistical columns (plaintext, counted by indicator 10
and the Datenservicestelle's export); remarks and a measure's provider are free text
typed by staff and are encrypted with the client's data key.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mgz.core.classification import classified
from mgz.core.db import Base, TimestampMixin
from mgz.crypto.types import encrypted_column

STILL_EMPLOYED = ("yes", "no", "unknown")
MEASURE_OUTCOMES = ("completed", "dropped")
MAX_WEEKLY_HOURS = 60


class Placement(TimestampMixin, Base):
    """One placement of a client into work or training (goal 44).

    ``residence_status``, ``residence_status_group`` and ``receives_sgb2`` are
    snapshots of the client file taken when the placement was recorded: indicator 10
    counts by them, so a later change of the client's status never changes a past
    year's figure. ``follow_up_due_on`` is ``placed_on`` plus six months (goal 45),
    stored so the list of follow-ups due is a plain indexed query.
    """

    __tablename__ = "placements"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True, info=classified("pseudonymous")
    )
    version: Mapped[int] = mapped_column(Integer, info=classified("technical"))
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), info=classified("staff"))
    placed_on: Mapped[date] = mapped_column(index=True, info=classified("statistical"))
    kind: Mapped[str] = mapped_column(String(40), info=classified("statistical"))
    # KldB 2010, five digits: Berufsbereich (1st) ... Anforderungsniveau (5th).
    kldb_code: Mapped[str] = mapped_column(String(5), info=classified("statistical"))
    weekly_hours: Mapped[float | None] = mapped_column(Float, info=classified("statistical"))
    employer_sector: Mapped[str | None] = mapped_column(String(1), info=classified("statistical"))
    residence_status: Mapped[str | None] = mapped_column(String(40), info=classified("statistical"))
    residence_status_group: Mapped[str | None] = mapped_column(
        String(40), info=classified("statistical")
    )
    receives_sgb2: Mapped[bool | None] = mapped_column(Boolean, info=classified("statistical"))
    follow_up_due_on: Mapped[date] = mapped_column(index=True, info=classified("statistical"))
    follow_up_checked_on: Mapped[date | None] = mapped_column(info=classified("statistical"))
    still_employed: Mapped[str | None] = mapped_column(String(8), info=classified("statistical"))

    remarks: Mapped[str | None] = encrypted_column(str, subject="client_id")

    __table_args__ = (
        CheckConstraint(
            f"weekly_hours > 0 AND weekly_hours <= {MAX_WEEKLY_HOURS}", name="weekly_hours"
        ),
        CheckConstraint("still_employed IN ('yes', 'no', 'unknown')", name="still_employed"),
        CheckConstraint(
            "(still_employed IS NULL) = (follow_up_checked_on IS NULL)", name="follow_up_complete"
        ),
        CheckConstraint("follow_up_checked_on >= follow_up_due_on", name="follow_up_not_early"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy API


class Benefit(TimestampMixin, Base):
    """One period in which a client received one kind of benefit (goal 87).

    ``to_on`` NULL: still receiving. Periods of one kind of one client never overlap;
    the service checks that under a row lock on the client (see ``service.benefits``).
    """

    __tablename__ = "benefits"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True, info=classified("pseudonymous")
    )
    version: Mapped[int] = mapped_column(Integer, info=classified("technical"))
    kind: Mapped[str] = mapped_column(String(40), info=classified("statistical"))
    from_on: Mapped[date] = mapped_column(info=classified("statistical"))
    to_on: Mapped[date | None] = mapped_column(info=classified("statistical"))

    remarks: Mapped[str | None] = encrypted_column(str, subject="client_id")

    __table_args__ = (CheckConstraint("to_on IS NULL OR to_on >= from_on", name="period"),)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy API


class Measure(TimestampMixin, Base):
    """One measure a client started (vocational orientation, further training, ...).

    ``provider`` is free text (the name of an institution, but typed by staff and
    possibly more), so it is encrypted like remarks. ``outcome`` NULL: still running.
    """

    __tablename__ = "measures"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True, info=classified("pseudonymous")
    )
    version: Mapped[int] = mapped_column(Integer, info=classified("technical"))
    kind: Mapped[str] = mapped_column(String(40), info=classified("statistical"))
    starts_on: Mapped[date] = mapped_column(index=True, info=classified("statistical"))
    ends_on: Mapped[date | None] = mapped_column(info=classified("statistical"))
    outcome: Mapped[str | None] = mapped_column(String(12), info=classified("statistical"))

    provider: Mapped[str | None] = encrypted_column(str, subject="client_id")
    remarks: Mapped[str | None] = encrypted_column(str, subject="client_id")

    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),
        CheckConstraint("outcome IN ('completed', 'dropped')", name="outcome"),
        CheckConstraint("outcome IS NULL OR ends_on IS NOT NULL", name="outcome_has_end"),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy API
