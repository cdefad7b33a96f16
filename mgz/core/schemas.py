"""Shared marshmallow plumbing: German default messages and the base schemas.

Error messages reach advisers, so they are German; none of them quotes the value
that was submitted (it may be personal data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

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


# Largest value of an INTEGER column (ids, versions) on PostgreSQL.
MAX_INT32 = 2**31 - 1

# Beyond any field's own range; JSON allows such numbers, the databases do not.
_LARGEST_NUMBER = 2**53

# Deeper JSON than any request schema has is refused before parsing goes on (and
# before the recursive walks below could run out of stack).
MAX_NESTING = 16


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
