"""Key operations: status, rotation, retirement of master keys, crypto-shredding.

Every operation that changes keys writes an audit event. ``rotate`` commits batch by
batch (it is meant to run beside the live application and to resume after an
interruption: the one batch job excepted from "services flush, never commit");
``retire`` and ``shred`` flush and leave the commit to the caller's unit of work
(``mgz.core.unit_of_work``), so the event and the change commit together.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import MetaData, Select, func, literal_column, select, update
from sqlalchemy.orm import Session

from mgz.audit.service import record as audit_record
from mgz.core.actor import Actor
from mgz.core.db import Base, utcnow
from mgz.crypto.data_keys import forget_active_key_check
from mgz.crypto.errors import KeyInUseError, KeyNotUsableError
from mgz.crypto.keys import MasterKeys, UnwrapError, unwrap_dek, wrap_dek
from mgz.crypto.models import DataKey, RetiredMasterKey
from mgz.crypto.types import forget_plaintext, registered_models

ROTATE_BATCH = 5000  # ~0.2 s of locks per batch at 20,000 keys/s


@dataclass(frozen=True)
class KekUsage:
    """One master key id as ``mgz keys status`` shows it."""

    kek_id: str
    data_keys: int
    configured: bool
    active: bool
    retired: bool


@dataclass(frozen=True)
class KeyStatus:
    """Which master keys wrap how many data keys."""

    keys: list[KekUsage]
    shredded: int
    active_id: str

    @property
    def pending_rotation(self) -> int:
        """Data keys not yet wrapped by the active master key."""
        return sum(k.data_keys for k in self.keys if not k.active)

    @property
    def unreadable(self) -> list[str]:
        """Ids wrapping data keys without being configured: those subjects cannot be read."""
        return [k.kek_id for k in self.keys if k.data_keys and not k.configured]


def key_status(session: Session, master: MasterKeys) -> KeyStatus:
    """Count data keys per master key id, configured or not."""
    counts = dict(
        session.execute(
            select(DataKey.kek_id, func.count())
            .where(DataKey.kek_id.is_not(None))
            .group_by(DataKey.kek_id)
        ).all()
    )
    shredded = session.scalar(
        select(func.count()).select_from(DataKey).where(DataKey.kek_id.is_(None))
    )
    retired = set(session.scalars(select(RetiredMasterKey.kek_id)))
    ids = list(master.keys) + sorted((set(counts) | retired) - set(master.keys))
    usage = [
        KekUsage(
            kek_id=kek_id,
            data_keys=int(counts.get(kek_id, 0)),
            configured=kek_id in master.keys,
            active=kek_id == master.active_id,
            retired=kek_id in retired,
        )
        for kek_id in ids
    ]
    return KeyStatus(keys=usage, shredded=int(shredded or 0), active_id=master.active_id)


@dataclass
class RotationResult:
    """What one ``rotate`` run did."""

    rewrapped: int = 0
    batches: int = 0
    by_old_key: dict[str, int] = field(default_factory=dict)


def _pending(master: MasterKeys) -> Select[tuple[DataKey]]:
    return select(DataKey).where(DataKey.kek_id.is_not(None), DataKey.kek_id != master.active_id)


def rotation_backlog(session: Session, master: MasterKeys) -> int:
    """Data keys still wrapped by another master key than the active one."""
    query = select(func.count()).select_from(_pending(master).subquery())
    return int(session.scalar(query) or 0)


def _refuse_retired_active(session: Session, master: MasterKeys) -> None:
    if session.get(RetiredMasterKey, master.active_id) is not None:
        raise KeyNotUsableError(
            f"Der aktive Hauptschlüssel {master.active_id} ist stillgelegt; "
            "bitte einen neuen Schlüssel voranstellen."
        )


def rotate(
    session: Session,
    actor: Actor,
    master: MasterKeys,
    *,
    batch_size: int = ROTATE_BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> RotationResult:
    """Re-wrap every data key under the active master key, committing batch by batch.

    A batch job that commits in chunks, on purpose: each batch is a short transaction
    of its own, so the live application keeps working beside it (online) and an
    interrupted run leaves its committed batches done (resumable: run it again). On
    PostgreSQL rows that a request holds are skipped for now (``SKIP LOCKED``) and
    picked up by a later batch or run. The data keys themselves do not change, so no
    encrypted field is rewritten. Each batch writes its audit event (one per old
    master key) in the same transaction. A data key whose master key is not
    configured stops the run with KeyNotUsableError (its batch rolls back, the
    failure is audited).

    Speed: the batch is read as plain tuples, unwrapped and wrapped in a loop, and
    written with one executemany UPDATE; no ORM object is built per key.
    """
    result = RotationResult()
    _refuse_retired_active(session, master)
    table = DataKey.__table__
    write = _Rewrite(session)
    after: uuid.UUID | None = None  # keyset: each batch starts behind the previous one
    moved_in_pass = 0
    while True:
        query = (
            select(table.c.dek_version, table.c.kek_id, table.c.wrapped_key, *write.key_columns())
            .where(table.c.kek_id.is_not(None), table.c.kek_id != master.active_id)
            .order_by(table.c.subject_id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
        if after is not None:
            query = query.where(table.c.subject_id > after)
        rows = session.execute(query).all()
        if not rows:
            session.commit()
            if after is None or not moved_in_pass:
                break
            # Rows skipped because a request held them: one more pass from the start.
            after, moved_in_pass = None, 0
            continue
        after = rows[-1][3]
        moved_in_pass += len(rows)
        moved: dict[str, int] = {}
        changes = []
        for dek_version, old, wrapped, *key in rows:
            subject_id = key[0]
            try:
                raw = unwrap_dek(master, old, subject_id, dek_version, wrapped)
            except UnwrapError as exc:
                session.rollback()
                audit_record(
                    session,
                    actor,
                    "keys.rotate",
                    object_type="master_key",
                    object_id=old,
                    outcome="failure",
                    details={"reason": exc.reason, "rewrapped": result.rewrapped},
                )
                session.commit()
                raise KeyNotUsableError(
                    f"Ein Datenschlüssel ist mit dem Hauptschlüssel {old} umschlossen, der "
                    "nicht (oder falsch) konfiguriert ist; Rotation angehalten."
                ) from None
            new_id, rewrapped = wrap_dek(master, subject_id, dek_version, raw)
            changes.append((key, rewrapped))
            moved[old] = moved.get(old, 0) + 1
        write(master.active_id, changes, utcnow())
        for old, count in moved.items():
            audit_record(
                session,
                actor,
                "keys.rotate",
                object_type="master_key",
                object_id=master.active_id,
                details={"from": old, "count": count},
            )
            result.by_old_key[old] = result.by_old_key.get(old, 0) + count
        session.commit()
        _expire_loaded_data_keys(session)
        result.rewrapped += len(rows)
        result.batches += 1
        if on_batch is not None:
            on_batch(len(rows))
    return result


# SQLite: by rowid, which saves the lookup in the primary key's index.
_REWRITE_SQLITE = "UPDATE data_keys SET kek_id = ?, wrapped_key = ?, rotated_at = ? WHERE rowid = ?"
# PostgreSQL: the whole batch in one statement, the new wrapped keys as arrays.
_REWRITE_PG = (
    "UPDATE data_keys AS d SET kek_id = %s, wrapped_key = v.wrapped, rotated_at = %s "
    "FROM unnest(%s::uuid[], %s::bytea[]) AS v(subject_id, wrapped) "
    "WHERE d.subject_id = v.subject_id"
)


class _Rewrite:
    """Write a batch of re-wrapped keys in one go, past the ORM.

    SQLAlchemy's per-row parameter handling and psycopg's per-row executemany cost
    more than the unwrapping and wrapping itself; so PostgreSQL gets one UPDATE
    with arrays and SQLite one executemany by rowid with the driver's parameters
    (the timestamp converted by the column's own bind processor).
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        dialect = session.get_bind().dialect
        self.postgresql = dialect.name == "postgresql"
        columns = DataKey.__table__.c
        same: Callable[[Any], Any] = lambda value: value  # noqa: E731
        self.moment = columns.rotated_at.type.bind_processor(dialect) or same

    def key_columns(self) -> list[Any]:
        """What identifies a row to ``__call__``: the subject id, and SQLite's rowid."""
        columns = DataKey.__table__.c
        return (
            [columns.subject_id]
            if self.postgresql
            else [columns.subject_id, literal_column("rowid")]
        )

    def __call__(self, kek_id: str, changes: list[tuple[Any, bytes]], now: Any) -> None:
        at, connection = self.moment(now), self.session.connection()
        if self.postgresql:
            subjects = [key[0] for key, _ in changes]
            wrapped = [blob for _, blob in changes]
            connection.exec_driver_sql(_REWRITE_PG, (kek_id, at, subjects, wrapped))
            return
        connection.exec_driver_sql(
            _REWRITE_SQLITE, [(kek_id, w, at, row) for (_s, row), w in changes]
        )


def _expire_loaded_data_keys(session: Session) -> None:
    # The UPDATE went past the ORM: data keys this session had loaded are stale.
    for instance in list(session.identity_map.values()):
        if isinstance(instance, DataKey):
            session.expire(instance)


def retire(session: Session, actor: Actor, master: MasterKeys, kek_id: str) -> RetiredMasterKey:
    """Mark a master key as retired; refuse while any data key is wrapped by it.

    After this the key may be removed from ``MGZ_MASTER_KEYS`` and destroyed; backups
    holding data keys wrapped by it become unreadable, which completes the erasure of
    shredded subjects in those backups. The caller commits.
    """
    if kek_id == master.active_id:
        raise KeyInUseError(
            f"Der Hauptschlüssel {kek_id} ist aktiv; zuerst einen neuen Schlüssel "
            "voranstellen und `mgz keys rotate` ausführen."
        )
    in_use = session.scalar(
        select(func.count()).select_from(DataKey).where(DataKey.kek_id == kek_id)
    )
    if in_use:
        audit_record(
            session,
            actor,
            "keys.retire",
            object_type="master_key",
            object_id=kek_id,
            outcome="denied",
            details={"data_keys": int(in_use)},
        )
        raise KeyInUseError(
            f"Der Hauptschlüssel {kek_id} umschließt noch {in_use} Datenschlüssel; "
            "zuerst `mgz keys rotate` ausführen."
        )
    existing = session.get(RetiredMasterKey, kek_id)
    if existing is not None:
        return existing
    retired = RetiredMasterKey(kek_id=kek_id, retired_at=utcnow(), retired_by=actor.username)
    session.add(retired)
    forget_active_key_check()
    audit_record(session, actor, "keys.retire", object_type="master_key", object_id=kek_id)
    session.flush()
    return retired


def shred(
    session: Session, actor: Actor, subject_id: uuid.UUID, *, metadata: MetaData | None = None
) -> DataKey:
    """Destroy one data subject's data key and clear their blind indexes (crypto-shredding).

    Afterwards none of the subject's encrypted fields can be decrypted by anyone with
    any key; reading them raises SubjectShreddedError. Blind-index columns of every
    model with encrypted fields for this subject (on ``metadata``, default: the
    application's) are set to NULL. The row stays as a tombstone so that no new data
    key is made for the erased person. Copies of the wrapped key in backups, WAL or
    free database pages stay readable only with the master key that wrapped it:
    rotate and retire that key to complete the erasure there. The caller commits.
    """
    metadata = Base.metadata if metadata is None else metadata
    row = session.get(DataKey, subject_id, with_for_update=True)
    if row is None:
        row = DataKey(subject_id=subject_id, dek_version=1, created_at=utcnow())
        session.add(row)
    row.wrapped_key = None
    row.kek_id = None
    row.shredded_at = utcnow()
    cleared = 0
    for spec in registered_models(metadata):
        if not spec.indexes:
            continue
        values = {attribute: None for attribute, _ in spec.indexes}
        for subject in spec.subjects:
            column = getattr(spec.cls, subject)
            outcome = session.execute(
                update(spec.cls).where(column == subject_id).values(values),
                execution_options={"synchronize_session": "fetch"},
            )
            cleared += outcome.rowcount or 0  # type: ignore[attr-defined]
    forget_plaintext(session, subject_id)
    audit_record(
        session,
        actor,
        "keys.shred",
        object_type="data_subject",
        object_id=str(subject_id),
        details={"index_rows_cleared": cleared},
    )
    session.flush()
    return row
