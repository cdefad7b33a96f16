"""Client files: personal fields encrypted per client, statistical fields in plaintext.

Each value belongs to exactly one class of data, personal (encrypted) or statistical
(plaintext): the statistical columns are derived from the personal ones when those are
written (birth year from birth date, citizenship group from nationality), so
statistics never decrypt anything (see docs/architecture.md).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column

from mgz.clients import name_keys
from mgz.core.classification import classified
from mgz.core.db import Base, TimestampMixin
from mgz.crypto.types import blind_index_column, encrypted_column

client_advisers = Table(
    "client_advisers",
    Base.metadata,
    Column(
        "client_id",
        ForeignKey("clients.id", ondelete="CASCADE"),
        primary_key=True,
        info=classified("pseudonymous"),
    ),
    Column(
        "user_id", ForeignKey("users.id"), primary_key=True, index=True, info=classified("staff")
    ),
)


class Client(TimestampMixin, Base):
    """One counselled person (Klient*in)."""

    __tablename__ = "clients"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("pseudonymous")
    )
    case_number: Mapped[str] = mapped_column(
        String(20), unique=True, info=classified("pseudonymous")
    )
    version: Mapped[int] = mapped_column(Integer, info=classified("technical"))

    # Personal data: encrypted with this client's data key, bound to row and column.
    first_name: Mapped[str | None] = encrypted_column(str, subject="id")
    last_name: Mapped[str | None] = encrypted_column(str, subject="id")
    birth_date: Mapped[date | None] = encrypted_column(date, subject="id")
    birth_place: Mapped[str | None] = encrypted_column(str, subject="id")
    nationality: Mapped[list[str] | None] = encrypted_column(list, subject="id")
    address: Mapped[str | None] = encrypted_column(str, subject="id")
    phone: Mapped[str | None] = encrypted_column(str, subject="id")
    email: Mapped[str | None] = encrypted_column(str, subject="id")
    notes: Mapped[str | None] = encrypted_column(str, subject="id")

    # Search keys: keyed HMACs over search forms of names and the birth date or year
    # (mgz.clients.name_keys; what each reveals: docs/architecture.md, "Search keys").
    # Last name + birth date: duplicates, exact search.
    identity_index: Mapped[str | None] = blind_index_column(
        "last_name", "birth_date", purpose="client.identity"
    )
    # Folded first and last name + birth year: search by first name, last name, year.
    name_year_index: Mapped[str | None] = blind_index_column(
        "first_name",
        "last_name",
        "birth_date",
        purpose="client.name_year",
        parts=name_keys.name_year_parts,
    )
    # Phonetic first and last name + birth year: the tolerant form of the one above.
    phonetic_year_index: Mapped[str | None] = blind_index_column(
        "first_name",
        "last_name",
        "birth_date",
        purpose="client.phonetic_year",
        parts=name_keys.phonetic_year_parts,
    )
    # Phonetic last name + birth date: the tolerant form of identity_index.
    phonetic_birth_index: Mapped[str | None] = blind_index_column(
        "last_name",
        "birth_date",
        purpose="client.phonetic_birth",
        parts=name_keys.phonetic_birth_parts,
    )

    # Statistical attributes (plaintext, coarse, derived where possible).
    birth_year: Mapped[int] = mapped_column(
        SmallInteger, index=True, info=classified("statistical")
    )
    gender: Mapped[str] = mapped_column(String(12), info=classified("statistical"))
    citizenship_group: Mapped[str] = mapped_column(
        String(16), index=True, info=classified("statistical")
    )
    residence_status: Mapped[str | None] = mapped_column(
        String(40), index=True, info=classified("statistical")
    )
    residence_status_group: Mapped[str | None] = mapped_column(
        String(40), info=classified("statistical")
    )
    is_protection_seeker: Mapped[bool] = mapped_column(
        Boolean, default=False, info=classified("statistical")
    )
    entered_germany_on: Mapped[date | None] = mapped_column(info=classified("statistical"))
    moved_in_on: Mapped[date | None] = mapped_column(index=True, info=classified("statistical"))
    moved_in_from_abroad: Mapped[bool | None] = mapped_column(info=classified("statistical"))
    # Whole years of age on the move-in day, exact to the day (indicator 1 counts people
    # 21 or older when they moved in); derived from birth date and move-in date.
    age_at_move_in: Mapped[int | None] = mapped_column(SmallInteger, info=classified("statistical"))
    municipality: Mapped[str] = mapped_column(
        String(12), index=True, info=classified("statistical")
    )
    receives_sgb2: Mapped[bool | None] = mapped_column(info=classified("statistical"))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list, info=classified("statistical"))
    interpreter_needed: Mapped[bool] = mapped_column(
        Boolean, default=False, info=classified("statistical")
    )

    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), info=classified("staff")
    )

    __table_args__ = (
        CheckConstraint("gender IN ('female', 'male', 'diverse', 'unspecified')", name="gender"),
        CheckConstraint(
            "citizenship_group IN ('eu', 'third_country', 'stateless', 'unknown')",
            name="citizenship_group",
        ),
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy API


class CaseNumberCounter(Base):
    """Last case number handed out per year; row-locked while a number is drawn."""

    __tablename__ = "case_number_counters"

    year: Mapped[int] = mapped_column(
        SmallInteger, primary_key=True, autoincrement=False, info=classified("technical")
    )
    last_value: Mapped[int] = mapped_column(Integer, info=classified("technical"))


class BreakGlassAccess(Base):
    """An adviser opened a file they are not responsible for, with a stated reason.

    The reason is a code and, optionally, free text. The text is typed by staff and
    may mention the client, so it is
    encrypted with the client's data key like any other free text (and goes with it
    when the file is shredded). The audit event references this row by id.
    """

    __tablename__ = "break_glass_accesses"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True, info=classified("pseudonymous")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), info=classified("staff"))
    # Why, as a code of the list ``break_glass_reason``: what auditors see in the event.
    reason_code: Mapped[str] = mapped_column(String(32), info=classified("technical"))
    # Optional free text (required for ``other``): only the responsible advisers and
    # the client's access report read it, never the audit log.
    reason: Mapped[str | None] = encrypted_column(str, subject="client_id")
    accessed_at: Mapped[datetime] = mapped_column(info=classified("technical"))
