"""One transaction per request or CLI command: commit on success, keep refusals on failure.

Services flush, never commit, so that two service calls in one request (a placement
that closes a course referral, a form that records a consultation and a referral)
commit together or not at all. The commit belongs to whoever started the work: the
app runs every view inside :func:`request_unit_of_work` (see ``mgz.core.outage.App``),
and CLI commands use :func:`unit_of_work` or :func:`work_scope`.

A refused or failed request rolls all of its work back. What must outlive that is
registered with :func:`keep_on_failure` while the work runs: the audit events of
refusals and denials (``mgz.audit.service.record`` does this for every event whose
outcome is not ``success``), a break-glass opening, the counted login failure. After
the rollback those are replayed into the clean session and committed on their own,
so a refusal is logged exactly as before, without the half-done work beside it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, g
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from mgz.core.db import session_scope

log = logging.getLogger("mgz.db")

KEPT_KEY = "mgz.unit_of_work.kept"
_REQUEST_SESSION = "mgz_session"  # the key of mgz.core.db.get_session

Replay = Callable[[Session], None]
# ``session.info`` keys of work waiting for the commit (e.g. the audit log's pending
# events): a failed unit of work drops them even when no transaction was open, in
# which case the rollback fires no event of its own.
_DISCARDED: set[str] = set()


def discard_on_failure(info_key: str) -> None:
    """Drop ``session.info[info_key]`` whenever a unit of work fails."""
    _DISCARDED.add(info_key)


def keep_on_failure(session: Session, replay: Replay) -> None:
    """Run ``replay(session)`` after a failed unit of work's rollback, and commit that.

    For records that a refusal must leave behind (its audit event, a counted failure);
    ``replay`` adds them again to the clean session. Forgotten on success: then all of
    the work commits anyway.
    """
    session.info.setdefault(KEPT_KEY, []).append(replay)


def keep_rows(session: Session, *rows: Any) -> None:
    """Keep these new ORM rows (added in this unit of work) if it fails."""

    def replay(clean: Session) -> None:
        clean.add_all(rows)

    keep_on_failure(session, replay)


def commit(session: Session) -> None:
    """Commit the unit of work; what was kept for a failure is no longer needed."""
    session.info.pop(KEPT_KEY, None)
    transaction = session.get_transaction()
    if transaction is not None and not transaction.is_active:
        # A statement failed and was handled (e.g. a health probe): nothing to commit.
        session.rollback()
        return
    session.commit()


def fail(session: Session, error: BaseException) -> None:
    """Roll the unit of work back; then commit only what was kept for this case.

    A database outage keeps nothing: the connection is gone, and a retried safe
    request records its refusals again. When committing the kept records fails too,
    that is logged and the original error goes on (the caller raises it).
    """
    kept: list[Replay] = session.info.pop(KEPT_KEY, [])
    try:
        session.rollback()
    except SQLAlchemyError:
        log.warning("rollback failed", extra={"event": "rollback_failed"})
        session.close()
        return
    finally:
        for key in _DISCARDED:
            session.info.pop(key, None)
    if not kept or isinstance(error, DBAPIError):
        return
    try:
        for replay in kept:
            replay(session)
        session.commit()
    except SQLAlchemyError as exc:
        log.error(
            "records of a refusal not written",
            extra={"event": "refusal_records_failed", "error": type(exc).__name__},
        )
        session.rollback()


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit ``session`` when the block succeeds; on an exception see :func:`fail`."""
    try:
        yield session
    except BaseException as error:
        fail(session, error)
        raise
    commit(session)


@contextmanager
def request_unit_of_work() -> Iterator[None]:
    """The unit of work of one request, on the request's session if it opened one."""
    try:
        yield
    except BaseException as error:
        session: Session | None = g.get(_REQUEST_SESSION)
        if session is not None:
            fail(session, error)
        raise
    session = g.get(_REQUEST_SESSION)
    if session is not None:
        commit(session)


@contextmanager
def work_scope(app: Flask | None = None) -> Iterator[Session]:
    """A fresh session in its own unit of work (CLI commands, background work)."""
    with session_scope(app) as session, unit_of_work(session):
        yield session
