"""Request and response shapes of ``POST /clients/{id}/erasure``."""

from __future__ import annotations

from typing import TypedDict

from marshmallow import fields, validate

from mgz.core.schemas import InputSchema, OutputSchema, code_of


class ErasureRequest(TypedDict):
    """What ``ErasureRequestSchema`` loads."""

    erasure_reason: str
    confirm_case_number: str


class ErasureRequestSchema(InputSchema):
    """The reason (a code, no free text) and, to confirm, the file's case number."""

    erasure_reason = code_of("erasure_reason", required=True)
    confirm_case_number = fields.String(
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "Muss die Aktennummer der Akte sein (Bestätigung)."},
    )


class ErasureSchema(OutputSchema):
    """What was erased: the pseudonymous case number, when, why, how many rows."""

    client_id = fields.UUID()
    case_number = fields.String()
    erasure_reason = code_of("erasure_reason", attribute="reason")
    erased_at = fields.DateTime()
    rows_cleared = fields.Integer()
