"""Shared marshmallow plumbing: German default messages and the base schemas.

Error messages reach advisers, so they are German; none of them quotes the value
that was submitted (it may be personal data).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate
from marshmallow.exceptions import SCHEMA

from mgz.core.clock import today
from mgz.core.code_fields import CODE_LIST_KEY as CODE_LIST_KEY
from mgz.core.code_fields import CODE_PATTERN as CODE_PATTERN
from mgz.core.code_fields import LABEL_LANGUAGES, _add_labels, _dump_depth, _labels_language
from mgz.core.code_fields import LABEL_SOURCE_EXTENSION as LABEL_SOURCE_EXTENSION
from mgz.core.code_fields import REFERENCE_PATH as REFERENCE_PATH
from mgz.core.code_fields import code_list_of as code_list_of
from mgz.core.code_fields import code_of as code_of
from mgz.core.code_fields import has_code_fields as has_code_fields
from mgz.core.code_fields import label_fields as label_fields
from mgz.core.code_fields import reference_path as reference_path
from mgz.core.code_fields import request_labels as request_labels
from mgz.core.code_fields import unknown_code_message as unknown_code_message

# The message marshmallow gives an unknown key; the error mapper reports such keys
# without their name (see mgz.core.errors.flatten_messages).
UNKNOWN_FIELD = "Unbekanntes Feld."
# Where errors of keys that are not field names are reported, per level.
UNKNOWN_KEY = "_unknown"

_FIELD_MESSAGES: dict[type[fields.Field], dict[str, str]] = {
    fields.Field: {
        "required": "Pflichtfeld.",
        "null": "Darf nicht null sein.",
        "validator_failed": "Ungültiger Wert.",
    },
    fields.String: {"invalid": "Muss ein Text sein.", "invalid_utf8": "Kein gültiges UTF-8."},
    fields.Integer: {"invalid": "Muss eine ganze Zahl sein."},
    fields.Number: {"invalid": "Muss eine Zahl sein.", "too_large": "Zahl zu groß."},
    fields.Float: {"special": "Muss eine endliche Zahl sein."},
    fields.Boolean: {"invalid": "Muss true oder false sein."},
    fields.Date: {
        "invalid": "Muss ein Datum im Format JJJJ-MM-TT sein.",
        "format": "Datumsformat ungültig.",
    },
    fields.DateTime: {
        "invalid": "Muss ein Zeitpunkt nach ISO 8601 sein.",
        "invalid_awareness": "Zeitzone fehlt oder ist nicht erlaubt.",
        "format": "Zeitformat ungültig.",
    },
    fields.Email: {"invalid": "Keine gültige E-Mail-Adresse."},
    fields.UUID: {"invalid_uuid": "Keine gültige UUID."},
    fields.List: {"invalid": "Muss eine Liste sein."},
    fields.Dict: {"invalid": "Muss ein Objekt sein."},
    fields.Nested: {"type": "Muss ein Objekt sein."},
}


def _install_german_messages() -> None:
    for field_class, messages in _FIELD_MESSAGES.items():
        field_class.default_error_messages = {
            **field_class.default_error_messages,
            **messages,
        }
    validate.Length.message_min = "Mindestens {min} Zeichen bzw. Einträge."
    validate.Length.message_max = "Höchstens {max} Zeichen bzw. Einträge."
    validate.Length.message_all = "Zwischen {min} und {max} Zeichen bzw. Einträge."
    validate.Length.message_equal = "Genau {equal} Zeichen bzw. Einträge."
    # Range formats {min_op}/{max_op} in __init__ and {min}/{max} later: hence {{min}}.
    validate.Range.message_min = "Muss {min_op} {{min}} sein."
    validate.Range.message_max = "Muss {max_op} {{max}} sein."
    validate.Range.message_all = "Muss {min_op} {{min}} und {max_op} {{max}} sein."
    validate.Range.message_gte = "größer oder gleich"
    validate.Range.message_gt = "größer als"
    validate.Range.message_lte = "kleiner oder gleich"
    validate.Range.message_lt = "kleiner als"
    validate.OneOf.default_message = "Unbekannter Code; erlaubt: {choices}."
    validate.Regexp.default_message = "Format ungültig."


_install_german_messages()


def not_future(value: Any) -> None:
    """Refuse a date after today (the document says so in the field's description)."""
    if value is not None and value > today():
        raise ValidationError("Datum liegt in der Zukunft.")


not_future.openapi_note = "nicht in der Zukunft"  # type: ignore[attr-defined]


class YearUpToNow(validate.Range):
    """A year from ``min`` to the current one; the document states the year it was built."""

    def __init__(self, min: int) -> None:  # noqa: A002 - marshmallow's name
        super().__init__(min=min, error="Jahr außerhalb des gültigen Bereichs.")

    @property  # type: ignore[override]
    def max(self) -> int:
        """The current year (read when the OpenAPI document is built and on every check)."""
        return today().year

    @max.setter
    def max(self, _value: Any) -> None:
        """Range.__init__ assigns max; this one is always the current year."""

    def __call__(self, value: Any) -> Any:
        """Check against today's year, not the year the process started."""
        if value is not None and not self.min <= value <= self.max:
            raise ValidationError(self.error)
        return value


# Largest value of an INTEGER column (ids, versions) on PostgreSQL.
MAX_INT32 = 2**31 - 1
# Largest value of a BIGINT column (the audit log's sequence numbers); SQLite's too.
MAX_INT64 = 2**63 - 1

# Beyond any field's own range; JSON allows such numbers, the databases do not.
_LARGEST_NUMBER = 2**53

# Deeper JSON than any request schema has is refused before parsing goes on (and
# before the recursive walks below could run out of stack).
MAX_NESTING = 16

_REFUSED_CHARACTER = "Enthält ein unzulässiges Zeichen."
# NUL (PostgreSQL refuses it in text) and lone UTF-16 surrogates (JSON's "\\ud800":
# no valid UTF-8 holds them, so they cannot be stored or shown faithfully).
_UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


def _as_list(validators: Any) -> list[Any]:
    if validators is None:
        return []
    return list(validators) if isinstance(validators, list | tuple) else [validators]


class _BoundedInteger(fields.Integer):
    """An integer limited to what its column holds; the range is in the OpenAPI document."""

    minimum: int = 1
    maximum: int = MAX_INT32

    def __init__(self, **kwargs: Any) -> None:
        bounds = validate.Range(min=self.minimum, max=self.maximum)
        super().__init__(validate=[bounds, *_as_list(kwargs.pop("validate", None))], **kwargs)


class Id(_BoundedInteger):
    """The id of a row with an INTEGER key (users, API tokens): 1 … 2^31-1."""


class Version(_BoundedInteger):
    """An optimistic-locking version (INTEGER column): 1 … 2^31-1."""


class SequenceNumber(_BoundedInteger):
    """A position in the audit chain (BIGINT column): 0 … 2^63-1; 0 is "from the start"."""

    minimum = 0
    maximum = MAX_INT64


TIMESTAMP_MIN = datetime(1900, 1, 1, tzinfo=UTC)
TIMESTAMP_MAX = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


class Timestamp(fields.AwareDateTime):
    """An ISO 8601 instant with time zone, loaded as UTC, between 1900 and 9999 (UTC).

    ``0001-01-01T00:00:00+01:00`` is a valid ISO string whose UTC time lies before
    the year 1; converting it (as the database layer does) would raise. The range
    is stated in the OpenAPI document (``x-minimum``/``x-maximum``).
    """

    default_error_messages = {  # noqa: RUF012 - marshmallow reads a class attribute
        "range": "Muss zwischen 1900-01-01T00:00:00Z und 9999-12-31T23:59:59Z liegen.",
    }

    def __init__(self, **kwargs: Any) -> None:
        bounds = validate.Range(
            min=TIMESTAMP_MIN, max=TIMESTAMP_MAX, error=self.default_error_messages["range"]
        )
        validators = [bounds, *_as_list(kwargs.pop("validate", None))]
        super().__init__(validate=validators, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise self.make_error("range") from None


def _refuse_unstorable(value: Any, depth: int = 0) -> Any:
    """Messages, shaped like marshmallow's, for what no database column can hold.

    NUL characters, lone surrogates and numbers beyond any column, anywhere in the
    input, would otherwise reach the database and come back as a 500 instead of a
    422. The messages are keyed like the input; :func:`known_messages` then keeps
    only keys that are field names, so a submitted key is never echoed.
    """
    if depth > MAX_NESTING:
        return ["Zu tief verschachtelt."]
    if isinstance(value, str):
        return [_REFUSED_CHARACTER] if _UNSTORABLE_TEXT.search(value) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not -_LARGEST_NUMBER <= value <= _LARGEST_NUMBER:  # NaN compares False too
            return ["Zahl außerhalb des zulässigen Bereichs."]
        return None
    items: Any
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    found: dict[Any, Any] = {}
    for key, item in items:
        if isinstance(key, str) and _UNSTORABLE_TEXT.search(key):
            found[key] = [_REFUSED_CHARACTER]  # e.g. a key of a Dict field
            continue
        message = _refuse_unstorable(item, depth + 1)
        if message:
            found[key] = message
    return found or None


def _strings(messages: Any) -> list[str]:
    """Every message string in a nested message structure, keys dropped."""
    if isinstance(messages, str):
        return [messages]
    values = messages.values() if isinstance(messages, Mapping) else messages
    if not isinstance(values, Iterable):
        return [str(messages)]
    found: list[str] = []
    for item in values:
        for text in _strings(item):
            if text not in found:
                found.append(text)
    return found


def _known_field(field: fields.Field, messages: Any) -> Any:
    if not isinstance(messages, Mapping):
        return _strings(messages)
    if isinstance(field, fields.Nested):
        schema = field.schema
        if field.many:
            return {k: known_messages(schema, v) for k, v in messages.items() if _index(k)}
        return known_messages(schema, messages)
    if isinstance(field, fields.List):
        return {k: _known_field(field.inner, v) for k, v in messages.items() if _index(k)}
    if isinstance(field, fields.Tuple):
        inner = field.tuple_fields
        return {
            k: _known_field(inner[k], v)
            for k, v in messages.items()
            if _index(k) and k < len(inner)
        }
    # A Dict's keys (and anything else unforeseen) are submitted text: the messages
    # are kept, the keys are not.
    return _strings(messages)


def _index(key: Any) -> bool:
    return isinstance(key, int) and not isinstance(key, bool)


def known_messages(schema: Schema, messages: Any) -> Any:
    """``messages`` with every key that is not a field of ``schema`` folded into ``_unknown``.

    Error keys reach the client; a key is submitted text, and people type names
    and diagnoses into the wrong place. Only field names (and list indexes) leave.
    """
    if not isinstance(messages, Mapping):
        return _strings(messages)
    if schema.many and messages and all(_index(key) for key in messages):
        return {key: _known_keys(schema, value) for key, value in messages.items()}
    return _known_keys(schema, messages)


def _known_keys(schema: Schema, messages: Any) -> Any:
    if not isinstance(messages, Mapping):
        return _strings(messages)
    by_key = {field.data_key or name: field for name, field in schema.fields.items()}
    known: dict[Any, Any] = {}
    for key, value in messages.items():
        field = by_key.get(key) if isinstance(key, str) else None
        if key == SCHEMA:
            known.setdefault(SCHEMA, []).extend(_strings(value))
        elif field is None or value == [UNKNOWN_FIELD]:
            if UNKNOWN_FIELD not in known.setdefault(UNKNOWN_KEY, []):
                known[UNKNOWN_KEY].append(UNKNOWN_FIELD)
        else:
            known[key] = _known_field(field, value)
    return known


class InputSchema(Schema):
    """Base of every request schema: unknown fields refused, unstorable values too.

    Every load, nested ones included, reports errors only under this schema's own
    field names (see :func:`known_messages`).
    """

    class Meta:
        """Refuse unknown fields (house rule)."""

        unknown = RAISE

    error_messages = {  # noqa: RUF012 - marshmallow reads a class attribute
        "unknown": UNKNOWN_FIELD,
        "type": "Muss ein JSON-Objekt sein.",
    }

    def load(self, data: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Load as marshmallow does; error keys limited to known field names."""
        try:
            return super().load(data, **kwargs)
        except ValidationError as error:
            raise ValidationError(
                known_messages(self, error.messages), data=None, valid_data=error.valid_data
            ) from None

    @pre_load
    def _storable(self, data: Any, **_kwargs: Any) -> Any:
        if not isinstance(data, Mapping):
            return data  # marshmallow refuses it as not an object
        errors = _refuse_unstorable(data)
        if errors:
            raise ValidationError(errors)
        return data


class OutputSchema(Schema):
    """Base of every response schema.

    With ``?labels=de`` (see mgz.core.api) every field made by :func:`code_of` gets a
    sibling ``<field>_label`` with the code's German label (``<field>_labels`` for a
    list of codes), nested schemas included: a client need not keep its own copy of
    every code list. New schemas get this by using ``code_of`` for their codes.
    """

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """Dump as marshmallow does; the outermost dump adds labels if they were asked for."""
        token = _dump_depth.set(_dump_depth.get() + 1)
        try:
            result = super().dump(obj, many=many)
        finally:
            _dump_depth.reset(token)
        if _dump_depth.get() == 0 and _labels_language() in LABEL_LANGUAGES:
            _add_labels(self, result)
        return result
