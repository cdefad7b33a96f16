"""Auditing a failed decryption, although the request that hit it rolls back.

The failure event cannot ride on the failing request's transaction, so it is written in
a short transaction of its own; on SQLite, whose single writer may be that very request,
it waits briefly and otherwise goes out as soon as the request's transaction ends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from mgz.audit.service import record as audit_record
from mgz.core.actor import SESSION_ACTOR_KEY, Actor
from mgz.core.db import database

log = logging.getLogger("mgz.crypto")

ACTOR_INFO = SESSION_ACTOR_KEY
_DEFERRED = "mgz.crypto.deferred_audit"
# SQLite has one writer: if the failing request already wrote, a second connection waits
# for its lock. Wait this long (ms) there, then write the event when the request's
# transaction has ended instead.
SQLITE_QUICK_WAIT_MS = 300


@dataclass(frozen=True)
class _FailureEvent:
    app: Flask
    actor: Actor
    table: str
    column: str
    row_id: str
    reason: str


def _record_failure(session: Session, event_: _FailureEvent) -> None:
    audit_record(
        session,
        event_.actor,
        "crypto.decrypt",
        object_type=event_.table,
        object_id=event_.row_id,
        fields=(event_.column,),
        outcome="failure",
        details={"reason": event_.reason},
    )
    session.commit()


def _write_failure(event_: _FailureEvent, *, quick: bool) -> bool:
    """Commit one failure event in a transaction of its own; False if that failed."""
    db = database(event_.app)
    assert db.engine is not None  # noqa: S101 - init_app ran
    assert db.session_factory is not None  # noqa: S101 - init_app ran
    shared = isinstance(db.session_factory.kw.get("bind"), Connection)  # tests: one connection
    try:
        if quick and not shared and db.engine.dialect.name == "sqlite":
            with db.engine.connect() as connection:
                try:
                    # On the driver's connection, before SQLAlchemy's BEGIN (which already
                    # waits for the lock on SQLite).
                    connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                        f"PRAGMA busy_timeout={SQLITE_QUICK_WAIT_MS}"
                    )
                    with Session(bind=connection) as audit_session:
                        _record_failure(audit_session, event_)
                finally:
                    # Its lock timeout now differs from the pool's: never hand it out again.
                    connection.invalidate()
        else:
            with db.new_session() as audit_session:
                _record_failure(audit_session, event_)
    except Exception:  # noqa: BLE001 - the DecryptionError must win; the caller logs
        return False
    return True


def _write_deferred(session: Session, transaction: Any) -> None:
    if transaction.parent is not None or _DEFERRED not in session.info:
        return
    for event_ in session.info.pop(_DEFERRED):
        if not _write_failure(event_, quick=False):
            log.error(
                "audit event for a decryption failure could not be written",
                extra={"event": "audit_write_failed"},
            )


event.listen(Session, "after_transaction_end", _write_deferred)


def report_failure(
    session: Session | None, table: str, column: str, row_id: Any, reason: str
) -> None:
    """Write the decryption-failure audit event in its own short transaction.

    The request is about to fail (and roll back), so the event cannot ride on its
    transaction. When that write cannot get the database's lock at once (SQLite while
    the failing request holds it), it is written as soon as the request's transaction
    ends. If even that fails, the failure is logged (without values); the
    DecryptionError is raised all the same.
    """
    actor = session.info.get(ACTOR_INFO) if session is not None else None
    if not isinstance(actor, Actor):
        actor = Actor.system("decrypt")
    # Table, column and reason are code names, never values.
    log.error(
        "decryption failed: %s.%s (%s)", table, column, reason, extra={"event": "decryption_failed"}
    )
    if not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    failure = _FailureEvent(app, actor, table, column, str(row_id), reason)
    if _write_failure(failure, quick=True):
        return
    if session is not None and session.in_transaction():
        session.info.setdefault(_DEFERRED, []).append(failure)
    else:
        log.error(
            "audit event for a decryption failure could not be written",
            extra={"event": "audit_write_failed"},
        )
