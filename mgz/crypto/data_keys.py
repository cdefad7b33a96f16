"""Per-person data keys (DEKs): creation, unwrapping and the per-session cache.

Each data subject has one random data key, stored wrapped by the active master key in
``data_keys``. Unwrapping costs a master-key AEAD call and a query, so unwrapped keys
are cached per session (bounded) and dropped at every commit and rollback: a key
shredded by another transaction is not used past our own transaction's end.

Keys are fetched in batches: every loaded row of a model with encrypted fields notes
its subject (``note_loaded``), and the first read that misses the cache fetches the
keys of all noted subjects in one query. A page of 50 files from 50 people costs one
key query, not 50.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session

from mgz.core.db import utcnow
from mgz.crypto import fields as fmt
from mgz.crypto.errors import DecryptionError, KeyNotUsableError, SubjectShreddedError
from mgz.crypto.keys import KEY_BYTES, MasterKeys, UnwrapError, state, unwrap_dek, wrap_dek
from mgz.crypto.models import DataKey, RetiredMasterKey

_DEK_CACHE = "mgz.crypto.deks"
_KEY_ROWS = "mgz.crypto.key_rows"  # data-key rows read with their records, still wrapped
_UNKEYED = "mgz.crypto.unkeyed"
DEK_CACHE_SIZE = 256
# How long this process trusts that the active master key is not retired. Retiring
# the active key is refused, so this only bounds how long a process started with an
# already retired key in front (an operator's mistake) could keep writing with it.
ACTIVE_KEY_CHECK_SECONDS = 60.0
_active_checked: dict[str, float] = {}


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
    session.info.pop(_UNKEYED, None)
    session.info.pop(_KEY_ROWS, None)


def note_loaded(session: Session, subject_id: Any) -> None:
    """Remember a loaded row's subject, so its key comes with the next batch.

    Bounded like the cache: past its size the oldest subjects are forgotten (their
    keys are then fetched by a later batch).
    """
    if type(subject_id) is not uuid.UUID:
        return
    unkeyed: dict[int, uuid.UUID] | None = session.info.get(_UNKEYED)
    if unkeyed is None:
        unkeyed = session.info[_UNKEYED] = {}
    unkeyed[subject_id.int] = subject_id
    if len(unkeyed) > DEK_CACHE_SIZE:
        del unkeyed[next(iter(unkeyed))]


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


# Built once; the expanding IN takes any number of subjects.
_KEYS_OF = select(
    DataKey.subject_id, DataKey.dek_version, DataKey.kek_id, DataKey.wrapped_key
).where(DataKey.subject_id.in_(bindparam("subjects", expanding=True)))


def _fetch_batch(session: Session, subject_id: uuid.UUID, cache: DekCache) -> Dek | None:
    """Fetch and unwrap the keys of ``subject_id`` and of every noted subject at once.

    Returns the key of ``subject_id`` (None if it has no row). A noted subject whose
    key is shredded or does not unwrap is skipped here: its own read reports it.
    """
    unkeyed: dict[int, uuid.UUID] = session.info.pop(_UNKEYED, None) or {}
    wanted = {subject_id.int: subject_id}
    for number, subject in unkeyed.items():
        if number not in cache and len(wanted) < DEK_CACHE_SIZE:
            wanted[number] = subject
    with session.no_autoflush:
        rows = session.execute(_KEYS_OF, {"subjects": list(wanted.values())}).all()
    found: Dek | None = None
    master = state().master
    for row in rows:
        if row.subject_id == subject_id:
            found = _unwrap(row, master)  # raises for the subject actually read
            cache.put(subject_id, found)
            continue
        try:
            cache.put(row.subject_id, _unwrap(row, master))
        except (DecryptionError, SubjectShreddedError):
            continue
    return found


def _unwrap(row: Any, master: MasterKeys | None = None) -> Dek:
    if row.wrapped_key is None or row.kek_id is None:
        raise SubjectShreddedError()
    try:
        raw = unwrap_dek(
            master or state().master, row.kek_id, row.subject_id, row.dek_version, row.wrapped_key
        )
    except UnwrapError as exc:
        raise DecryptionError(reason=exc.reason) from None
    return Dek(row.dek_version, AESGCM(raw), fmt.header(row.dek_version))


@dataclass(frozen=True)
class _KeyRow:
    """A data-key row read with its subject's record, still wrapped."""

    subject_id: uuid.UUID
    dek_version: int
    kek_id: str | None
    wrapped_key: bytes | None


def note_key_row(
    session: Session,
    subject_id: uuid.UUID,
    dek_version: int,
    kek_id: str | None,
    wrapped_key: bytes | None,
) -> None:
    """Keep a subject's data-key row that a query read with the record (one query fewer).

    It stays wrapped until a field of the subject is read (then it is unwrapped and
    cached like a fetched key, with the same refusals), and is forgotten with the
    cache at the end of the transaction. Bounded like the cache.
    """
    rows: dict[int, _KeyRow] | None = session.info.get(_KEY_ROWS)
    if rows is None:
        rows = session.info[_KEY_ROWS] = {}
    rows[subject_id.int] = _KeyRow(subject_id, dek_version, kek_id, wrapped_key)
    if len(rows) > DEK_CACHE_SIZE:
        del rows[next(iter(rows))]


def forget_key(session: Session, subject_id: uuid.UUID) -> None:
    """Forget a subject's cached key and its noted key row (shredding)."""
    dek_cache(session).discard(subject_id)
    noted: dict[int, _KeyRow] | None = session.info.get(_KEY_ROWS)
    if noted:
        noted.pop(subject_id.int, None)


def key_for_reading(session: Session, subject_id: uuid.UUID) -> Dek:
    """The subject's data key (cached); DecryptionError if it is missing or unusable."""
    cache = dek_cache(session)
    dek = cache.lookup(subject_id)
    if dek is None:
        noted: dict[int, _KeyRow] | None = session.info.get(_KEY_ROWS)
        row = noted.pop(subject_id.int, None) if noted else None
        if row is not None:
            dek = _unwrap(row)  # raises for a shredded or unusable key, as a fetch does
            cache.put(subject_id, dek)
            return dek
        dek = _fetch_batch(session, subject_id, cache)
        if dek is None:
            raise DecryptionError(reason="missing_key")
    return dek


def _check_active_not_retired(session: Session, active_id: str) -> None:
    """Refuse to wrap new keys with a retired master key (checked once a minute)."""
    now = time.monotonic()
    if _active_checked.get(active_id, 0.0) > now:
        return
    with session.no_autoflush:
        if session.get(RetiredMasterKey, active_id) is not None:
            raise KeyNotUsableError(
                f"Der aktive Hauptschlüssel {active_id} ist stillgelegt; "
                "bitte einen neuen Schlüssel voranstellen."
            )
    _active_checked[active_id] = now + ACTIVE_KEY_CHECK_SECONDS


def forget_active_key_check() -> None:
    """Check the active master key again on next use (keys were retired or changed)."""
    _active_checked.clear()


def key_for_writing(session: Session, subject_id: uuid.UUID, *, is_new: bool = False) -> Dek:
    """The subject's data key, created and wrapped by the active master key if new.

    ``is_new``: the subject is a row being inserted now (its own primary key), so it
    cannot have a key yet and none is looked up. Should one exist all the same (a
    reused id), the key's primary key refuses the second one at the INSERT.
    """
    cache = dek_cache(session)
    dek = cache.lookup(subject_id)
    if dek is not None:
        return dek
    row = None if is_new else _load(session, subject_id)
    if row is None:
        master = state().master
        _check_active_not_retired(session, master.active_id)
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
