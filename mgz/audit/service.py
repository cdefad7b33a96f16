"""Writing, reading and verifying the data-protection log.

``record`` collects an event in the caller's session; the event is chained and
inserted by a ``before_commit`` hook, in the same transaction as the work it records:
if the work rolls back, so does its event, and no work commits without its event.
The hook takes the chain's lock (the single ``audit_chain_head`` row) only after the
work itself has been flushed and the events' contents hashed, so the lock is held for
one round trip (on PostgreSQL the ``mgz_audit_append`` function of migration 0003
locks, links and inserts) and the commit, not for the whole request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session, SessionTransaction

from mgz.audit import chain
from mgz.audit.models import HEAD_ROW_ID, AuditChainHead, AuditCheckpoint, AuditEvent
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.core.unit_of_work import discard_on_failure, keep_on_failure

PENDING_KEY = "mgz.audit.pending"
OUTCOMES = ("success", "failure", "denied", "error")
_CODE = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
_FIELD = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
# Codes, counts, hashes: anything else in ``details`` might be a personal value.
_DETAIL_VALUE = re.compile(r"^[A-Za-z0-9_.:+-]{0,80}$")


class AuditUsageError(ValueError):
    """``record`` was called with something that must not go into the log."""


def _check_code(kind: str, value: str | None, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if value is None or not _CODE.match(value):
        raise AuditUsageError(f"audit {kind} must be a lower-case code")


def _clean_details(details: Mapping[str, str | int | bool] | None) -> dict[str, Any] | None:
    if details is None:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in details.items():
        if not _FIELD.match(key):
            raise AuditUsageError("audit detail keys must be lower-case codes")
        if isinstance(value, bool | int) or isinstance(value, str) and _DETAIL_VALUE.match(value):
            cleaned[key] = value
        else:
            raise AuditUsageError(f"audit detail {key}: only codes, counts and flags")
    return cleaned


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    fields: Sequence[str] = (),
    outcome: str = "success",
    details: Mapping[str, str | int | bool] | None = None,
    keep: bool = False,
) -> AuditEvent:
    """Append an event to the log in the caller's transaction (written at commit).

    ``fields`` are field names, never values; ``details`` carries codes and counts
    only. The request id is taken from ``actor.request_id``. Events of refusals and
    failures (``outcome`` other than ``success``), and those recorded with
    ``keep=True``, are written even when the unit of work fails and rolls back
    (``mgz.core.unit_of_work``).
    """
    _check_code("action", action)
    _check_code("object type", object_type, optional=True)
    if outcome not in OUTCOMES:
        raise AuditUsageError("audit outcome must be one of " + ", ".join(OUTCOMES))
    if object_id is not None and (len(object_id) > 64 or not _DETAIL_VALUE.match(object_id)):
        raise AuditUsageError("audit object id must be a pseudonymous id")
    names = list(fields)
    for name in names:
        if not _FIELD.match(name):
            raise AuditUsageError("audit fields must be field names")
    cleaned = _clean_details(details)
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_user_id=actor.user_id if actor else None,
        actor_name=actor.username if actor else None,
        actor_role=actor.acting_role if actor else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        fields=json.dumps(names, separators=(",", ":")),
        request_id=actor.request_id if actor else None,
        outcome=outcome,
        details=json.dumps(cleaned, sort_keys=True, separators=(",", ":")) if cleaned else None,
    )
    session.info.setdefault(PENDING_KEY, []).append(event)
    if outcome != "success" or keep:
        # A refusal or failure is logged even though its request's work rolls back.
        keep_on_failure(session, lambda clean: _requeue(clean, event))
    return event


def _requeue(session: Session, event: AuditEvent) -> None:
    # A rollback without an open transaction leaves the pending events in place.
    pending = session.info.setdefault(PENDING_KEY, [])
    if not any(item is event for item in pending):
        pending.append(event)


def content_of(event: AuditEvent, *, placed: bool = True) -> dict[str, Any]:
    """The hashed content of an event (``placed=False``: before it has a position)."""
    return chain.event_content(
        seq=event.seq if placed else 0,
        occurred_at=event.occurred_at,
        actor_user_id=event.actor_user_id,
        actor_name=event.actor_name,
        actor_role=event.actor_role,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        fields=json.loads(event.fields),
        request_id=event.request_id,
        outcome=event.outcome,
        details=json.loads(event.details) if event.details else None,
        prev_hash=event.prev_hash if placed else "",
    )


def _lock_head_sqlite(session: Session) -> tuple[int, str]:
    """Take SQLite's write lock and return (seq, hash) of the newest event."""
    # SQLite has one write lock per database: a write takes it until commit.
    session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ROW_ID)
        .values(seq=AuditChainHead.seq)
    )
    row = session.execute(
        select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == HEAD_ROW_ID)
    ).one_or_none()
    if row is None:
        # Only a database built without the migration lacks the row.
        session.add(AuditChainHead(id=HEAD_ROW_ID, seq=0, hash=chain.GENESIS_HASH))
        session.flush()
        return 0, chain.GENESIS_HASH
    return int(row.seq), str(row.hash)


# The append function from migration 0003: it locks the head row, inserts the events
# and moves the head in one round trip, so the lock is held for that call and the
# commit only (it computes chain.link_hash; the content digests come from here).
_PG_APPEND = text(
    "SELECT out_seq, out_prev_hash, out_hash FROM mgz_audit_append(CAST(:events AS jsonb))"
)
_EVENT_COLUMNS = tuple(column.key for column in AuditEvent.__table__.columns)


def _append_pending(session: Session) -> None:
    if session.in_nested_transaction():
        # Releasing a savepoint also fires before_commit; the events wait for the real
        # commit (and the chain's lock is taken only then, as late as possible).
        return
    pending: list[AuditEvent] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    # The work goes to the database first and the contents are hashed, so the lock
    # below is taken as late as possible and held for the append and the commit only.
    session.flush()
    digests = [chain.content_digest(content_of(item, placed=False)) for item in pending]
    if session.get_bind().dialect.name == "postgresql":
        payload = [
            {
                **{name: getattr(item, name) for name in _EVENT_COLUMNS if name not in _PLACED},
                "occurred_at": chain.utc_iso(item.occurred_at),
                "digest": digest,
            }
            for item, digest in zip(pending, digests, strict=True)
        ]
        placed = session.execute(_PG_APPEND, {"events": json.dumps(payload)}).all()
        for item, (seq, prev_hash, hash_) in zip(pending, placed, strict=True):
            item.seq, item.prev_hash, item.hash = int(seq), str(prev_hash), str(hash_)
    else:
        _append_sqlite(session, pending, digests)
    _checkpoint_if_due(session, pending[0].seq, pending[-1].seq)


def _checkpoint_if_due(session: Session, first: int, last: int) -> None:
    """Sign the head every AUDIT_CHECKPOINT_EVERY events, in the same transaction.

    Periodic checkpoints need no scheduler this way: the append that crosses a
    multiple also signs the head it produced (under the chain lock it already holds).
    """
    if not has_app_context():
        return
    every = current_app.config.get("AUDIT_CHECKPOINT_EVERY")
    key = current_app.config.get("AUDIT_KEY")
    if not every or key is None or last // every == (first - 1) // every:
        return
    create_checkpoint(session, key)


def _append_sqlite(session: Session, pending: list[AuditEvent], digests: list[str]) -> None:
    seq, prev_hash = _lock_head_sqlite(session)
    rows = []
    for item, digest in zip(pending, digests, strict=True):
        seq += 1
        item.seq, item.prev_hash = seq, prev_hash
        item.hash = chain.link_hash(prev_hash, seq, digest)
        prev_hash = item.hash
        rows.append({name: getattr(item, name) for name in _EVENT_COLUMNS})
    session.execute(insert(AuditEvent.__table__).values(rows))
    session.execute(
        update(AuditChainHead.__table__)
        .where(AuditChainHead.__table__.c.id == HEAD_ROW_ID)
        .values(seq=seq, hash=prev_hash)
    )


_PLACED = frozenset({"seq", "prev_hash", "hash"})


def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    # Events recorded for work that was rolled back (or never committed) go with it.
    if transaction.parent is None:
        session.info.pop(PENDING_KEY, None)
        session.info.pop(_SAVEPOINT_MARKS, None)


def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    # Remember how many events were waiting when a savepoint began ...
    if transaction.nested:
        marks = session.info.setdefault(_SAVEPOINT_MARKS, {})
        marks[id(transaction)] = len(session.info.get(PENDING_KEY, []))


def _drop_savepoint_events(session: Session, previous: SessionTransaction) -> None:
    # ... and forget the events recorded inside it when it is rolled back: their work
    # is undone, so they must not reach the log. (after_soft_rollback fires after
    # after_transaction_end; marks of released savepoints go with the outer
    # transaction, see _drop_pending.)
    if not previous.nested:
        return
    mark = session.info.get(_SAVEPOINT_MARKS, {}).pop(id(previous), None)
    pending = session.info.get(PENDING_KEY)
    if mark is not None and pending is not None:
        del pending[mark:]


_SAVEPOINT_MARKS = "mgz.audit.savepoint_marks"
discard_on_failure(PENDING_KEY)
discard_on_failure(_SAVEPOINT_MARKS)
sa_event.listen(Session, "after_transaction_create", _mark_savepoint)
sa_event.listen(Session, "after_soft_rollback", _drop_savepoint_events)
sa_event.listen(Session, "before_commit", _append_pending)
sa_event.listen(Session, "after_transaction_end", _drop_pending)


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilter:
    """Filters of the auditor's event list; all optional, combined with AND."""

    actor_user_id: int | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(filters: EventFilter) -> Any:
    query = select(AuditEvent)
    if filters.actor_user_id is not None:
        query = query.where(AuditEvent.actor_user_id == filters.actor_user_id)
    if filters.action is not None:
        query = query.where(AuditEvent.action == filters.action)
    if filters.object_type is not None:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.since is not None:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.occurred_at < filters.until)
    return query


def list_events(
    session: Session, filters: EventFilter, *, after_seq: int = 0, limit: int = 100
) -> list[AuditEvent]:
    """One page of events in chain order, starting after ``after_seq`` (keyset paging)."""
    query = _filtered(filters).where(AuditEvent.seq > after_seq)
    return list(session.scalars(query.order_by(AuditEvent.seq).limit(limit)))


def iter_events(session: Session, filters: EventFilter) -> Iterator[AuditEvent]:
    """All matching events in chain order, fetched in batches (constant memory)."""
    query = _filtered(filters).order_by(AuditEvent.seq).execution_options(yield_per=500)
    rows = session.scalars(query)
    try:
        yield from rows
    finally:
        rows.close()


def event_as_dict(event: AuditEvent) -> dict[str, Any]:
    """An event as plain data for the API and exports."""
    return {
        "seq": event.seq,
        "occurred_at": chain.utc_iso(event.occurred_at),
        "actor_user_id": event.actor_user_id,
        "actor_name": event.actor_name,
        "actor_role": event.actor_role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "fields": json.loads(event.fields),
        "request_id": event.request_id,
        "outcome": event.outcome,
        "details": json.loads(event.details) if event.details else None,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


# --- checkpoints and verification ------------------------------------------------------


def chain_tip(session: Session) -> tuple[int, str]:
    """(seq, hash) of the newest committed event; (0, genesis) for an empty log."""
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).one_or_none()
    return (int(row.seq), str(row.hash)) if row else (0, chain.GENESIS_HASH)


def create_checkpoint(session: Session, key: bytes) -> AuditCheckpoint:
    """Sign the current head of the chain with the audit key (caller commits)."""
    seq, head_hash = chain_tip(session)
    created_at = utcnow()
    checkpoint = AuditCheckpoint(
        created_at=created_at,
        seq=seq,
        head_hash=head_hash,
        mac=chain.checkpoint_mac(key, seq=seq, head_hash=head_hash, created_at=created_at),
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


REASONS = {
    "missing": "Ereignis fehlt (Lücke in der Folge).",
    "content_altered": "Inhalt passt nicht zum gespeicherten Hash (verändert).",
    "inserted": "Ereignis wurde nachträglich eingefügt (die Folge dahinter ist verschoben).",
    "chain_broken": "Verweis auf das vorige Ereignis stimmt nicht (eingefügt oder umsortiert).",
    "checkpoint_signature": "Signatur des Prüfpunkts ungültig.",
    "checkpoint_mismatch": "Kette weicht vom signierten Prüfpunkt ab.",
    "truncated": "Ereignisse am Ende fehlen (durch Prüfpunkt belegt).",
}


@dataclass
class VerifyResult:
    """Outcome of walking the chain; ``seq`` names the first broken event."""

    ok: bool
    events: int
    checkpoints: int = 0
    last_checkpoint_seq: int | None = None
    seq: int | None = None
    code: str | None = None
    checkpoint_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """German explanation of ``code``."""
        return REASONS.get(self.code) if self.code else None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the API and the CLI."""
        body: dict[str, Any] = {"ok": self.ok, "events": self.events}
        body["checkpoints"] = self.checkpoints
        body["last_checkpoint_seq"] = self.last_checkpoint_seq
        if not self.ok:
            body["broken"] = {
                "seq": self.seq,
                "code": self.code,
                "reason": self.reason,
                "checkpoint_id": self.checkpoint_id,
            }
        return body


def _was_shifted_by_insert(stored: AuditEvent, before_prev: str | None) -> bool:
    if before_prev is None or stored.prev_hash != before_prev:
        return False
    content = content_of(stored)
    content["seq"] = stored.seq - 1
    return chain.event_hash(content) == stored.hash


def verify(session: Session, key: bytes) -> VerifyResult:
    """Walk the whole chain and the checkpoints; report the first break found.

    A changed, deleted, inserted or reordered event is named by its position. The
    SHA-256 chain has no key, so a forger with write access who recomputes every hash
    after a change is caught by the next signed checkpoint (``checkpoint_mismatch``).
    Events newer than the newest checkpoint are not covered by a signature: forged
    events appended there, or such events cut off together with a rewrite of the
    head row, go unnoticed. Hence ``mgz audit checkpoint`` runs often (cron).
    """
    checkpoints = list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)))
    by_seq: dict[int, list[AuditCheckpoint]] = {}
    for checkpoint in checkpoints:
        expected = chain.checkpoint_mac(
            key,
            seq=checkpoint.seq,
            head_hash=checkpoint.head_hash,
            created_at=checkpoint.created_at,
        )
        if not chain.mac_matches(expected, checkpoint.mac):
            return VerifyResult(
                False,
                0,
                len(checkpoints),
                seq=checkpoint.seq,
                code="checkpoint_signature",
                checkpoint_id=checkpoint.id,
            )
        by_seq.setdefault(checkpoint.seq, []).append(checkpoint)
    last_checkpoint = checkpoints[-1] if checkpoints else None

    def result(ok: bool, count: int, **kwargs: Any) -> VerifyResult:
        return VerifyResult(
            ok,
            count,
            len(checkpoints),
            last_checkpoint.seq if last_checkpoint else None,
            **kwargs,
        )

    for checkpoint in by_seq.get(0, []):
        if checkpoint.head_hash != chain.GENESIS_HASH:
            return result(False, 0, seq=0, code="checkpoint_mismatch", checkpoint_id=checkpoint.id)
    expected_seq, prev_hash, count = 1, chain.GENESIS_HASH, 0
    before_prev: str | None = None  # hash of the event before the previous one
    rows = session.scalars(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000)
    )
    try:
        for stored in rows:
            if stored.seq != expected_seq:
                return result(False, count, seq=expected_seq, code="missing")
            if chain.event_hash(content_of(stored)) != stored.hash:
                if _was_shifted_by_insert(stored, before_prev):
                    # This event is intact one position further down, and it links to
                    # the event before the previous one: the previous one was inserted.
                    return result(False, count - 1, seq=stored.seq - 1, code="inserted")
                return result(False, count, seq=stored.seq, code="content_altered")
            if stored.prev_hash != prev_hash:
                return result(False, count, seq=stored.seq, code="chain_broken")
            for checkpoint in by_seq.get(stored.seq, []):
                if checkpoint.head_hash != stored.hash:
                    return result(
                        False,
                        count,
                        seq=stored.seq,
                        code="checkpoint_mismatch",
                        checkpoint_id=checkpoint.id,
                    )
            count += 1
            before_prev, prev_hash = prev_hash, stored.hash
            expected_seq += 1
    finally:
        rows.close()  # a server-side cursor on PostgreSQL
    if last_checkpoint is not None and last_checkpoint.seq > count:
        return result(
            False, count, seq=count + 1, code="truncated", checkpoint_id=last_checkpoint.id
        )
    # The head row is written in the same transaction as every append; a tail cut
    # without also rewriting it shows here even before the next checkpoint.
    head_seq = session.scalar(select(AuditChainHead.seq).where(AuditChainHead.id == HEAD_ROW_ID))
    if head_seq is not None and head_seq > count:
        return result(False, count, seq=count + 1, code="truncated")
    return result(True, count)


def event_count(session: Session) -> int:
    """Number of events in the log."""
    return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)
