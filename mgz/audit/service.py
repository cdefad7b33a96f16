"""Writing the data-protection log; reading, checkpoints and verifying have modules of their own.

``record`` collects an event in the caller's session; the event is chained and
inserted by a ``before_commit`` hook, in the same transaction as the work it records:
if the work rolls back, so does its event, and no work commits without its event.
The hook takes the chain's lock (the single ``audit_chain_head`` row) only after the
work itself has been flushed and the events' contents hashed, so the lock is held for
one round trip (on PostgreSQL the ``mgz_audit_append`` function of migration 0003
locks, links and inserts) and the commit, not for the whole request. At the first
event and every ``AUDIT_CHECKPOINT_EVERY`` events the head is anchored outside the
database after the commit (mgz.audit.anchors); signed checkpoints come from the
checkpoint job (``mgz.audit.checkpoints``), which alone holds the signing key.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session, SessionTransaction

from mgz.audit import anchors, chain
from mgz.audit.models import HEAD_ROW_ID, AuditChainHead, AuditEvent
from mgz.core.actor import Actor
from mgz.core.db import utcnow
from mgz.core.unit_of_work import discard_on_failure, keep_on_failure

log = logging.getLogger("mgz.audit")
PENDING_KEY = "mgz.audit.pending"
_ANCHOR_DUE = "mgz.audit.anchor_due"
OUTCOMES = ("success", "failure", "denied", "error")
_CODE = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
FIELD = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
# Codes, counts, hashes: anything else in ``details`` might be a personal value.
DETAIL_VALUE = re.compile(r"^[A-Za-z0-9_.:+-]{0,80}$")


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
        if not FIELD.match(key):
            raise AuditUsageError("audit detail keys must be lower-case codes")
        if isinstance(value, bool | int) or isinstance(value, str) and DETAIL_VALUE.match(value):
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
    if object_id is not None and (len(object_id) > 64 or not DETAIL_VALUE.match(object_id)):
        raise AuditUsageError("audit object id must be a pseudonymous id")
    names = list(fields)
    for name in names:
        if not FIELD.match(name):
            raise AuditUsageError("audit fields must be field names")
    cleaned = _clean_details(details)
    if actor is not None and actor.token_id is not None:
        # A request with an API token: which token, and the roles it could use.
        cleaned = {
            **(cleaned or {}),
            "token": actor.token_id,
            "token_roles": "+".join(sorted(actor.roles)),
        }
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
    _anchor_if_due(session, pending[0].seq, pending[-1].seq, pending[-1].hash)


def _anchor_if_due(session: Session, first: int, last: int, head_hash: str) -> None:
    """Note an anchor of the head for after the commit: at the first event, then every N.

    The application holds no checkpoint signing key (only the checkpoint job does), so
    what it writes itself is an anchor: the head (seq, hash) with an HMAC, appended
    outside the database (mgz.audit.anchors). It is written after the commit only, so
    an anchor never names an event that was rolled back.
    """
    if not has_app_context():
        return
    config = current_app.config
    path = config.get("AUDIT_ANCHOR_PATH") or None
    to_syslog = bool(config.get("AUDIT_ANCHOR_SYSLOG"))
    key = config.get("AUDIT_KEY")
    if key is None or (path is None and not to_syslog):
        return
    every = config.get("AUDIT_CHECKPOINT_EVERY")
    if first != 1 and (not every or last // every == (first - 1) // every):
        return
    session.info[_ANCHOR_DUE] = (last, head_hash, key, path, to_syslog)


def _write_due_anchor(session: Session) -> None:
    due = session.info.pop(_ANCHOR_DUE, None)
    if due is None:
        return
    seq, head_hash, key, path, to_syslog = due
    record = anchors.head_anchor(key, seq=seq, head_hash=head_hash, at=chain.utc_iso(utcnow()))
    try:
        anchors.write(record, path=path, to_syslog=to_syslog)
    except OSError:
        # The work is committed; refusing now would not undo it. Loud, not silent.
        log.error("audit anchor not written", extra={"event": "audit_anchor_failed", "count": seq})


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
        session.info.pop(_ANCHOR_DUE, None)


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
sa_event.listen(Session, "after_commit", _write_due_anchor)
sa_event.listen(Session, "after_transaction_end", _drop_pending)
