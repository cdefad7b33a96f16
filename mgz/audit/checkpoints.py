"""Signed, chained checkpoints of the log's head, written by the checkpoint job alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from mgz.audit import anchors, chain
from mgz.audit.models import AuditCheckpoint, AuditEvent
from mgz.core.db import utcnow


def chain_tip(session: Session) -> tuple[int, str]:
    """(seq, hash) of the newest committed event; (0, genesis) for an empty log."""
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).one_or_none()
    return (int(row.seq), str(row.hash)) if row else (0, chain.GENESIS_HASH)


# Serialises checkpoint jobs on PostgreSQL (an advisory lock needs no table right).
_CHECKPOINT_LOCK = 0x6D677A_636B7074


def checkpoint_message(checkpoint: AuditCheckpoint) -> bytes:
    """The bytes a signed checkpoint's signature covers."""
    return chain.checkpoint_message(
        seq=checkpoint.seq,
        head_hash=checkpoint.head_hash,
        created_at=checkpoint.created_at,
        prev=checkpoint.prev_hash or "",
    )


def create_checkpoint(session: Session, signing_key: bytes) -> AuditCheckpoint:
    """Sign the current head with the checkpoint job's Ed25519 key (caller commits).

    The checkpoint is chained to the newest signed one before it. After the commit
    the caller writes ``checkpoint_anchor(checkpoint)`` to the anchor destination.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHECKPOINT_LOCK})
    seq, head_hash = chain_tip(session)
    previous = session.scalars(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.signature.is_not(None))
        .order_by(AuditCheckpoint.id.desc())
        .limit(1)
    ).first()
    prev = (
        chain.checkpoint_hash(checkpoint_message(previous), str(previous.signature))
        if previous is not None
        else chain.GENESIS_HASH
    )
    created_at = utcnow()
    message = chain.checkpoint_message(
        seq=seq, head_hash=head_hash, created_at=created_at, prev=prev
    )
    checkpoint = AuditCheckpoint(
        created_at=created_at,
        seq=seq,
        head_hash=head_hash,
        prev_hash=prev,
        signature=chain.sign(signing_key, message),
        key_id=chain.key_id(chain.public_key_of(signing_key)),
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


def checkpoint_anchor(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    """The anchor line of a signed checkpoint."""
    return anchors.checkpoint_record(
        seq=checkpoint.seq,
        head_hash=checkpoint.head_hash,
        created_at=chain.utc_iso(checkpoint.created_at),
        prev=checkpoint.prev_hash or "",
        key_id=checkpoint.key_id or "",
        signature=checkpoint.signature or "",
    )


def event_count(session: Session) -> int:
    """Number of events in the log."""
    return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)
