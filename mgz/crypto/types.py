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
  or ``client_id`` on the client's consultations), the same for every encrypted field
  of the model. Set the id column itself, not only a
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

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import LargeBinary, String, event, inspect
from sqlalchemy.orm import Session, mapped_column
from sqlalchemy.orm.attributes import flag_dirty, instance_state
from sqlalchemy.orm.properties import MappedColumn

from mgz.core.classification import FIELD_INFO, DataClass, classified
from mgz.crypto import fields as fmt
from mgz.crypto import sealing  # noqa: F401 - registers the flush hook
from mgz.crypto.blind_index import INDEX_LENGTH, blind_index_of
from mgz.crypto.data_keys import dek_cache, forget_key, key_for_reading, note_loaded
from mgz.crypto.errors import DecryptionError
from mgz.crypto.failures import ACTOR_INFO, report_failure
from mgz.crypto.registry import (
    BLIND_INFO,
    BODY,
    HEADER,
    MIN_STORED,
    MODELS,
    PENDING,
    ROW,
    STATE,
    BlindIndexSpec,
    ModelSpec,
    fresh_context,
    registered_models,
    row_context,
)

# Marks the storage column of an encrypted field (the tests check the classification
# against it: identifying data is always encrypted, statistics never are).
ENCRYPTED_INFO = "mgz.encrypted"
ENCRYPTED_CLASSES = frozenset({DataClass.IDENTIFYING, DataClass.SECRET})


class EncryptedField(property):
    """One encrypted attribute: a property over the column holding the stored form.

    Reads and writes run per field and row, so the accessors are closures over what
    does not change (column names, associated-data prefix, codec) and touch only the
    instance ``__dict__`` (a property's C-level dispatch is also cheaper than a Python
    descriptor's). Anything unusual goes to ``_open``, which checks each step and
    reports failures. Writes only encode the value; the flush hook seals a whole row
    at once. See ``scripts/bench_crypto``.
    """

    def __init__(
        self, codec: fmt.Codec, *, subject: str, data_class: str = DataClass.IDENTIFYING
    ) -> None:
        self.codec = codec
        self.subject = subject
        self.data_class = DataClass(data_class)
        self.name = ""
        self.storage = ""
        self.slot = ""
        self.table = ""
        # Associated-data prefix (table, column); empty until the model is resolved,
        # which makes every fast-path read fail over to the checked path.
        self.prefix = b""
        self.owner: type | None = None
        getter, setter, self._bind = _accessors(self)
        super().__init__(getter, setter)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.storage = f"{name}_ciphertext"
        self.slot = f"_mgz_crypto:{name}"
        self.owner = owner
        # The database column is named after the field; the mapped attribute holding the
        # stored bytes gets a suffix so nobody reads it by accident.
        setattr(
            owner,
            self.storage,
            mapped_column(
                name,
                LargeBinary,
                nullable=True,
                info=classified(self.data_class, **{FIELD_INFO: name, ENCRYPTED_INFO: True}),
            ),
        )
        spec = MODELS.get(owner)
        if spec is None:
            spec = MODELS[owner] = ModelSpec(owner, subject=self.subject)
            event.listen(owner, "expire", _on_expire)
            event.listen(owner, "load", _on_load)
        if spec.subject != self.subject:
            raise TypeError(f"{owner.__name__}: all encrypted fields need the same subject")
        spec.fields[name] = self
        self._bind()

    def set_prefix(self, table: str) -> None:
        """Bind the field to its table (the model is mapped now)."""
        self.table = table
        self.prefix = fmt.ad_prefix(table, self.name)
        self._bind()

    def _open(self, obj: Any, stored: bytes) -> bytes:
        """Decrypt with every step checked; report and raise DecryptionError on failure."""
        session = instance_state(obj).session
        spec = MODELS[type(obj)]
        try:
            if session is None:
                raise DecryptionError(reason="detached")
            if not spec.ready:
                spec.resolve()
            try:
                row = row_context(obj, obj.__dict__, spec, session.hash_key, dek_cache(session))
            except TypeError:
                raise DecryptionError(reason="ids") from None
            dek = key_for_reading(session, row[1])
            if stored[:HEADER] != dek.header or len(stored) < MIN_STORED:
                fmt.dek_version_of(stored)  # raises FieldFormatError("format")
                raise DecryptionError(reason="key_version")
            return fmt.open_sealed(dek.aead, self.prefix + row[2], stored)
        except fmt.FieldFormatError as exc:
            error: DecryptionError = DecryptionError(reason=exc.reason)
        except DecryptionError as exc:
            error = exc
        row_id = obj.__dict__.get(spec.pk) or getattr(obj, spec.pk or "id", None)
        report_failure(session, self.table or spec.cls.__name__, self.name, row_id, error.reason)
        raise error from None


def _open_row(obj: Any, values: dict[str, Any], spec: ModelSpec) -> bool:
    """Decrypt every stored, not yet opened field of a row into its slot.

    Only when the row's ids and its person's unwrapped key are at hand; False tells
    the caller to take the checked path. A row's fields are read together (services
    decrypt a record before they log the read), and one loop here is much cheaper than
    one fast path per field. Fields with a slot (opened, or assigned and not yet
    sealed) are left alone; a field that fails here stays closed and its own read
    reports it.
    """
    row = values.get(ROW)
    if row is None or row[4] != values[STATE].session_id:
        row = fresh_context(obj, values, spec)
        if row is None:
            return False
    dek = row[5].get(row[3])
    if dek is None:
        return False
    header = dek[2]
    decrypt = dek[1].decrypt
    tail = row[2] + header
    for slot, storage, prefix in spec.layout:
        stored = values.get(storage)
        # The stored header is not an input of the AEAD call below (the associated data
        # carries the header of the key at hand), so it must be compared here: a value
        # of another key version, or with an altered header, goes to the checked path.
        if stored is None or slot in values or stored[:HEADER] != header:
            continue
        try:
            values[slot] = (stored, decrypt(stored[HEADER:BODY], stored[BODY:], prefix + tail))
        except (InvalidTag, ValueError):  # ValueError: too short for a nonce
            continue
    return True


def _accessors(field: EncryptedField) -> tuple[Any, Any, Any]:
    """Getter, setter and a rebinder of their closure variables, for one field."""
    codec = field.codec
    decode = codec.decode
    encode = codec.encode
    is_str = isinstance(codec, fmt.StrCodec)
    short_text = fmt.SHORT_TEXT
    slot = storage = ""
    prefix = b""
    spec: ModelSpec | None = None

    def bind() -> None:
        nonlocal slot, storage, prefix, spec
        slot, storage, prefix = field.slot, field.storage, field.prefix
        spec = MODELS.get(field.owner) if field.owner is not None else None

    def get(obj: Any) -> Any:
        values = obj.__dict__
        hit = values.get(slot)
        stored = values.get(storage)
        if hit is not None:
            if hit[0] is None:  # assigned, sealed at the next flush
                return None if hit[1] is None else decode(hit[1])
            if hit[0] is stored:
                return hit[1].decode("utf-8", "surrogatepass") if is_str else decode(hit[1])
        if stored is None:
            stored = getattr(obj, storage)  # not loaded yet, or expired, or NULL
            if stored is None:
                return None
        if hit is not None and hit[0] == stored:
            plain = hit[1]
        else:
            # Fast path: this row's ids and the session's unwrapped key are at hand;
            # open every field of the row in one go. The ids are the row's own, so a
            # moved or altered value cannot authenticate here either; a field that
            # does not open here is retried on the checked path, which reports.
            if spec is not None and _open_row(obj, values, spec):
                hit = values.get(slot)
                if hit is not None and hit[0] is stored:
                    plain = hit[1]
                    return plain.decode("utf-8", "surrogatepass") if is_str else decode(plain)
            plain = field._open(obj, stored)
            values[slot] = (stored, plain)
        if is_str:
            return plain.decode("utf-8", "surrogatepass")
        return decode(plain)

    def set_(obj: Any, value: Any) -> None:
        if value is None:
            plain = None
        elif is_str and type(value) is str and len(value) < short_text:
            plain = value.encode("utf-8", "surrogatepass")  # short: within the size limit
        else:
            plain = encode(value)
        values = obj.__dict__
        values[slot] = (None, plain)
        values[PENDING] = True
        state = values[STATE]
        if state.key is not None and not state.modified:
            # A loaded row: tell the session it changed although no mapped attribute did
            # yet, so the before_flush hook sees it. (A modified row is in the session's
            # dirty set already; new objects are flushed anyway.)
            flag_dirty(obj)

    return get, set_, bind


def encrypted_column(kind: Any, *, subject: str, data_class: str = DataClass.IDENTIFYING) -> Any:
    """Declare an encrypted attribute of type ``kind``: ``str``, ``date`` or ``list``/``dict``.

    ``subject`` names the attribute holding the data subject's UUID, whose data key
    encrypts the value (``"id"`` on the client, ``"client_id"`` on its records). The
    column is ``identifying`` data unless ``data_class`` says ``secret`` (a credential).
    """
    codec = fmt.CODECS.get(kind)
    if codec is None:
        raise TypeError("encrypted_column supports str, date, list, dict or 'json'")
    if DataClass(data_class) not in ENCRYPTED_CLASSES:
        raise TypeError("encrypted columns are identifying or secret data")
    return EncryptedField(codec, subject=subject, data_class=data_class)


def blind_index_column(
    *sources: str, purpose: str, parts: Callable[..., Sequence[Any]] | None = None
) -> MappedColumn[Any]:
    """A nullable, indexed column holding the blind index of encrypted ``sources``.

    The flush hook recomputes it whenever one of the sources (encrypted fields of the
    same model) is assigned; it is NULL while any source is NULL. ``parts``, if
    given, derives what the HMAC covers from the source values (a search form of a
    name, a birth year); :func:`blind_index_for` applies it to the search terms too.
    """
    if not sources:
        raise TypeError("blind_index_column needs at least one source field")
    return mapped_column(
        String(INDEX_LENGTH),
        index=True,
        nullable=True,
        info=classified(
            DataClass.SEARCH_KEY, **{BLIND_INFO: BlindIndexSpec(tuple(sources), purpose, parts)}
        ),
    )


def blind_index_for(model: type, attribute: str, *values: Any) -> str:
    """The value to search the blind-index column ``model.attribute`` for.

    E.g. ``blind_index_for(Client, "name_index", "Müller", date(1990, 1, 2))``; the
    values are those of the sources, in their order (the column's ``parts`` applies).
    """
    column = inspect(model).columns[attribute]
    spec: BlindIndexSpec = column.info[BLIND_INFO]
    return blind_index_of(spec.parts_of(values), purpose=spec.purpose)


def decrypt_fields(*objects: Any) -> None:
    """Decrypt every encrypted field of ``objects`` now (raises DecryptionError).

    Services call this before they log a read, so a damaged field fails the request
    before the event claims the data was shown.
    """
    for obj in objects:
        if obj is None:
            continue
        spec = MODELS.get(type(obj))
        for name in spec.fields if spec is not None else ():
            getattr(obj, name)


def _on_load(obj: Any, context: Any) -> None:
    """A row came from the database: its subject's key joins the next batch fetch."""
    spec = MODELS.get(type(obj))
    if spec is not None:
        note_loaded(context.session, obj.__dict__.get(spec.subject))


def _on_expire(obj: Any, attributes: Any) -> None:
    """Expired (rollback, ``session.expire``, ``refresh``): forget what was expired.

    An unsaved assignment is discarded like any other attribute's, and a cached
    plaintext is not kept beyond the stored value it came from.
    """
    if attributes is None:
        drop_plaintext(obj)
        return
    spec = MODELS.get(type(obj))
    for encrypted in spec.fields.values() if spec is not None else ():
        if encrypted.storage in attributes:
            obj.__dict__.pop(encrypted.slot, None)


def drop_plaintext(obj: Any) -> None:
    """Forget the cached plaintexts and unsealed values of one instance."""
    spec = MODELS.get(type(obj))
    if spec is None:
        return
    values = obj.__dict__
    for encrypted in spec.fields.values():
        values.pop(encrypted.slot, None)
    values.pop(PENDING, None)


def forget_plaintext(session: Session, subject_id: uuid.UUID) -> None:
    """Drop cached plaintexts and the data key of one subject from ``session`` (shredding)."""
    forget_key(session, subject_id)
    for obj in list(session.identity_map.values()) + list(session.new):
        spec = MODELS.get(type(obj))
        if spec is not None and getattr(obj, spec.subject, None) == subject_id:
            drop_plaintext(obj)


__all__: Sequence[str] = (
    "ACTOR_INFO",
    "BlindIndexSpec",
    "EncryptedField",
    "blind_index_column",
    "blind_index_for",
    "decrypt_fields",
    "drop_plaintext",
    "encrypted_column",
    "forget_plaintext",
    "registered_models",
)
