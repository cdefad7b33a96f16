"""Checklist templates (versioned), competence assessments and qualifications.

A checklist version is a draft until published; a published version never changes
(its items live in the row, so an assessment is always read against exactly the
items it answered). Assessment answers other than text are codes, numbers and
levels in plaintext; text answers and every free text are encrypted with the
client's data key.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mgz.core.classification import classified
from mgz.core.db import Base, TimestampMixin, utcnow
from mgz.crypto.types import encrypted_column

ANSWER_TYPES = ("yes_no", "level_0_3", "number", "text", "code")
CHECKLIST_STATUSES = ("draft", "published")
QUALIFICATION_KINDS = ("school", "vocational", "academic")
DOCUMENTS_AVAILABLE = ("yes", "no", "partly")


class Checklist(TimestampMixin, Base):
    """One version of a checklist template (Checkliste), identified by key + version."""

    __tablename__ = "checklists"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    key: Mapped[str] = mapped_column(String(64), index=True, info=classified("technical"))
    version: Mapped[int] = mapped_column(Integer, info=classified("technical"))
    status: Mapped[str] = mapped_column(String(12), info=classified("technical"))
    title: Mapped[str] = mapped_column(String(200), info=classified("technical"))
    description: Mapped[str | None] = mapped_column(Text, info=classified("technical"))
    # [{key, label, help_text, answer_type, is_required, min_value, max_value, code_list}]
    items: Mapped[list[dict]] = mapped_column(JSON, default=list, info=classified("technical"))
    published_at: Mapped[datetime | None] = mapped_column(info=classified("technical"))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), info=classified("staff")
    )

    __table_args__ = (
        UniqueConstraint("key", "version"),
        CheckConstraint("status IN ('draft', 'published')", name="status"),
        CheckConstraint("version >= 1", name="version"),
    )


class CompetenceAssessment(Base):
    """One client's answers to one published checklist version (append-only)."""

    __tablename__ = "competence_assessments"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True, info=classified("pseudonymous")
    )
    checklist_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("checklists.id"), index=True, info=classified("technical")
    )
    assessed_on: Mapped[date] = mapped_column(info=classified("statistical"))
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), info=classified("staff"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, info=classified("technical"))
    # Answers of type yes_no, level_0_3, number and code: {item key: value}.
    answers: Mapped[dict] = mapped_column(JSON, default=dict, info=classified("statistical"))
    # Answers of type text: {item key: text}, encrypted as one value.
    text_answers: Mapped[dict | None] = encrypted_column(dict, subject="client_id")
    notes: Mapped[str | None] = encrypted_column(str, subject="client_id")

    checklist: Mapped[Checklist] = relationship(lazy="joined")


class Qualification(TimestampMixin, Base):
    """A school, vocational or academic qualification and its recognition (goal 46)."""

    __tablename__ = "qualifications"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True, info=classified("pseudonymous")
    )
    version: Mapped[int] = mapped_column(Integer, info=classified("technical"))
    kind: Mapped[str] = mapped_column(String(12), info=classified("statistical"))
    kldb_code: Mapped[str | None] = mapped_column(
        String(5), index=True, info=classified("statistical")
    )
    isced_level: Mapped[str | None] = mapped_column(String(2), info=classified("statistical"))
    country: Mapped[str | None] = mapped_column(String(2), info=classified("statistical"))
    year: Mapped[int | None] = mapped_column(SmallInteger, info=classified("statistical"))
    documents_available: Mapped[str] = mapped_column(String(8), info=classified("statistical"))
    recognition_status: Mapped[str] = mapped_column(
        String(24), index=True, info=classified("statistical")
    )
    counselling_referred_on: Mapped[date | None] = mapped_column(info=classified("statistical"))
    applied_on: Mapped[date | None] = mapped_column(info=classified("statistical"))
    decided_on: Mapped[date | None] = mapped_column(info=classified("statistical"))
    # Free text: the title as written on the certificate, the competent body, notes.
    title: Mapped[str | None] = encrypted_column(str, subject="client_id")
    competent_body: Mapped[str | None] = encrypted_column(str, subject="client_id")
    notes: Mapped[str | None] = encrypted_column(str, subject="client_id")

    __table_args__ = (
        CheckConstraint("kind IN ('school', 'vocational', 'academic')", name="kind"),
        CheckConstraint(
            "documents_available IN ('yes', 'no', 'partly')", name="documents_available"
        ),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy API
