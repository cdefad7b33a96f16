"""Shared marshmallow plumbing: German default messages and the base schemas.

Error messages reach advisers, so they are German; none of them quotes the value
that was submitted (it may be personal data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from mgz.core.clock import today

# The message marshmallow gives an unknown key; the error mapper reports such keys
# without their name (see mgz.core.errors.flatten_messages).
UNKNOWN_FIELD = "Unbekanntes Feld."

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


def code_of(
    list_name: str,
    pattern: str = CODE_PATTERN,
    *,
    error: str = "Kein gültiger Code.",
    **kwargs: Any,
) -> fields.String:
    """A code from the versioned code list ``list_name``.

    The schema checks the code's form, and the OpenAPI document states it and names
    the list; whether the code is in the list's newest version the service checks
    against the database (422 "Unbekannter Code."), because lists change by version.
    """
    metadata = {
        "description": f"Code aus der Codeliste {list_name} (GET /api/v1/reference/{list_name}); "
        "ein Code, der dort fehlt oder zurückgezogen ist, gibt 422.",
        "x-code-list": list_name,
        **kwargs.pop("metadata", {}),
    }
    return fields.String(
        validate=validate.Regexp(pattern, error=error), metadata=metadata, **kwargs
    )


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

# Beyond any field's own range; JSON allows such numbers, the databases do not.
_LARGEST_NUMBER = 2**53


def _refuse_unstorable(value: Any, path: str, errors: dict[str, list[str]]) -> None:
    """Find NUL characters and numbers no database column can hold, anywhere in the input.

    Both would otherwise reach PostgreSQL and come back as a 500 instead of a 422.
    """
    if isinstance(value, str):
        if "\x00" in value:
            errors.setdefault(path or "_schema", []).append("Enthält ein unzulässiges Zeichen.")
    elif isinstance(value, bool):
        return
    elif isinstance(value, int | float):
        if not -_LARGEST_NUMBER <= value <= _LARGEST_NUMBER:
            errors.setdefault(path or "_schema", []).append(
                "Zahl außerhalb des zulässigen Bereichs."
            )
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            if "\x00" in name:
                errors.setdefault("_unknown", []).append("Enthält ein unzulässiges Zeichen.")
                continue
            _refuse_unstorable(item, f"{path}.{name}" if path else name, errors)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refuse_unstorable(item, f"{path}.{index}" if path else str(index), errors)


class InputSchema(Schema):
    """Base of every request schema: unknown fields are refused, not dropped."""

    class Meta:
        """Refuse unknown fields (house rule)."""

        unknown = RAISE

    error_messages = {  # noqa: RUF012 - marshmallow reads a class attribute
        "unknown": UNKNOWN_FIELD,
        "type": "Muss ein JSON-Objekt sein.",
    }

    @pre_load
    def _storable(self, data: Any, **_kwargs: Any) -> Any:
        errors: dict[str, list[str]] = {}
        _refuse_unstorable(data, "", errors)
        if errors:
            raise ValidationError(errors)
        return data


class OutputSchema(Schema):
    """Base of every response schema."""
