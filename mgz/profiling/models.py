"""Profilings: one dated row per profiling of a client, never changed after writing.

Codes and ratings that statistics need (ISCED levels, KldB codes, CEFR levels, needs,
profile types) are plaintext columns or JSON lists of codes; health remarks and every
free text (certificate names, next steps, notes, the override reason) are encrypted
with the client's data key.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from mgz.core.db import Base, utcnow
from mgz.crypto.types import encrypted_column

_RATING_CHECK = "IN ('none', 'some', 'strong')"


class Profiling(Base):
    """One profiling of one client (append-only: no update, no delete)."""

    __tablename__ = "profilings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    # 1, 2, 3 … per client: the order in which profilings were recorded.
    sequence: Mapped[int] = mapped_column(Integer)
    profiled_on: Mapped[date] = mapped_column(index=True)
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Schooling (Schulbildung).
    schooling_years: Mapped[int | None] = mapped_column(SmallInteger)
    schooling_isced_level: Mapped[str | None] = mapped_column(String(2))
    schooling_country: Mapped[str | None] = mapped_column(String(2))
    schooling_certificate: Mapped[str | None] = encrypted_column(str, subject="client_id")
    # Vocational training and higher education: [{kind, isced_level, kldb_code,
    # is_completed, country, year}], codes only.
    education: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # Work experience: [{kldb_code, years}].
    work_experience: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # German by skill: {listening|reading|speaking|writing: {level, is_certified}}.
    german_skills: Mapped[dict] = mapped_column(JSON, default=dict)
    german_certificate: Mapped[str | None] = encrypted_column(str, subject="client_id")
    # Other languages: [{language, level}].
    other_languages: Mapped[list[dict]] = mapped_column(JSON, default=list)
    is_literate_latin: Mapped[bool | None] = mapped_column(Boolean)
    driving_licences: Mapped[list[str]] = mapped_column(JSON, default=list)
    strengths: Mapped[list[str]] = mapped_column(JSON, default=list)

    # Needs per key factor (Handlungsbedarf je Schlüsselgröße).
    need_qualification: Mapped[str] = mapped_column(String(8))
    need_capability: Mapped[str] = mapped_column(String(8))
    need_motivation: Mapped[str] = mapped_column(String(8))
    need_framework_conditions: Mapped[str] = mapped_column(String(8))
    # Framework conditions in detail: {childcare|housing|finances|mobility|
    # residence_work_permit: rating}.
    framework_needs: Mapped[dict] = mapped_column(JSON, default=dict)
    main_need: Mapped[str | None] = mapped_column(String(24))
    health_remarks: Mapped[str | None] = encrypted_column(str, subject="client_id")

    # Profile type: the server's suggestion beside the adviser's decision.
    suggested_profile_type: Mapped[str] = mapped_column(String(2), index=True)
    profile_type: Mapped[str] = mapped_column(String(2), index=True)
    profile_type_group: Mapped[str] = mapped_column(String(24))
    override_reason: Mapped[str | None] = encrypted_column(str, subject="client_id")

    integration_goal: Mapped[str] = mapped_column(String(24), index=True)
    next_steps: Mapped[str | None] = encrypted_column(str, subject="client_id")
    notes: Mapped[str | None] = encrypted_column(str, subject="client_id")

    __table_args__ = (
        UniqueConstraint("client_id", "sequence"),
        CheckConstraint(f"need_qualification {_RATING_CHECK}", name="need_qualification"),
        CheckConstraint(f"need_capability {_RATING_CHECK}", name="need_capability"),
        CheckConstraint(f"need_motivation {_RATING_CHECK}", name="need_motivation"),
        CheckConstraint(
            f"need_framework_conditions {_RATING_CHECK}", name="need_framework_conditions"
        ),
        CheckConstraint("schooling_years BETWEEN 0 AND 30", name="schooling_years"),
    )
