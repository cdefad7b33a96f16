"""Tables of the crypto area: wrapped data keys, retired master keys, key check values."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from mgz.core.classification import classified
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

    subject_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, info=classified("pseudonymous"))
    dek_version: Mapped[int] = mapped_column(Integer, default=1, info=classified("technical"))
    kek_id: Mapped[str | None] = mapped_column(String(32), index=True, info=classified("technical"))
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary, info=classified("secret"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, info=classified("technical"))
    rotated_at: Mapped[datetime | None] = mapped_column(info=classified("technical"))
    shredded_at: Mapped[datetime | None] = mapped_column(info=classified("technical"))

    @property
    def is_shredded(self) -> bool:
        """Whether the data key was destroyed."""
        return self.wrapped_key is None


class RetiredMasterKey(Base):
    """A master key id that no data key may use again (``mgz keys retire``)."""

    __tablename__ = "retired_master_keys"

    kek_id: Mapped[str] = mapped_column(String(32), primary_key=True, info=classified("technical"))
    retired_at: Mapped[datetime] = mapped_column(default=utcnow, info=classified("technical"))
    retired_by: Mapped[str] = mapped_column(String(200), info=classified("staff"))


class KeyCheck(Base):
    """The check value of one key: proves at start-up that a configured key is the right one.

    ``check_value`` is an HMAC under the key of a fixed label naming the key (see
    ``mgz.crypto.key_checks``), never the key or anything it could be computed from
    without the key. ``kind`` is ``master`` (``key_id`` = the master key id) or
    ``index`` (``key_id`` = ``index``). Created when the key is first used, compared
    at every start.
    """

    __tablename__ = "key_checks"
    __table_args__ = (CheckConstraint("kind IN ('master', 'index')", name="kind"),)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True, info=classified("technical"))
    key_id: Mapped[str] = mapped_column(String(32), primary_key=True, info=classified("technical"))
    check_value: Mapped[str] = mapped_column(String(64), info=classified("secret"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, info=classified("technical"))
    created_by: Mapped[str] = mapped_column(String(200), info=classified("staff"))
