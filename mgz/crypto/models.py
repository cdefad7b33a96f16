"""Tables of the crypto area: one wrapped data key per data subject, retired master keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from mgz.core.db import Base, utcnow


class DataKey(Base):
    """The data key (DEK) of one data subject, wrapped by a master key (KEK).

    ``subject_id`` is the id of the person the encrypted fields belong to (a client's
    UUID). Shredding keeps the row as a tombstone with ``wrapped_key`` and ``kek_id``
    set to NULL, so nobody can ever decrypt that person's fields again and no new data
    key is created for the erased person by mistake.
    """

    __tablename__ = "data_keys"
    __table_args__ = (
        CheckConstraint("(kek_id IS NULL) = (wrapped_key IS NULL)", name="wrapped_with_kek"),
    )

    subject_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    dek_version: Mapped[int] = mapped_column(Integer, default=1)
    kek_id: Mapped[str | None] = mapped_column(String(32), index=True)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None]
    shredded_at: Mapped[datetime | None]

    @property
    def is_shredded(self) -> bool:
        """Whether the data key was destroyed."""
        return self.wrapped_key is None


class RetiredMasterKey(Base):
    """A master key id that no data key may use again (``mgz keys retire``)."""

    __tablename__ = "retired_master_keys"

    kek_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_by: Mapped[str] = mapped_column(String(200))
