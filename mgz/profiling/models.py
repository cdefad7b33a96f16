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

from mgz.core.classification import classified
from mgz.core.db import Base, utcnow
from mgz.crypto.types import encrypted_column

_RATING_CHECK = "IN ('none', 'some', 'strong')"


class Profiling(Base):
    """One profiling of one client (append-only: no update, no delete)."""

    __tablename__ = "profilings"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True, info=classified("pseudonymous")
    )
    # 1, 2, 3 … per client: the order in which profilings were recorded.
    sequence: Mapped[int] = mapped_column(Integer, info=classified("technical"))
    profiled_on: Mapped[date] = mapped_column(index=True, info=classified("statistical"))
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), info=classified("staff"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, info=classified("technical"))

    # Schooling (Schulbildung).
    schooling_years: Mapped[int | None] = mapped_column(
        SmallInteger, info=classified("statistical")
    )
    schooling_isced_level: Mapped[str | None] = mapped_column(
        String(2), info=classified("statistical")
    )
    schooling_country: Mapped[str | None] = mapped_column(String(2), info=classified("statistical"))
    schooling_certificate: Mapped[str | None] = encrypted_column(str, subject="client_id")
    # Vocational training and higher education: [{kind, isced_level, kldb_code,
    # is_completed, country, year}], codes only.
    education: Mapped[list[dict]] = mapped_column(
        JSON, default=list, info=classified("statistical")
    )
    # Work experience: [{kldb_code, years}].
    work_experience: Mapped[list[dict]] = mapped_column(
        JSON, default=list, info=classified("statistical")
    )
    # German by skill: {listening|reading|speaking|writing: {level, is_certified}}.
    german_skills: Mapped[dict] = mapped_column(JSON, default=dict, info=classified("statistical"))
    german_certificate: Mapped[str | None] = encrypted_column(str, subject="client_id")
    # Other languages: [{language, level}].
    other_languages: Mapped[list[dict]] = mapped_column(
        JSON, default=list, info=classified("statistical")
    )
    is_literate_latin: Mapped[bool | None] = mapped_column(Boolean, info=classified("statistical"))
    driving_licences: Mapped[list[str]] = mapped_column(
        JSON, default=list, info=classified("statistical")
    )
    strengths: Mapped[list[str]] = mapped_column(JSON, default=list, info=classified("statistical"))

    # Needs per key factor (Handlungsbedarf je Schlüsselgröße).
    need_qualification: Mapped[str] = mapped_column(String(8), info=classified("statistical"))
    need_capability: Mapped[str] = mapped_column(String(8), info=classified("statistical"))
    need_motivation: Mapped[str] = mapped_column(String(8), info=classified("statistical"))
    need_framework_conditions: Mapped[str] = mapped_column(
        String(8), info=classified("statistical")
    )
    # Framework conditions in detail: {childcare|housing|finances|mobility|
    # residence_work_permit: rating}.
    framework_needs: Mapped[dict] = mapped_column(
        JSON, default=dict, info=classified("statistical")
    )
    main_need: Mapped[str | None] = mapped_column(String(24), info=classified("statistical"))
    health_remarks: Mapped[str | None] = encrypted_column(str, subject="client_id")

    # Profile type: the server's suggestion beside the adviser's decision.
    suggested_profile_type: Mapped[str] = mapped_column(
        String(2), index=True, info=classified("statistical")
    )
    profile_type: Mapped[str] = mapped_column(String(2), index=True, info=classified("statistical"))
    profile_type_group: Mapped[str] = mapped_column(String(24), info=classified("statistical"))
    override_reason: Mapped[str | None] = encrypted_column(str, subject="client_id")

    integration_goal: Mapped[str] = mapped_column(
        String(24), index=True, info=classified("statistical")
    )
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
