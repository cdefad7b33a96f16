"""Shared marshmallow plumbing: German default messages and the base schemas.

Error messages reach advisers, so they are German; none of them quotes the value
that was submitted (it may be personal data).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import current_app, g, has_request_context
from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate
from marshmallow.exceptions import SCHEMA

from mgz.core.clock import today

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


# The form of a code in a code list (the loader in mgz.reference checks it), at most
# 40 characters as the code columns hold.
CODE_PATTERN = r"^[A-Za-z0-9_]{1,40}$"
# Where a client reads a code list; the OpenAPI document links every code field to it.
REFERENCE_PATH = "/api/v1/reference/{list_name}"
# The vendor extension that names a field's code list in the OpenAPI document.
CODE_LIST_KEY = "x-code-list"


def reference_path(list_name: str) -> str:
    """The API path of the code list ``list_name``."""
    return REFERENCE_PATH.format(list_name=list_name)


def unknown_code_message(list_name: str) -> str:
    """The 422 message for a code that is not (or no longer) in ``list_name``.

    It names the list and where its allowed codes are, so a client can look them up
    instead of guessing; it never quotes the submitted value.
    """
    return (
        f"Unbekannter Code aus der Codeliste {list_name}; "
        f"erlaubte Codes: GET {reference_path(list_name)}."
    )


def code_list_of(field: fields.Field) -> str | None:
    """The code list a field (made by :func:`code_of`) takes its codes from, or None."""
    return field.metadata.get(CODE_LIST_KEY)


def code_of(
    list_name: str,
    pattern: str = CODE_PATTERN,
    *,
    error: str = "Kein gültiger Code.",
    choices: Iterable[str] | None = None,
    **kwargs: Any,
) -> fields.String:
    """A code from the versioned code list ``list_name``, in a request or a response.

    The schema checks the code's form, and the OpenAPI document states it, names the
    list (``x-code-list``) and links to it; whether the code is in the list's newest
    version the service checks against the database (422, see
    :func:`unknown_code_message`), because lists change by version. ``choices`` is for
    the few lists a database constraint fixes (gender, citizenship group): the schema
    then refuses anything else itself, and the document lists them as an enum.
    Response schemas use it too: the document names the list there as well, and
    ``?labels=de`` adds the code's German label (see :class:`OutputSchema`).
    """
    extra = dict(kwargs.pop("metadata", {}))
    # A field's own description goes before the list's, never instead of it: the
    # document must name the list and link to it on every code field.
    own = extra.pop("description", None)
    description = (
        f"Code aus der Codeliste {list_name} (GET {reference_path(list_name)}); als Eingabe "
        "gibt ein Code, der dort fehlt oder zurückgezogen ist, 422."
    )
    metadata = {
        "description": f"{own} {description}" if own else description,
        CODE_LIST_KEY: list_name,
        "x-code-list-url": reference_path(list_name),
        **extra,
    }
    if choices is not None:
        allowed = tuple(choices)
        message = f"Unbekannter Code aus der Codeliste {list_name}; erlaubt: {', '.join(allowed)}."
        check: validate.Validator = validate.OneOf(allowed, error=message)
    else:
        check = validate.Regexp(pattern, error=error)
    return fields.String(validate=check, metadata=metadata, **kwargs)


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


# ?labels=de: the languages a response can add its codes' labels in (code lists are German).
LABEL_LANGUAGES = ("de",)
# The app's label source (set by mgz.reference): {list: codes} -> {(list, code): label}.
LABEL_SOURCE_EXTENSION = "mgz.code_labels"
_LABELS_REQUESTED = "mgz_labels"
_LABEL_CACHE = "mgz_label_cache"

LabelSource = Callable[[Mapping[str, set[str]]], Mapping[tuple[str, str], str]]

# How deep inside OutputSchema.dump calls this thread is: nested schemas dump through
# the same method, and labels are added once, by the outermost dump.
_dump_depth: ContextVar[int] = ContextVar("mgz_dump_depth", default=0)


def request_labels(language: str | None) -> None:
    """Ask the response of this request to carry labels in ``language`` (None: none)."""
    setattr(g, _LABELS_REQUESTED, language)


def _labels_language() -> str | None:
    if not has_request_context():
        return None
    return g.get(_LABELS_REQUESTED)


def has_code_fields(schema: Any) -> bool:
    """Whether ``schema`` (a class or instance), or one nested in it, has a code field."""
    return bool(_code_lists(schema if isinstance(schema, Schema) else schema(), set()))


def _code_lists(schema: Schema, seen: set[type]) -> set[str]:
    if type(schema) in seen:
        return set()
    seen = {*seen, type(schema)}
    found: set[str] = set()
    for field in schema.dump_fields.values():
        inner = field.inner if isinstance(field, fields.List) else field
        if code_list_of(inner):
            found.add(code_list_of(inner))  # type: ignore[arg-type]
        elif isinstance(inner, fields.Nested) and isinstance(inner.schema, Schema):
            found |= _code_lists(inner.schema, seen)
    return found


def label_fields(schema: Schema) -> list[tuple[str, str, str]]:
    """(key, label key, list name) for each code field of ``schema`` itself (not nested).

    The label key is ``<key>_label``, or ``<key>_labels`` for a list of codes; the
    OpenAPI document describes these properties (mgz.core.apidocs).
    """
    found = []
    for name, field in schema.dump_fields.items():
        key = field.data_key or name
        is_list = isinstance(field, fields.List)
        list_name = code_list_of(field.inner if is_list else field)
        if list_name:
            found.append((key, f"{key}_labels" if is_list else f"{key}_label", list_name))
    return found


def _walk_codes(schema: Schema, data: Any, visit: Callable[..., None]) -> None:
    """Call ``visit(item, key, list_name, value, is_list)`` for every code in dumped ``data``."""
    if isinstance(data, list):
        for item in data:
            _walk_codes(schema, item, visit)
        return
    if not isinstance(data, dict):
        return
    for name, field in schema.dump_fields.items():
        key = field.data_key or name
        value = data.get(key)
        if value is None:
            continue
        is_list = isinstance(field, fields.List)
        inner = field.inner if is_list else field
        list_name = code_list_of(inner)
        if list_name:
            visit(data, key, list_name, value, is_list)
        elif isinstance(inner, fields.Nested) and isinstance(inner.schema, Schema):
            _walk_codes(inner.schema, value, visit)


def _add_labels(schema: Schema, data: Any) -> None:
    """Add ``<field>_label`` (``<field>_labels`` for a list of codes) beside every code.

    The labels come from the code lists as loaded now (a withdrawn code keeps its
    label); a code no list knows gets null. All codes of one response are looked up
    in one query, and each code once per request.
    """
    source: LabelSource | None = current_app.extensions.get(LABEL_SOURCE_EXTENSION)
    if source is None:
        return
    cache: dict[tuple[str, str], str | None] = g.setdefault(_LABEL_CACHE, {})
    wanted: dict[str, set[str]] = {}

    def collect(_item: Any, _key: str, list_name: str, value: Any, is_list: bool) -> None:
        for code in value if is_list else [value]:
            if isinstance(code, str) and (list_name, code) not in cache:
                wanted.setdefault(list_name, set()).add(code)

    _walk_codes(schema, data, collect)
    if wanted:
        found = source(wanted)
        for list_name, codes in wanted.items():
            for code in codes:
                cache[(list_name, code)] = found.get((list_name, code))

    def label(item: dict[str, Any], key: str, list_name: str, value: Any, is_list: bool) -> None:
        # The same names as label_fields() gives the OpenAPI document.
        if is_list:
            item.setdefault(f"{key}_labels", [cache.get((list_name, code)) for code in value])
        else:
            item.setdefault(f"{key}_label", cache.get((list_name, value)))

    _walk_codes(schema, data, label)


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
