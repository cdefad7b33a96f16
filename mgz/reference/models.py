"""Tables of the code lists: one row per code ever shipped, one row per list version.

Codes are never deleted. A code dropped from a list (or marked ``withdrawn`` in its
file) keeps its row with ``withdrawn_in_version`` set: old records that use it stay
valid and readable, new input is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mgz.core.classification import classified
from mgz.core.db import Base, utcnow

NAME_LENGTH = 64
CODE_LENGTH = 64
LABEL_LENGTH = 200


class ReferenceListVersion(Base):
    """One loaded version of a code list; a new row whenever its content changes."""

    __tablename__ = "reference_list_versions"
    __table_args__ = (
        UniqueConstraint("list_name", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=classified("technical"))
    list_name: Mapped[str] = mapped_column(String(NAME_LENGTH), info=classified("technical"))
    version: Mapped[int] = mapped_column(Integer, info=classified("technical"))
    title: Mapped[str] = mapped_column(String(LABEL_LENGTH), info=classified("technical"))
    # SHA-256 of the canonical content (not the file bytes): comments do not count.
    sha256: Mapped[str] = mapped_column(String(64), info=classified("technical"))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow, info=classified("technical"))


class ReferenceCode(Base):
    """One code of a list with its German label, group and validity."""

    __tablename__ = "reference_codes"
    __table_args__ = (
        UniqueConstraint("list_name", "code"),
        CheckConstraint(
            "withdrawn_in_version IS NULL OR withdrawn_in_version >= added_in_version",
            name="withdrawn_after_added",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=classified("technical"))
    list_name: Mapped[str] = mapped_column(String(NAME_LENGTH), info=classified("technical"))
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), info=classified("technical"))
    label: Mapped[str] = mapped_column(String(LABEL_LENGTH), info=classified("technical"))
    group_code: Mapped[str | None] = mapped_column(
        String(CODE_LENGTH), info=classified("technical")
    )
    sort_order: Mapped[int] = mapped_column(Integer, info=classified("technical"))
    added_in_version: Mapped[int] = mapped_column(Integer, info=classified("technical"))
    withdrawn_in_version: Mapped[int | None] = mapped_column(Integer, info=classified("technical"))
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON, info=classified("technical"))
