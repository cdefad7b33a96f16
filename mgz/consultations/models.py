"""Consultations: the first talk (Erstgespräch, goal 2) and follow-ups."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from mgz.core.classification import classified
from mgz.core.db import Base, TimestampMixin
from mgz.crypto.types import encrypted_column

KINDS = ("first", "follow_up")


class Consultation(TimestampMixin, Base):
    """One consultation of one client.

    ``held_on`` of the ``first`` consultation drives indicator 1; a partial unique
    index keeps it to exactly one per client even under concurrent requests.
    """

    __tablename__ = "consultations"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True, info=classified("pseudonymous")
    )
    version: Mapped[int] = mapped_column(Integer, info=classified("technical"))
    kind: Mapped[str] = mapped_column(String(12), info=classified("statistical"))
    held_on: Mapped[date] = mapped_column(index=True, info=classified("statistical"))
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), info=classified("staff"))
    channel: Mapped[str] = mapped_column(String(16), info=classified("statistical"))
    duration_minutes: Mapped[int | None] = mapped_column(
        SmallInteger, info=classified("statistical")
    )
    language: Mapped[str | None] = mapped_column(String(3), info=classified("statistical"))
    interpreter_used: Mapped[bool] = mapped_column(
        Boolean, default=False, info=classified("statistical")
    )
    topics: Mapped[list[str]] = mapped_column(JSON, default=list, info=classified("statistical"))
    referrals_out: Mapped[list[str]] = mapped_column(
        JSON, default=list, info=classified("statistical")
    )
    # The client's residence-status group when the consultation was recorded: indicator
    # 1 breaks the first consultations down by it, and a later change of status must not
    # move a past year's figure.
    residence_status_group_then: Mapped[str | None] = mapped_column(
        String(40), info=classified("statistical")
    )
    protection_seeker_then: Mapped[bool | None] = mapped_column(
        Boolean, info=classified("statistical")
    )

    next_steps: Mapped[str | None] = encrypted_column(str, subject="client_id")
    notes: Mapped[str | None] = encrypted_column(str, subject="client_id")

    __table_args__ = (
        CheckConstraint("kind IN ('first', 'follow_up')", name="kind"),
        CheckConstraint("duration_minutes BETWEEN 1 AND 600", name="duration_minutes"),
        Index(
            "uq_consultations_first_per_client",
            "client_id",
            unique=True,
            sqlite_where=text("kind = 'first'"),
            postgresql_where=text("kind = 'first'"),
        ),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy API
