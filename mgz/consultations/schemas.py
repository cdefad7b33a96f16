"""Request and response shapes of consultations."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from mgz.consultations.models import KINDS
from mgz.core.clock import today
from mgz.core.schemas import Id, InputSchema, OutputSchema, Version


def _not_future(value: Any) -> None:
    if value is not None and value > today():
        raise ValidationError("Datum liegt in der Zukunft.")


_CODE = validate.Length(min=1, max=40)
_LANGUAGE = validate.Regexp(r"^[a-z]{2,3}$", error="ISO-639-Code in Kleinbuchstaben.")


class _ConsultationFields(InputSchema):
    held_on = fields.Date(validate=_not_future)
    adviser_id = Id()
    channel = fields.String(validate=_CODE)
    duration_minutes = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=600))
    language = fields.String(allow_none=True, validate=_LANGUAGE)
    interpreter_used = fields.Boolean()
    topics = fields.List(fields.String(validate=_CODE), validate=validate.Length(max=12))
    referrals_out = fields.List(fields.String(validate=_CODE), validate=validate.Length(max=11))
    next_steps = fields.String(allow_none=True, validate=validate.Length(max=5000))
    notes = fields.String(allow_none=True, validate=validate.Length(max=10000))


class ConsultationCreateSchema(_ConsultationFields):
    """POST /clients/{id}/consultations."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    held_on = fields.Date(required=True, validate=_not_future)
    channel = fields.String(required=True, validate=_CODE)
    interpreter_used = fields.Boolean(load_default=False)
    topics = fields.List(
        fields.String(validate=_CODE), load_default=list, validate=validate.Length(max=12)
    )
    referrals_out = fields.List(
        fields.String(validate=_CODE), load_default=list, validate=validate.Length(max=11)
    )


class ConsultationUpdateSchema(_ConsultationFields):
    """PATCH .../consultations/{cid}: ``version`` required; the kind never changes."""

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
    channel = fields.String()
    duration_minutes = fields.Integer(allow_none=True)
    language = fields.String(allow_none=True)
    interpreter_used = fields.Boolean()
    topics = fields.List(fields.String())
    referrals_out = fields.List(fields.String())
    next_steps = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ConsultationListSchema(OutputSchema):
    """All consultations of a client, oldest first."""

    items = fields.List(fields.Nested(ConsultationSchema))
