"""Shapes of the code-list API (read-only; code lists carry no personal data)."""

from __future__ import annotations

from marshmallow import fields

from mgz.core.schemas import InputSchema, OutputSchema


class CodeListQuerySchema(InputSchema):
    """Query string of ``GET /reference/{list_name}``."""

    include_withdrawn = fields.Boolean(
        load_default=False,
        metadata={"description": "auch zurückgezogene Codes (zum Anzeigen alter Datensätze)"},
    )


class CodeSchema(OutputSchema):
    """One code with its German label."""

    code = fields.String(required=True, metadata={"example": "GESTATTUNG"})
    label = fields.String(required=True, metadata={"example": "Aufenthaltsgestattung (§ 55 AsylG)"})
    group = fields.String(allow_none=True, metadata={"example": "protection_open"})
    attributes = fields.Dict(keys=fields.String())
    withdrawn_in_version = fields.Integer(
        allow_none=True, metadata={"description": "gesetzt, wenn für neue Eingaben gesperrt"}
    )


class CodeListSchema(OutputSchema):
    """A code list in its newest version."""

    name = fields.String(required=True, metadata={"example": "residence_status"})
    title = fields.String(required=True, metadata={"example": "Aufenthaltsstatus"})
    version = fields.Integer(required=True)
    codes = fields.List(fields.Nested(CodeSchema), required=True)


class CodeListInfoSchema(OutputSchema):
    """A code list's name, title and newest version."""

    name = fields.String(required=True)
    title = fields.String(required=True)
    version = fields.Integer(required=True)
