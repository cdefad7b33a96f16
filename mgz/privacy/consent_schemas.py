"""Request and response shapes of legal bases and consents (``/clients/{id}/consents``)."""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict

from marshmallow import ValidationError, fields, validate, validates_schema

from mgz.core.schemas import InputSchema, OutputSchema, Version, code_of, not_future
from mgz.privacy.models import CONSENT, FORMS

DATA_EXCHANGE = "data_exchange"


class ConsentCreate(TypedDict, total=False):
    """What ``ConsentCreateSchema`` loads."""

    purpose: str
    legal_basis: str
    given_on: date
    consent_form: str | None
    units: list[str]
    scope: str | None
    witness_name: str | None


class ConsentWithdraw(TypedDict):
    """What ``ConsentWithdrawSchema`` loads."""

    version: int
    withdrawn_on: date


class ConsentCreateSchema(InputSchema):
    """POST /clients/{id}/consents: the legal basis of one purpose from a date on.

    A consent (``legal_basis`` ``consent``) needs its ``consent_form``; an oral one the witness.
    Other bases take no form and no witness. ``units`` names the bodies a
    ``data_exchange`` covers and is required there (and only there).
    """

    purpose = code_of("processing_purpose", required=True)
    legal_basis = code_of("legal_basis", required=True)
    given_on = fields.Date(
        required=True,
        validate=not_future,
        metadata={"description": "Einwilligung: erteilt am; sonst: erfasst ab."},
    )
    consent_form = code_of("consent_form", allow_none=True, choices=FORMS)
    units = fields.List(
        code_of("data_exchange_unit"),
        validate=validate.Length(max=10),
        metadata={"description": "Nur bei data_exchange: die benannten Stellen."},
    )
    scope = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "Umfang der Einwilligung (Freitext, verschlüsselt)."},
    )
    witness_name = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Zeugin/Zeuge einer mündlichen Einwilligung (verschlüsselt)."},
    )

    @validates_schema
    def _form_and_witness(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("legal_basis") == CONSENT:
            if data.get("consent_form") is None:
                raise ValidationError("Pflichtfeld bei einer Einwilligung.", "consent_form")
            if data["consent_form"] == "oral_witnessed" and not data.get("witness_name"):
                raise ValidationError(
                    "Pflichtfeld bei einer mündlichen Einwilligung.", "witness_name"
                )
            return
        for name in ("consent_form", "witness_name"):
            if data.get(name) is not None:
                raise ValidationError("Nur bei einer Einwilligung (legal_basis consent).", name)

    @validates_schema
    def _units(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("purpose") == DATA_EXCHANGE and not data.get("units"):
            raise ValidationError("Beim Datenaustausch mindestens eine Stelle angeben.", "units")
        if data.get("purpose") not in (None, DATA_EXCHANGE) and data.get("units"):
            raise ValidationError("Nur beim Datenaustausch (data_exchange).", "units")


class ConsentWithdrawSchema(InputSchema):
    """PATCH /clients/{id}/consents/{cid}: the withdrawal of a consent, with its date."""

    version = Version(required=True)
    withdrawn_on = fields.Date(required=True, validate=not_future)


class ConsentSchema(OutputSchema):
    """A recorded legal basis as the adviser sees it."""

    id = fields.UUID()
    client_id = fields.UUID()
    version = fields.Integer()
    purpose = code_of("processing_purpose")
    legal_basis = code_of("legal_basis")
    units = fields.List(code_of("data_exchange_unit"))
    given_on = fields.Date()
    consent_form = code_of("consent_form", allow_none=True)
    withdrawn_on = fields.Date(allow_none=True)
    scope = fields.String(allow_none=True)
    witness_name = fields.String(allow_none=True)
    recorded_by_id = fields.Integer(allow_none=True)
    withdrawn_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ConsentListSchema(OutputSchema):
    """All legal bases recorded for a client, oldest first."""

    items = fields.List(fields.Nested(ConsentSchema))
