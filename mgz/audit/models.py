"""Tables of the data-protection log.

``audit_events`` is append-only (on PostgreSQL a trigger refuses UPDATE and DELETE);
``audit_chain_head`` is the one row whose lock serialises appends; checkpoints sign
the head of the chain so that cutting events off the end is detected (and anchors,
mgz.audit.anchors, keep copies of them outside the database).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mgz.core.classification import classified
from mgz.core.db import Base

HEAD_ROW_ID = 1


class AuditEvent(Base):
    """One event of the log; ``seq`` is its position in the chain (1, 2, 3, …)."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, info=classified("technical")
    )
    occurred_at: Mapped[datetime] = mapped_column(index=True, info=classified("technical"))
    actor_user_id: Mapped[int | None] = mapped_column(Integer, index=True, info=classified("staff"))
    actor_name: Mapped[str | None] = mapped_column(String(80), info=classified("staff"))
    actor_role: Mapped[str | None] = mapped_column(String(32), info=classified("technical"))
    action: Mapped[str] = mapped_column(String(64), index=True, info=classified("technical"))
    object_type: Mapped[str | None] = mapped_column(String(64), info=classified("technical"))
    # Pseudonymous ids only (user id, client UUID, case number), never a name.
    object_id: Mapped[str | None] = mapped_column(
        String(64), index=True, info=classified("pseudonymous")
    )
    # JSON list of field names touched; never their values.
    fields: Mapped[str] = mapped_column(Text, info=classified("technical"))
    request_id: Mapped[str | None] = mapped_column(String(64), info=classified("technical"))
    outcome: Mapped[str] = mapped_column(String(16), info=classified("technical"))
    # JSON object of codes and counts, or null.
    details: Mapped[str | None] = mapped_column(Text, info=classified("technical"))
    prev_hash: Mapped[str] = mapped_column(String(64), info=classified("technical"))
    hash: Mapped[str] = mapped_column(String(64), unique=True, info=classified("technical"))


class AuditChainHead(Base):
    """The single row holding the newest event's position and hash."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False, info=classified("technical")
    )
    seq: Mapped[int] = mapped_column(BigInteger, info=classified("technical"))
    hash: Mapped[str] = mapped_column(String(64), info=classified("technical"))


class AuditCheckpoint(Base):
    """A signed statement "the chain had ``seq`` events, the last with ``head_hash``".

    Signed with Ed25519 by the checkpoint job (``signature`` over
    ``chain.checkpoint_message``) and chained: ``prev_hash`` is the
    ``chain.checkpoint_hash`` of the previous signed checkpoint. Rows from before
    migration 0010 carry an HMAC (``mac``) with the audit key instead.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, info=classified("technical"))
    created_at: Mapped[datetime] = mapped_column(info=classified("technical"))
    seq: Mapped[int] = mapped_column(BigInteger, info=classified("technical"))
    head_hash: Mapped[str] = mapped_column(String(64), info=classified("technical"))
    mac: Mapped[str | None] = mapped_column(String(64), info=classified("technical"))
    prev_hash: Mapped[str | None] = mapped_column(String(64), info=classified("technical"))
    signature: Mapped[str | None] = mapped_column(
        String(128), index=True, unique=True, info=classified("technical")
    )
    key_id: Mapped[str | None] = mapped_column(String(16), info=classified("technical"))
