"""An export as recorded: what was asked for, what was written, until when it is kept.

The files themselves lie in the instance folder (``mgz.exports.store``); the row is
what makes them servable. No column holds a released value or personal data: the
parameters, the row counts per table and the files' names with their SHA-256.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from mgz.core.classification import classified
from mgz.core.db import Base, utcnow


class Export(Base):
    """One export written by a statistician, an admin or the command line."""

    __tablename__ = "exports"

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid.uuid4, info=classified("technical")
    )
    kind: Mapped[str] = mapped_column(String(20), info=classified("technical"))
    format: Mapped[str] = mapped_column(String(10), info=classified("technical"))
    # kind, years, k, threshold ... as asked for (no personal data by construction).
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, info=classified("technical"))
    # rows written per table: counts of released rows.
    rows: Mapped[dict[str, int]] = mapped_column(JSON, info=classified("statistical"))
    # [{"name", "sha256", "bytes"}] of every file, manifest.json included.
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, info=classified("technical"))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), info=classified("staff")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, info=classified("technical"))
    expires_at: Mapped[datetime] = mapped_column(info=classified("technical"))
    deleted_at: Mapped[datetime | None] = mapped_column(info=classified("technical"))

    __table_args__ = (
        CheckConstraint("kind IN ('aggregates', 'microdata')", name="kind"),
        CheckConstraint("format IN ('csv', 'xlsx', 'json')", name="format"),
        Index("ix_exports_created_at", "created_at"),
    )
