"""Which models have encrypted fields, and the per-row state the field layer keeps.

Shared by the attribute accessors (:mod:`mgz.crypto.types`) and the flush hook
(:mod:`mgz.crypto.sealing`). The names here are internal to the crypto area.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, event, inspect
from sqlalchemy.orm import Mapper

from mgz.crypto import fields as fmt
from mgz.crypto.data_keys import DekCache, dek_cache

if TYPE_CHECKING:
    from mgz.crypto.types import EncryptedField

# Per-instance state, kept in the instance ``__dict__`` next to SQLAlchemy's own:
# - EncryptedField.slot ("_mgz_crypto:<field>"): (stored bytes, plaintext bytes) of the
#   value last sealed or opened, or (None, plaintext) for a value assigned but not yet
#   sealed (the flush hook seals it);
# - PENDING: present while any field of the row awaits sealing;
# - ROW: (row id, subject id, their 32 bytes of associated data, subject id as int,
#   session id, that session's data-key cache), computed once per row and session.
PENDING = "_mgz_crypto_pending"
ROW = "_mgz_crypto_row"
STATE = "_sa_instance_state"  # SQLAlchemy's InstanceState; read directly on hot paths
BLIND_INFO = "mgz.blind_index"

# Literal offsets of the stored form (fields.py), for the hot paths.
HEADER = fmt.HEADER_BYTES
BODY = fmt.BODY_START
MIN_STORED = fmt.MIN_STORED_BYTES


@dataclass(frozen=True)
class BlindIndexSpec:
    """Sources and purpose of a blind-index column, and how the sources become its parts.

    ``parts`` turns the source values (none of them None) into the values the HMAC is
    taken over, e.g. a phonetic code and a birth year; without it the sources
    themselves are the parts.
    """

    sources: tuple[str, ...]
    purpose: str
    parts: Callable[..., Sequence[Any]] | None = None
    # The sources as a set: whether a flush touches them is tested per row.
    source_set: frozenset[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "source_set", frozenset(self.sources))

    def parts_of(self, values: Sequence[Any]) -> Sequence[Any]:
        """The HMAC input for these source values (in the order of ``sources``)."""
        return values if self.parts is None else self.parts(*values)


@dataclass(eq=False)
class ModelSpec:
    """What the flush hook needs to know about one model class, resolved once mapped."""

    cls: type
    fields: dict[str, EncryptedField] = field(default_factory=dict)
    subject: str = ""
    pk: str = ""
    indexes: list[tuple[str, BlindIndexSpec]] = field(default_factory=list)
    # (slot, storage attribute, associated-data prefix) of every field, for _open_row.
    layout: tuple[tuple[str, str, bytes], ...] = ()
    ready: bool = False

    def resolve(self) -> None:
        """Primary key, blind-index columns and associated-data prefixes, from the mapper."""
        mapper: Mapper[Any] = inspect(self.cls)
        if len(mapper.primary_key) != 1:
            raise TypeError(f"{self.cls.__name__}: encrypted fields need one primary key")
        self.pk = mapper.get_property_by_column(mapper.primary_key[0]).key
        self.indexes = [
            (mapper.get_property_by_column(column).key, column.info[BLIND_INFO])
            for column in mapper.columns
            if BLIND_INFO in column.info
        ]
        table = self.cls.__table__.name  # type: ignore[attr-defined]
        for encrypted in self.fields.values():
            encrypted.set_prefix(table)
        self.layout = tuple((f.slot, f.storage, f.prefix) for f in self.fields.values())
        self.ready = True

    @property
    def subjects(self) -> set[str]:
        """The subject attribute, as a set (callers predate one subject per model)."""
        return {self.subject}

    @property
    def guarded(self) -> tuple[str, ...]:
        """Attributes that must not change once the row is stored: key and subject."""
        return (self.pk,) if self.pk == self.subject else (self.pk, self.subject)


MODELS: dict[type, ModelSpec] = {}


@event.listens_for(Mapper, "after_configured")
def _resolve_all() -> None:
    """Resolve every spec as soon as the mappers are configured.

    Before any row is loaded, so a process that only reads (a restarted server) has the
    same resolved specs as one that wrote first. Runs again whenever a model is added.
    """
    for cls, spec in list(MODELS.items()):
        if not spec.ready and getattr(cls, "__table__", None) is not None:
            spec.resolve()


def spec_of(cls: type) -> ModelSpec:
    """The model's spec, resolved on first use (the class is mapped by then)."""
    spec = MODELS[cls]
    if not spec.ready:
        spec.resolve()
    return spec


def registered_models(metadata: MetaData | None = None) -> Iterator[ModelSpec]:
    """Every model with encrypted fields (on ``metadata``, if given), resolved."""
    for cls in list(MODELS):
        table = getattr(cls, "__table__", None)
        if table is None:
            continue  # a class whose definition failed
        if metadata is None or table.metadata is metadata:
            yield spec_of(cls)


# The last session whose data-key cache a read looked up: (session id, its cache). A
# freshly loaded row finds its session's cache here without going through the session
# registry; session ids are never reused, so a stale entry simply does not match.
_LAST_SESSION: tuple[int | None, DekCache | None] = (None, None)
_UUID = uuid.UUID


def fresh_context(obj: Any, values: dict[str, Any], spec: ModelSpec) -> tuple[Any, ...] | None:
    """The row context for the read fast path, or None to take the checked path."""
    global _LAST_SESSION
    if not spec.ready:
        # A row loaded before anything resolved its model (a fresh process that reads
        # before it writes): the checked path resolves the spec.
        return None
    session_id = values[STATE].session_id
    last = _LAST_SESSION
    if last[0] != session_id or last[1] is None:
        session = values[STATE].session
        if session is None:
            return None
        last = _LAST_SESSION = (session_id, dek_cache(session))
    row_id = values.get(spec.pk)
    subject_id = values.get(spec.subject)
    if type(row_id) is _UUID and type(subject_id) is _UUID:  # a loaded row
        return _new_row(values, row_id, subject_id, session_id, last[1])
    try:
        return row_context(obj, values, spec, session_id, last[1])
    except TypeError:
        return None


def _new_row(
    values: dict[str, Any],
    row_id: uuid.UUID,
    subject_id: uuid.UUID,
    session_id: int,
    cache: DekCache,
) -> tuple[Any, ...]:
    subject_int = subject_id.int
    row = values[ROW] = (
        row_id,
        subject_id,
        ((row_id.int << 128) | subject_int).to_bytes(32, "big"),  # fmt.ad_ids
        subject_int,
        session_id,
        cache,
    )
    return row


def row_context(
    obj: Any, values: dict[str, Any], spec: ModelSpec, session_id: int, cache: DekCache
) -> tuple[Any, ...]:
    """The row's ids for the associated data and its session's key cache (see ROW).

    TypeError if the primary key or the subject is not a UUID yet.
    """
    row_id = values.get(spec.pk)
    if row_id is None:
        row_id = getattr(obj, spec.pk)
    subject_id = values.get(spec.subject)
    if subject_id is None:
        subject_id = getattr(obj, spec.subject)
    row = values.get(ROW)
    if row is None or row[0] is not row_id or row[1] is not subject_id or row[4] != session_id:
        if type(row_id) is not _UUID or type(subject_id) is not _UUID:
            raise TypeError(
                f"{type(obj).__name__}: the primary key and {spec.subject} must be UUIDs "
                "set before the flush"
            )
        row = _new_row(values, row_id, subject_id, session_id, cache)
    return row
