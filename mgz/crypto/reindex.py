"""Refill blind indexes from the encrypted values: after a migration adds an index.

A migration can add a blind-index column but cannot fill it: that needs the data
keys and the index key. ``mgz keys reindex`` does it for every row whose index is
NULL although its sources are stored (:func:`index_backlog` counts them; ``mgz keys
status`` shows the count). Rows of crypto-shredded subjects are left alone: their
indexes were cleared on purpose and their values cannot be read any more.

A batch job that commits in chunks, like ``mgz.crypto.service.rotate``: each batch
is a short transaction of its own, so the application keeps serving beside it, and
an interrupted run is resumed by running it again. Each batch writes one
``keys.reindex`` audit event (table and row count, never a value) in its own
transaction; the decrypted values stay in memory for the HMAC and are dropped with
the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, MetaData, and_, exists, func, inspect, or_, select
from sqlalchemy.orm import Session

from mgz.audit.service import record
from mgz.core.actor import Actor
from mgz.core.db import Base
from mgz.crypto.blind_index import blind_index_with
from mgz.crypto.keys import state
from mgz.crypto.models import DataKey
from mgz.crypto.registry import ModelSpec
from mgz.crypto.types import registered_models

REINDEX_BATCH = 1000


def _missing(spec: ModelSpec) -> ColumnElement[bool]:
    """SQL: some index of the row is NULL while all its sources hold a stored value."""
    cls = spec.cls
    conditions = []
    for attribute, index in spec.indexes:
        stored = [
            getattr(cls, spec.fields[source].storage).is_not(None) for source in index.sources
        ]
        conditions.append(and_(getattr(cls, attribute).is_(None), *stored))
    subject = getattr(cls, spec.subject)
    shredded = exists().where(DataKey.subject_id == subject, DataKey.shredded_at.is_not(None))
    return and_(or_(*conditions), ~shredded)


def _indexed_models(metadata: MetaData | None) -> list[ModelSpec]:
    metadata = Base.metadata if metadata is None else metadata
    return [spec for spec in registered_models(metadata) if spec.indexes]


def index_backlog(session: Session, metadata: MetaData | None = None) -> int:
    """How many rows lack a blind index they should have (0 once reindexed)."""
    total = 0
    for spec in _indexed_models(metadata):
        query = select(func.count()).select_from(spec.cls).where(_missing(spec))
        total += int(session.scalar(query) or 0)
    return total


def _refresh(obj: Any, spec: ModelSpec, macs: dict[str, Any]) -> None:
    for attribute, index in spec.indexes:
        values = [getattr(obj, source) for source in index.sources]
        if None in values:
            setattr(obj, attribute, None)
            continue
        mac = macs.get(index.purpose)
        if mac is None:
            mac = macs[index.purpose] = state().index_mac(index.purpose)
        setattr(obj, attribute, blind_index_with(mac, index.parts_of(values)))


def reindex(
    session: Session,
    actor: Actor,
    *,
    batch_size: int = REINDEX_BATCH,
    metadata: MetaData | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Compute every missing blind index from the decrypted sources; returns the rows done.

    Commits after each batch (see the module docstring). A value that fails to
    decrypt stops the run with DecryptionError (reported and audited as any failed
    read); the batches before it stay done.
    """
    done = 0
    macs: dict[str, Any] = {}
    for spec in _indexed_models(metadata):
        pk = getattr(spec.cls, inspect(spec.cls).primary_key[0].key)
        after = None
        while True:
            query = select(spec.cls).where(_missing(spec)).order_by(pk).limit(batch_size)
            if after is not None:
                query = query.where(pk > after)
            rows = session.scalars(query).all()
            if not rows:
                session.commit()
                break
            for obj in rows:
                _refresh(obj, spec, macs)
            after = getattr(rows[-1], spec.pk)
            record(
                session,
                actor,
                "keys.reindex",
                object_type="table",
                object_id=spec.cls.__table__.name,  # type: ignore[attr-defined]
                details={"rows": len(rows)},
            )
            session.commit()
            session.expunge_all()
            done += len(rows)
            if on_batch is not None:
                on_batch(len(rows))
    return done
