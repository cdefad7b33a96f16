"""Request and response shapes of consultations."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, TypedDict

from marshmallow import ValidationError, fields, validate, validates_schema

from mgz.consultations.models import KINDS
from mgz.core.schemas import Id, InputSchema, OutputSchema, Version, code_of, not_future

_LANGUAGE_PATTERN = r"^[a-z]{2,3}$"


class _ConsultationValues(TypedDict, total=False):
    held_on: date
    adviser_id: int
    channel: str
    duration_minutes: int | None
    language: str | None
    interpreter_used: bool
    topics: list[str]
    referrals_out: list[str]
    next_steps: str | None
    notes: str | None


class ConsultationCreate(_ConsultationValues, total=False):
    """What ``ConsultationCreateSchema`` loads."""

    kind: str


class ConsultationUpdate(_ConsultationValues, total=False):
    """What ``ConsultationUpdateSchema`` loads: ``version`` and the fields sent."""

    version: int


class _ConsultationFields(InputSchema):
    held_on = fields.Date(validate=not_future)
    adviser_id = Id()
    channel = code_of("consultation_channel")
    duration_minutes = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=600))
    language = code_of(
        "language", _LANGUAGE_PATTERN, error="ISO-639-Code in Kleinbuchstaben.", allow_none=True
    )
    interpreter_used = fields.Boolean()
    topics = fields.List(code_of("consultation_topic"), validate=validate.Length(max=12))
    referrals_out = fields.List(code_of("referral_institution"), validate=validate.Length(max=11))
    next_steps = fields.String(allow_none=True, validate=validate.Length(max=5000))
    notes = fields.String(allow_none=True, validate=validate.Length(max=10000))


class ConsultationCreateSchema(_ConsultationFields):
    """POST /clients/{id}/consultations."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    held_on = fields.Date(required=True, validate=not_future)
    channel = code_of("consultation_channel", required=True)
    interpreter_used = fields.Boolean(load_default=False)
    topics = fields.List(
        code_of("consultation_topic"), load_default=list, validate=validate.Length(max=12)
    )
    referrals_out = fields.List(
        code_of("referral_institution"), load_default=list, validate=validate.Length(max=11)
    )


class ConsultationUpdateSchema(_ConsultationFields):
    """PATCH .../consultations/{cid}: ``version`` required; the kind never changes."""

    # The document's form of _something_to_change: version and one field at least.
    openapi_extra: ClassVar[dict[str, Any]] = {"minProperties": 2}

    version = Version(required=True)

    @validates_schema
    def _something_to_change(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if set(data) == {"version"}:
            raise ValidationError("Keine Änderung angegeben.", "_schema")


class ConsultationSchema(OutputSchema):
    """A consultation as the adviser sees it."""

    id = fields.UUID()
    client_id = fields.UUID()
    version = fields.Integer()
    kind = fields.String()
    held_on = fields.Date()
    adviser_id = fields.Integer(allow_none=True)
    channel = code_of("consultation_channel")
    duration_minutes = fields.Integer(allow_none=True)
    language = code_of("language", allow_none=True)
    interpreter_used = fields.Boolean()
    topics = fields.List(code_of("consultation_topic"))
    referrals_out = fields.List(code_of("referral_institution"))
    next_steps = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ConsultationListSchema(OutputSchema):
    """All consultations of a client, oldest first."""

    items = fields.List(fields.Nested(ConsultationSchema))
