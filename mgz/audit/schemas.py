"""Request and response shapes of the auditor's API."""

from __future__ import annotations

from marshmallow import fields, validate

from mgz.core.schemas import Id, InputSchema, OutputSchema, SequenceNumber, Timestamp

_CODE = validate.Regexp(r"^[a-z][a-z0-9_.:-]{0,63}$")
_ID = validate.Regexp(r"^[A-Za-z0-9_.:+-]{1,64}$")


class EventQuerySchema(InputSchema):
    """Filters and keyset paging of the event list."""

    actor_user_id = Id()
    action = fields.String(validate=_CODE)
    object_type = fields.String(validate=_CODE)
    object_id = fields.String(validate=_ID)
    since = Timestamp(metadata={"description": "inklusive, ISO 8601 mit Zeitzone"})
    until = Timestamp(metadata={"description": "exklusive, ISO 8601 mit Zeitzone"})
    after_seq = SequenceNumber(load_default=0, metadata={"description": "Seite ab"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ObjectEventQuerySchema(InputSchema):
    """Paging of "who touched this object"."""

    object_type = fields.String(validate=_CODE)
    after_seq = SequenceNumber(load_default=0)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class EventSchema(OutputSchema):
    """One event of the data-protection log (no personal data by construction)."""

    seq = fields.Integer(required=True)
    occurred_at = fields.String(required=True)
    actor_user_id = fields.Integer(allow_none=True)
    actor_name = fields.String(allow_none=True)
    actor_role = fields.String(allow_none=True)
    action = fields.String(required=True)
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields")
    request_id = fields.String(allow_none=True)
    outcome = fields.String(required=True)
    details = fields.Dict(allow_none=True)
    prev_hash = fields.String(required=True)
    hash = fields.String(required=True)


class EventPageSchema(OutputSchema):
    """A page of events; ask for the next with ``after_seq=next_after_seq``."""

    items = fields.List(fields.Nested(EventSchema), required=True)
    next_after_seq = fields.Integer(allow_none=True)


class BrokenSchema(OutputSchema):
    """The first broken event."""

    seq = fields.Integer(allow_none=True)
    code = fields.String()
    reason = fields.String()
    checkpoint_id = fields.Integer(allow_none=True)
    proof = fields.String(
        allow_none=True,
        metadata={"description": "was ein Abschneiden belegt: checkpoint, anchor, head"},
    )
    anchor = fields.String(allow_none=True, metadata={"description": "Ankerdatei:Zeile"})


class VerifySchema(OutputSchema):
    """Result of verifying the chain."""

    ok = fields.Boolean(required=True)
    events = fields.Integer(required=True)
    checkpoints = fields.Integer()
    last_checkpoint_seq = fields.Integer(allow_none=True)
    anchors = fields.Integer()
    last_anchor_seq = fields.Integer(allow_none=True)
    broken = fields.Nested(BrokenSchema)
