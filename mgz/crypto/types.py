"""Declarative encrypted fields and blind indexes for models.

A sensitive field is one line in a model::

    class Client(Base):
        __tablename__ = "clients"
        id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
        last_name: Mapped[str | None] = encrypted_column(str, subject="id")
        birth_date: Mapped[date | None] = encrypted_column(date, subject="id")
        nationalities: Mapped[list[str] | None] = encrypted_column(list, subject="id")
        name_index: Mapped[str | None] = blind_index_column(
            "last_name", "birth_date", purpose="client.name_birth"
        )

    class Consultation(Base):
        ...
        client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
        notes: Mapped[str | None] = encrypted_column(str, subject="client_id")

Service code assigns and reads plain values (``client.last_name = "Müller"``); the
database column ``last_name`` (binary) only ever holds the stored form of
:mod:`mgz.crypto.fields`. What a model must provide:

* a single-column UUID primary key. If it is still None at flush, the flush hook sets
  a random UUID (the associated data needs the row id before the INSERT);
* ``subject``: the attribute holding the data subject's UUID (a client's own ``id``,
  or ``client_id`` on the client's consultations). Set the id column itself, not only a
  relationship: the hook reads the attribute before SQLAlchemy fills foreign keys. The
  subject and the primary key of a row with encrypted fields never change;
* declare the fields on the mapped class itself (not on a mixin).

Values are sealed in ``before_flush``; each person's data key is created on the first
flush that needs it, wrapped by the active master key. Unwrapped data keys are cached
per session (bounded, cleared at every commit and rollback). JSON values are returned
as fresh objects on every read: to change one, assign a new value. Encrypted attributes
cannot appear in SQL filters or ORDER BY; search through a blind index.

Reading fails closed: a missing or shredded data key, an unknown master key, a damaged
or moved ciphertext raise :class:`~mgz.crypto.errors.DecryptionError` and write an audit
event (table, column, row id, reason; never a value) in its own short transaction.
Views may put their :class:`~mgz.core.actor.Actor` into ``session.info[ACTOR_INFO]`` so
that event names them; otherwise it names a system actor.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app, has_app_context
from sqlalchemy import LargeBinary, MetaData, String, event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, Session, mapped_column
from sqlalchemy.orm.attributes import flag_dirty, instance_state
from sqlalchemy.orm.properties import MappedColumn

from mgz.audit.service import record as audit_record
from mgz.core.actor import SESSION_ACTOR_KEY, Actor
from mgz.core.db import database, utcnow
from mgz.crypto import fields as fmt
from mgz.crypto.blind_index import INDEX_LENGTH, blind_index_of
from mgz.crypto.errors import DecryptionError, KeyNotUsableError, SubjectShreddedError
from mgz.crypto.keys import KEY_BYTES, UnwrapError, state, unwrap_dek, wrap_dek
from mgz.crypto.models import DataKey, RetiredMasterKey

log = logging.getLogger("mgz.crypto")

ACTOR_INFO = SESSION_ACTOR_KEY
_DEK_CACHE = "mgz.crypto.deks"
_PENDING = "_mgz_crypto_pending"  # field name -> plaintext bytes to seal at the next flush
_PLAIN = "_mgz_crypto_plain"  # field name -> (stored bytes, plaintext bytes)
# (row id, subject id, their 32 bytes of associated data, subject id as int, session id,
# that session's data-key cache): what the read path needs, computed once per row.
_IDS = "_mgz_crypto_ids"
DEK_CACHE_SIZE = 256
_BLIND_INFO = "mgz.blind_index"


# --- the per-session data-key cache -------------------------------------------------------


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
    # Per transaction: a key shredded by another transaction is not used past our commit.
    cache = session.info.get(_DEK_CACHE)
    if cache is not None:
        cache.clear()


# --- looking up and creating data keys ------------------------------------------------------


def _load_dek(session: Session, subject_id: uuid.UUID) -> DataKey | None:
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
        row = _load_dek(session, subject_id)
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
    row = _load_dek(session, subject_id)
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


# --- the model-facing API -----------------------------------------------------------------


@dataclass
class _ModelSpec:
    """What the flush hook needs to know about one model class."""

    cls: type
    fields: dict[str, EncryptedField] = field(default_factory=dict)
    _pk: str | None = None
    _indexes: list[tuple[str, BlindIndexSpec]] | None = None

    @property
    def pk(self) -> str:
        """Attribute name of the single-column primary key."""
        if self._pk is None:
            mapper: Mapper[Any] = inspect(self.cls)
            if len(mapper.primary_key) != 1:
                raise TypeError(f"{self.cls.__name__}: encrypted fields need one primary key")
            self._pk = mapper.get_property_by_column(mapper.primary_key[0]).key
        return self._pk

    @property
    def indexes(self) -> list[tuple[str, BlindIndexSpec]]:
        """(attribute, spec) of every blind-index column of the model."""
        if self._indexes is None:
            mapper: Mapper[Any] = inspect(self.cls)
            self._indexes = [
                (mapper.get_property_by_column(column).key, column.info[_BLIND_INFO])
                for column in mapper.columns
                if _BLIND_INFO in column.info
            ]
        return self._indexes

    @property
    def subjects(self) -> set[str]:
        """The subject attributes its fields use."""
        return {f.subject for f in self.fields.values()}

    @property
    def guarded(self) -> set[str]:
        """Attributes that must not change once the row is stored: key and subjects."""
        return {self.pk, *self.subjects}


_MODELS: dict[type, _ModelSpec] = {}


def registered_models(metadata: MetaData | None = None) -> Iterator[_ModelSpec]:
    """Every model with encrypted fields (on ``metadata``, if given)."""
    for spec in list(_MODELS.values()):
        table = getattr(spec.cls, "__table__", None)
        if metadata is None or (table is not None and table.metadata is metadata):
            yield spec


@dataclass(frozen=True)
class BlindIndexSpec:
    """Sources and purpose of a blind-index column."""

    sources: tuple[str, ...]
    purpose: str


class EncryptedField:
    """Descriptor of one encrypted attribute; the column holds the stored form.

    The read and write paths run per field and per row, so they read the instance
    ``__dict__`` directly and cache what does not change (associated data of the
    row, the unwrapped data key of the session); see ``scripts/bench_crypto``.
    """

    __slots__ = ("_is_str", "_pk", "_prefix", "_spec", "codec", "name", "storage", "subject")

    def __init__(self, codec: fmt.Codec, *, subject: str) -> None:
        self.codec = codec
        # Strings are the common case; their codec is inlined on the hot paths.
        self._is_str = isinstance(codec, fmt.StrCodec)
        self.subject = subject
        self.name = ""
        self.storage = ""
        self._spec: _ModelSpec | None = None
        self._pk = ""
        self._prefix = b""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.storage = f"{name}_ciphertext"
        # The database column is named after the field; the mapped attribute holding the
        # stored bytes gets a suffix so nobody reads it by accident.
        setattr(owner, self.storage, mapped_column(name, LargeBinary, nullable=True))
        spec = _MODELS.setdefault(owner, _ModelSpec(owner))
        spec.fields[name] = self
        self._spec = spec

    def _ready(self) -> None:
        """Resolve table, primary key and associated-data prefix once the class is mapped."""
        assert self._spec is not None  # noqa: S101 - set by __set_name__
        self._pk = self._spec.pk
        self._prefix = fmt.ad_prefix(self.table, self.name)

    @property
    def table(self) -> str:
        """Name of the model's table."""
        assert self._spec is not None  # noqa: S101 - set by __set_name__
        return self._spec.cls.__table__.name  # type: ignore[attr-defined]

    def _ad(self, obj: Any, values: dict[str, Any], session: Session) -> tuple[bytes, uuid.UUID]:
        """Associated data without the header, and the subject id; TypeError if ids lack."""
        if not self._prefix:
            self._ready()
        row_id = values.get(self._pk)
        if row_id is None:
            row_id = getattr(obj, self._pk)
        subject_id = values.get(self.subject)
        if subject_id is None:
            subject_id = getattr(obj, self.subject)
        ids = values.get(_IDS)
        session_id = instance_state(obj).session_id
        if ids is None or ids[0] is not row_id or ids[1] is not subject_id or ids[4] != session_id:
            if type(row_id) is not uuid.UUID or type(subject_id) is not uuid.UUID:
                raise TypeError(
                    f"{type(obj).__name__}.{self.name}: the primary key and {self.subject} "
                    "must be UUIDs set before the flush"
                )
            subject_int = subject_id.int
            ids = values[_IDS] = (
                row_id,
                subject_id,
                ((row_id.int << 128) | subject_int).to_bytes(32, "big"),  # fmt.ad_ids
                subject_int,
                session_id,
                dek_cache(session),
            )
        return self._prefix + ids[2], subject_id

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        values = obj.__dict__
        pending = values.get(_PENDING)
        if pending is not None and self.name in pending:
            plain = pending[self.name]
            return None if plain is None else self.codec.decode(plain)
        stored = values.get(self.storage)
        if stored is None:
            stored = getattr(obj, self.storage)  # not loaded yet, or expired, or NULL
            if stored is None:
                return None
        cache = values.get(_PLAIN)
        if cache is None:
            cache = values[_PLAIN] = {}
        else:
            hit = cache.get(self.name)
            if hit is not None and (hit[0] is stored or hit[0] == stored):
                return self.codec.decode(hit[1])
        # Fast path: ids of this row and the session's unwrapped key already at hand.
        # Anything unusual (first use, missing key, bad value) takes the checked path,
        # which reports failures. The ids are this row's own, so a moved or altered
        # value cannot authenticate here either.
        plain = None
        ids = values.get(_IDS)
        if ids is not None and ids[4] == instance_state(obj).session_id:
            dek = ids[5].get(ids[3])
            # Literal offsets of the stored form (fields.py): header 5, nonce 12, tag 16.
            if dek is not None and stored[:5] == dek[2] and len(stored) >= 33:
                try:
                    plain = dek[1].decrypt(
                        stored[5:17], stored[17:], self._prefix + ids[2] + dek[2]
                    )
                except InvalidTag:
                    plain = None
        if plain is None:
            plain = self._open(obj, values, stored)
        cache[self.name] = (stored, plain)
        if self._is_str:
            return plain.decode("utf-8", "surrogatepass")
        return self.codec.decode(plain)

    def __set__(self, obj: Any, value: Any) -> None:
        if value is None:
            plain = None
        elif self._is_str and type(value) is str and len(value) < fmt.SHORT_TEXT:
            plain = value.encode("utf-8", "surrogatepass")  # short: within the size limit
        else:
            plain = self.codec.encode(value)
        values = obj.__dict__
        pending = values.get(_PENDING)
        if pending is None:
            pending = values[_PENDING] = {}
        pending[self.name] = plain
        cache = values.get(_PLAIN)
        if cache is not None:
            cache.pop(self.name, None)
        if instance_state(obj).key is not None:
            # A loaded row: tell the session it changed although no mapped attribute did
            # yet, so the before_flush hook sees it. New objects are flushed anyway.
            flag_dirty(obj)

    def _open(self, obj: Any, values: dict[str, Any], stored: bytes) -> bytes:
        session = instance_state(obj).session
        try:
            if session is None:
                raise DecryptionError(reason="detached")
            try:
                ad, subject_id = self._ad(obj, values, session)
            except TypeError:
                raise DecryptionError(reason="ids") from None
            dek = key_for_reading(session, subject_id)
            if stored[: fmt.HEADER_BYTES] != dek.header or len(stored) < fmt.MIN_STORED_BYTES:
                fmt.dek_version_of(stored)  # raises FieldFormatError("format")
                raise DecryptionError(reason="key_version")
            return fmt.open_sealed(dek.aead, ad, stored)
        except fmt.FieldFormatError as exc:
            error: DecryptionError = DecryptionError(reason=exc.reason)
        except DecryptionError as exc:
            error = exc
        row_id = values.get(self._pk) or getattr(obj, self._pk or "id", None)
        _report_failure(session, self.table, self.name, row_id, error.reason)
        raise error from None

    def seal(self, session: Session, obj: Any, plain: bytes | None) -> None:
        """Encrypt ``plain`` into the column (called by the flush hook)."""
        if plain is None:
            setattr(obj, self.storage, None)
            return
        values = obj.__dict__
        ad, subject_id = self._ad(obj, values, session)
        dek = values[_IDS][5].get(subject_id.int)
        if dek is None:
            dek = key_for_writing(session, subject_id)
        nonce = os.urandom(fmt.NONCE_BYTES)
        stored = dek.header + nonce + dek.aead.encrypt(nonce, plain, ad + dek.header)
        if instance_state(obj).key is None:
            # A pending INSERT takes its values from the instance dict and needs no
            # change history; skipping the instrumented set saves a third of the time.
            values[self.storage] = stored
        else:
            setattr(obj, self.storage, stored)
        cache = values.get(_PLAIN)
        if cache is None:
            cache = values[_PLAIN] = {}
        cache[self.name] = (stored, plain)


def encrypted_column(kind: Any, *, subject: str) -> Any:
    """Declare an encrypted attribute of type ``kind``: ``str``, ``date`` or ``list``/``dict``.

    ``subject`` names the attribute holding the data subject's UUID, whose data key
    encrypts the value (``"id"`` on the client, ``"client_id"`` on its records).
    """
    codec = fmt.CODECS.get(kind)
    if codec is None:
        raise TypeError("encrypted_column supports str, date, list, dict or 'json'")
    return EncryptedField(codec, subject=subject)


def blind_index_column(*sources: str, purpose: str) -> MappedColumn[Any]:
    """A nullable, indexed column holding the blind index of encrypted ``sources``.

    The flush hook recomputes it whenever one of the sources (encrypted fields of the
    same model) is assigned; it is NULL while any source is NULL.
    """
    if not sources:
        raise TypeError("blind_index_column needs at least one source field")
    return mapped_column(
        String(INDEX_LENGTH),
        index=True,
        nullable=True,
        info={_BLIND_INFO: BlindIndexSpec(tuple(sources), purpose)},
    )


def blind_index_for(model: type, attribute: str, *values: str | date) -> str:
    """The value to search the blind-index column ``model.attribute`` for.

    E.g. ``blind_index_for(Client, "name_index", "Müller", date(1990, 1, 2))``.
    """
    column = inspect(model).columns[attribute]
    spec: BlindIndexSpec = column.info[_BLIND_INFO]
    return blind_index_of(values, purpose=spec.purpose)


def decrypt_fields(*objects: Any) -> None:
    """Decrypt every encrypted field of ``objects`` now (raises DecryptionError).

    Services call this before they log a read, so a damaged field fails the request
    before the event claims the data was shown.
    """
    for obj in objects:
        if obj is None:
            continue
        spec = _MODELS.get(type(obj))
        for name in spec.fields if spec is not None else ():
            getattr(obj, name)


def forget_plaintext(session: Session, subject_id: uuid.UUID) -> None:
    """Drop cached plaintexts and the data key of one subject from ``session`` (shredding)."""
    dek_cache(session).discard(subject_id)
    for obj in list(session.identity_map.values()) + list(session.new):
        spec = _MODELS.get(type(obj))
        if spec is None:
            continue
        if any(getattr(obj, s, None) == subject_id for s in spec.subjects):
            obj.__dict__.pop(_PLAIN, None)
            obj.__dict__.pop(_PENDING, None)


# --- the flush hook -------------------------------------------------------------------------


def _refuse_moves(obj: Any, spec: _ModelSpec) -> None:
    committed = instance_state(obj).committed_state
    for name in spec.guarded:
        if name in committed and inspect(obj).attrs[name].history.has_changes():
            raise ValueError(
                f"{type(obj).__name__}.{name} cannot change on a row with encrypted fields"
            )


def _seal_object(session: Session, obj: Any, spec: _ModelSpec, pending: dict[str, Any]) -> None:
    pk = spec._pk or spec.pk
    if obj.__dict__.get(pk) is None and getattr(obj, pk) is None:
        setattr(obj, pk, uuid.uuid4())
    changed = list(pending)
    for name in changed:
        spec.fields[name].seal(session, obj, pending[name])
        del pending[name]
    indexes = spec._indexes if spec._indexes is not None else spec.indexes
    for attribute, index in indexes:
        if any(source in index.sources for source in changed):
            parts = [getattr(obj, source) for source in index.sources]
            setattr(
                obj,
                attribute,
                None
                if any(part is None for part in parts)
                else blind_index_of(parts, purpose=index.purpose),
            )


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.new:
        spec = _MODELS.get(type(obj))
        if spec is not None:
            pending = obj.__dict__.get(_PENDING)
            if pending:
                _seal_object(session, obj, spec, pending)
    for obj in session.dirty:
        spec = _MODELS.get(type(obj))
        if spec is not None:
            _refuse_moves(obj, spec)
            pending = obj.__dict__.get(_PENDING)
            if pending:
                _seal_object(session, obj, spec, pending)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "after_commit", _clear_cache)
event.listen(Session, "after_rollback", _clear_cache)


# --- auditing failures -----------------------------------------------------------------------


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


def _report_failure(
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


__all__: Sequence[str] = (
    "ACTOR_INFO",
    "BlindIndexSpec",
    "EncryptedField",
    "blind_index_column",
    "blind_index_for",
    "decrypt_fields",
    "encrypted_column",
    "forget_plaintext",
    "registered_models",
)
