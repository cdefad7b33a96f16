"""Per-person data keys (DEKs): creation, unwrapping and the per-session cache.

Each data subject has one random data key, stored wrapped by the active master key in
``data_keys``. Unwrapping costs a master-key AEAD call and a query, so unwrapped keys
are cached per session (bounded) and dropped at every commit and rollback: a key
shredded by another transaction is not used past our own transaction's end.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import event
from sqlalchemy.orm import Session

from mgz.core.db import utcnow
from mgz.crypto import fields as fmt
from mgz.crypto.errors import DecryptionError, KeyNotUsableError, SubjectShreddedError
from mgz.crypto.keys import KEY_BYTES, UnwrapError, state, unwrap_dek, wrap_dek
from mgz.crypto.models import DataKey, RetiredMasterKey

_DEK_CACHE = "mgz.crypto.deks"
DEK_CACHE_SIZE = 256


class Dek(NamedTuple):
    """An unwrapped data key ready for use, with the header its values carry."""

    version: int
    aead: AESGCM
    header: bytes


class DekCache(dict[int, Dek]):
    """Unwrapped data keys of one session, keyed by the subject UUID's integer.

    Bounded: past ``size`` entries the oldest one goes. (Keyed by ``uuid.int``
    because hashing a UUID object runs Python code on every lookup.)
    """

    def __init__(self, size: int = DEK_CACHE_SIZE) -> None:
        super().__init__()
        self.size = size

    def put(self, subject_id: uuid.UUID, dek: Dek) -> None:
        """Cache a key; past ``size`` entries the oldest one goes."""
        self[subject_id.int] = dek
        while len(self) > self.size:
            del self[next(iter(self))]

    def lookup(self, subject_id: uuid.UUID) -> Dek | None:
        """The cached key of a subject, if any."""
        return self.get(subject_id.int)

    def discard(self, subject_id: uuid.UUID) -> None:
        """Forget one subject's key (shredding)."""
        self.pop(subject_id.int, None)


def dek_cache(session: Session) -> DekCache:
    """The data-key cache of ``session``."""
    cache = session.info.get(_DEK_CACHE)
    if cache is None:
        cache = session.info[_DEK_CACHE] = DekCache()
    return cache


def _clear_cache(session: Session, *_args: Any) -> None:
    cache = session.info.get(_DEK_CACHE)
    if cache is not None:
        cache.clear()


def _clear_at_end(session: Session, transaction: Any) -> None:
    # Also when a session is closed without commit or rollback: the keys do not outlive
    # the outermost transaction, wherever a reference to the cache is still held.
    if transaction.parent is None:
        _clear_cache(session)


event.listen(Session, "after_commit", _clear_cache)
event.listen(Session, "after_rollback", _clear_cache)
event.listen(Session, "after_transaction_end", _clear_at_end)


def _load(session: Session, subject_id: uuid.UUID) -> DataKey | None:
    with session.no_autoflush:
        return session.get(DataKey, subject_id)


def _unwrap(row: DataKey) -> Dek:
    if row.wrapped_key is None or row.kek_id is None:
        raise SubjectShreddedError()
    try:
        raw = unwrap_dek(
            state().master, row.kek_id, row.subject_id, row.dek_version, row.wrapped_key
        )
    except UnwrapError as exc:
        raise DecryptionError(reason=exc.reason) from None
    return Dek(row.dek_version, AESGCM(raw), fmt.header(row.dek_version))


def key_for_reading(session: Session, subject_id: uuid.UUID) -> Dek:
    """The subject's data key (cached); DecryptionError if it is missing or unusable."""
    cache = dek_cache(session)
    dek = cache.lookup(subject_id)
    if dek is None:
        row = _load(session, subject_id)
        if row is None:
            raise DecryptionError(reason="missing_key")
        dek = _unwrap(row)
        cache.put(subject_id, dek)
    return dek


def key_for_writing(session: Session, subject_id: uuid.UUID) -> Dek:
    """The subject's data key, created and wrapped by the active master key if new."""
    cache = dek_cache(session)
    dek = cache.lookup(subject_id)
    if dek is not None:
        return dek
    row = _load(session, subject_id)
    if row is None:
        master = state().master
        with session.no_autoflush:
            if session.get(RetiredMasterKey, master.active_id) is not None:
                raise KeyNotUsableError(
                    f"Der aktive Hauptschlüssel {master.active_id} ist stillgelegt; "
                    "bitte einen neuen Schlüssel voranstellen."
                )
        raw = os.urandom(KEY_BYTES)
        kek_id, wrapped = wrap_dek(master, subject_id, 1, raw)
        session.add(
            DataKey(
                subject_id=subject_id,
                dek_version=1,
                kek_id=kek_id,
                wrapped_key=wrapped,
                created_at=utcnow(),
            )
        )
        dek = Dek(1, AESGCM(raw), fmt.header(1))
    else:
        dek = _unwrap(row)
    cache.put(subject_id, dek)
    return dek
