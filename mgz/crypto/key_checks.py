"""Key check values: refuse to start with keys the database's data was not written with.

A wrong key does not fail by itself: another key's bytes under the same id give
``decryption-failed`` on every old file and wrap every new file's data key under the
wrong key; a wrong index key finds nobody and lets the same person in twice. So each
key gets a check value (an HMAC under the key of a fixed label naming the key; it
proves the key without revealing it), stored in ``key_checks`` when the key is first
used and compared at every start. A mismatch, or data keys wrapped under a master key
id that is not configured, stops start-up with one line naming the key (exit 2).

Where no check value exists yet but data keys are wrapped under a key id (a database
from before the check values), one of those data keys is unwrapped to prove the key
before its check value is stored. The index key of such a database is trusted on
first use. ``/health`` compares the stored values with the keys in use on each probe
and answers 503 when one differs; ``mgz keys status`` shows every check.
"""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from mgz.audit.service import record as audit_record
from mgz.core import health, migrations
from mgz.core.actor import Actor
from mgz.core.config import ConfigError
from mgz.core.db import Probe, database, read_only, utcnow
from mgz.core.errors import ServiceUnavailableError
from mgz.crypto.keys import CryptoState, MasterKeys, UnwrapError, state, unwrap_dek
from mgz.crypto.models import DataKey, KeyCheck

log = logging.getLogger("mgz.crypto")

EXTENSION = "mgz.crypto.key_checks"
MASTER = "master"
INDEX = "index"
INDEX_ID = "index"
_LABEL = b"mgz.key-check.v1\x00"

# Statuses of one check.
OK = "ok"  # the stored check value matches the configured key
CREATED = "created"  # no check value was stored; it is now
ABSENT = "absent"  # no check value stored yet (created at the next start)
UNUSED = "unused"  # a check value of a key that is not configured and wraps no data key
MISMATCH = "mismatch"  # the configured key is not the key the data was written with
UNCONFIGURED = "unconfigured"  # data keys are wrapped under an id that is not configured
FAILED = frozenset({MISMATCH, UNCONFIGURED})


class KeyCheckError(Exception):
    """A configured key does not match its stored check value (or data needs another id).

    The message is one line naming the setting and the key id, never key bytes.
    """

    def __init__(self, result: KeyCheckResult) -> None:
        super().__init__(result.message)
        self.result = result


class NotReadyError(Exception):
    """The database cannot be checked yet: unreachable or not at the newest migration."""


@dataclass(frozen=True)
class KeyCheckResult:
    """The check of one key, as ``mgz keys status`` shows it."""

    kind: str
    key_id: str
    status: str

    @property
    def failed(self) -> bool:
        """Whether this check stops start-up."""
        return self.status in FAILED

    @property
    def object_type(self) -> str:
        """The audit object type of the key."""
        return "master_key" if self.kind == MASTER else "index_key"

    @property
    def message(self) -> str:
        """One line for the configuration error (names the key, never its bytes)."""
        if self.kind == INDEX:
            return (
                "MGZ_INDEX_KEY: is not the index key this database's blind indexes were "
                "written with (key check value differs)"
            )
        if self.status == UNCONFIGURED:
            return (
                f"MGZ_MASTER_KEYS: data keys are wrapped under master key id {self.key_id}, "
                "which is not configured"
            )
        return (
            f"MGZ_MASTER_KEYS: key {self.key_id} is not the key this database's data keys "
            "were wrapped with (key check value differs)"
        )


def check_value(key: bytes, kind: str, key_id: str) -> str:
    """The check value of a key: HMAC-SHA256 under the key of a label naming it, hex.

    The label differs from every other use of the keys (AEAD wrapping, HKDF of the
    index subkeys), so the value tells nothing about data protected by the key.
    """
    mac = crypto_hmac.HMAC(key, hashes.SHA256())
    mac.update(_LABEL + kind.encode("ascii") + b"\x00" + key_id.encode("ascii"))
    return mac.finalize().hex()


def _same(stored: str, expected: str) -> bool:
    return hmac.compare_digest(stored.encode("ascii"), expected.encode("ascii"))


def _unwraps_a_sample(session: Session, master: MasterKeys, kek_id: str) -> bool:
    """Whether one data key wrapped under ``kek_id`` unwraps with the configured key."""
    row = session.scalars(select(DataKey).where(DataKey.kek_id == kek_id).limit(1)).first()
    if row is None or row.wrapped_key is None:
        return True
    try:
        unwrap_dek(master, kek_id, row.subject_id, row.dek_version, row.wrapped_key)
    except UnwrapError:
        return False
    return True


def inspect(session: Session, crypto: CryptoState) -> list[KeyCheckResult]:
    """Compare the configured keys with the stored check values; changes nothing.

    Master keys first (configured ones in configured order, then ids that only the
    database knows), the index key last.
    """
    stored = {(row.kind, row.key_id): row.check_value for row in session.scalars(select(KeyCheck))}
    wrapping = set(
        session.scalars(select(DataKey.kek_id).where(DataKey.kek_id.is_not(None)).distinct())
    )
    master = crypto.master
    results: list[KeyCheckResult] = []
    for kek_id, key in master.keys.items():
        value = stored.get((MASTER, kek_id))
        if value is None:
            status = (
                ABSENT
                if kek_id not in wrapping or _unwraps_a_sample(session, master, kek_id)
                else MISMATCH
            )
        else:
            status = OK if _same(value, check_value(key, MASTER, kek_id)) else MISMATCH
        results.append(KeyCheckResult(MASTER, kek_id, status))
    others = {key_id for kind, key_id in stored if kind == MASTER} | wrapping
    for kek_id in sorted(others - set(master.keys)):
        status = UNCONFIGURED if kek_id in wrapping else UNUSED
        results.append(KeyCheckResult(MASTER, kek_id, status))
    value = stored.get((INDEX, INDEX_ID))
    if value is None:
        status = ABSENT
    else:
        status = OK if _same(value, check_value(crypto.index_key, INDEX, INDEX_ID)) else MISMATCH
    results.append(KeyCheckResult(INDEX, INDEX_ID, status))
    return results


def _create(session: Session, actor: Actor, result: KeyCheckResult, value: str) -> KeyCheckResult:
    """Store a check value unless another process just did; then compare with that one.

    Two workers starting at once on a fresh database both find no value and both
    insert: the second insert fails on the primary key (on PostgreSQL it waits for
    the first transaction to end), and the second worker compares with the stored one.
    """
    try:
        with session.begin_nested():
            session.add(
                KeyCheck(
                    kind=result.kind,
                    key_id=result.key_id,
                    check_value=value,
                    created_at=utcnow(),
                    created_by=actor.username,
                )
            )
    except IntegrityError:
        stored = session.scalar(
            select(KeyCheck.check_value).where(
                KeyCheck.kind == result.kind, KeyCheck.key_id == result.key_id
            )
        )
        status = OK if stored is not None and _same(stored, value) else MISMATCH
        return KeyCheckResult(result.kind, result.key_id, status)
    audit_record(
        session,
        actor,
        "keys.check_create",
        object_type=result.object_type,
        object_id=result.key_id,
    )
    return KeyCheckResult(result.kind, result.key_id, CREATED)


def verify(session: Session, actor: Actor, crypto: CryptoState) -> list[KeyCheckResult]:
    """Check every key, store the missing check values (audited); the caller commits.

    Raises KeyCheckError naming the first key that fails.
    """
    results = []
    for result in inspect(session, crypto):
        if result.status == ABSENT:
            key = crypto.index_key if result.kind == INDEX else crypto.master.keys[result.key_id]
            result = _create(session, actor, result, check_value(key, result.kind, result.key_id))
        if result.failed:
            raise KeyCheckError(result)
        results.append(result)
    return results


# --- start-up, first request and health --------------------------------------------------


@dataclass
class _Checked:
    """Whether this process has verified its keys against the database."""

    verified: bool = False
    failure_recorded: bool = False
    # Monotonic time until which the last passed health comparison stands.
    healthy_until: float = 0.0


def _checked(app: Flask) -> _Checked:
    return app.extensions[EXTENSION]


def _record_failure(app: Flask, actor: Actor, error: KeyCheckError) -> None:
    """Audit a failed key check in a transaction of its own (once per process)."""
    checked = _checked(app)
    if checked.failure_recorded:
        return
    checked.failure_recorded = True
    try:
        with database(app).new_session() as session:
            audit_record(
                session,
                actor,
                "keys.check",
                object_type=error.result.object_type,
                object_id=error.result.key_id,
                outcome="failure",
                details={"reason": error.result.status},
            )
            session.commit()
    except SQLAlchemyError:
        log.error(
            "audit event for a failed key check not written", extra={"event": "audit_write_failed"}
        )


def verify_app(app: Flask, actor: Actor) -> list[KeyCheckResult]:
    """Verify the app's keys in a transaction of its own and remember that it did.

    Raises NotReadyError when the database is unreachable or not at the newest
    migration (nothing to compare with yet), KeyCheckError on a failed check (audited).
    """
    with app.app_context():
        try:
            # Usually every check value is stored and matches: a read-only look, which
            # on SQLite waits for no writer. Only a missing value needs the write path.
            with read_only(database(app).new_session()) as session:
                if migrations.revision_of(session.connection()) != migrations.head_revision():
                    raise NotReadyError()
                looked = inspect(session, state(app))
            if all(result.status in (OK, UNUSED) for result in looked):
                _checked(app).verified = True
                return looked
            with database(app).new_session() as session:
                try:
                    results = verify(session, actor, state(app))
                except KeyCheckError:
                    session.rollback()
                    raise
                session.commit()
        except SQLAlchemyError:
            raise NotReadyError() from None
        except KeyCheckError as error:
            _record_failure(app, actor, error)
            raise
    _checked(app).verified = True
    return results


def _verify_before_request() -> None:
    """Fail closed: a process that could not check its keys at start checks them now."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if _checked(app).verified:
        return
    try:
        verify_app(app, Actor.system("keys check"))
    except NotReadyError:
        return  # health reports the database; nothing is stored to compare with yet
    except KeyCheckError as error:
        # At start-up the ConfigError is the one line; here a log line says which key.
        log.error(
            "key check failed: %s %s (%s)",
            error.result.kind,
            error.result.key_id,
            error.result.status,
            extra={"event": "key_check_failed"},
        )
        raise ServiceUnavailableError(
            "Die Schlüsselprüfung ist fehlgeschlagen; siehe `mgz keys status`.",
            extra={"keys": "failed"},
        ) from None


def _health_check(probe: Probe) -> dict[str, Any]:
    """Compare the stored check values with the keys in use, on every probe."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if not _checked(app).verified:
        raise ServiceUnavailableError(
            "Die Schlüssel sind noch nicht geprüft.", extra={"database": "ok", "keys": "unchecked"}
        )
    checked = _checked(app)
    if time.monotonic() < checked.healthy_until:
        return {"keys": "ok"}
    failed = [r for r in inspect(probe.session, state(app)) if r.status not in (OK, UNUSED)]
    if failed:
        for result in failed:
            log.error(
                "key check failed: %s %s (%s)",
                result.kind,
                result.key_id,
                result.status,
                extra={"event": "health_key_check_failed"},
            )
        raise ServiceUnavailableError(
            "Die Schlüsselprüfung ist fehlgeschlagen; siehe `mgz keys status`.",
            extra={"database": "ok", "keys": "failed"},
        )
    # A passed comparison stands a few seconds (HEALTH_KEY_CHECK_SECONDS): probes come
    # every second or two, and the comparison scans the wrapping key ids. A failure is
    # never cached.
    checked.healthy_until = time.monotonic() + app.config["HEALTH_KEY_CHECK_SECONDS"]
    return {"keys": "ok"}


def init_app(app: Flask, *, verify_now: bool = True) -> None:
    """Check the keys at start-up (ConfigError on a failed check); else at first request.

    ``verify_now=False`` builds the app without checking at start (``mgz keys status``
    shows the checks itself); its requests still check first.
    """
    app.extensions[EXTENSION] = _Checked()
    app.before_request(_verify_before_request)
    health.add_readiness_check(app, _health_check)
    if not verify_now:
        return
    try:
        verify_app(app, Actor.system("keys check"))
    except NotReadyError:
        log.info(
            "keys not checked at start: database not reachable or not migrated; "
            "checked at the first request",
            extra={"event": "key_check_deferred"},
        )
    except KeyCheckError as error:
        raise ConfigError(str(error)) from None
    finally:
        # No connection from start-up stays in the pool: gunicorn may fork after it,
        # and a request must see the database as it is then.
        engine = database(app).engine
        if engine is not None:
            engine.dispose()
