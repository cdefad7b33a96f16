"""Requests and responses of the exports API (no personal data by construction)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from mgz.core.schemas import InputSchema, OutputSchema, YearUpToNow
from mgz.exports import parameters
from mgz.exports.parameters import ExportRequest


class ExportRequestSchema(InputSchema):
    """What to export: kind, years, format and the protection parameters."""

    kind = fields.String(
        required=True,
        validate=validate.OneOf(parameters.KINDS, error="Unbekannte Art."),
        metadata={"description": "aggregates (Tabellen) oder microdata (Mikrodaten)"},
    )
    first = fields.Integer(
        data_key="from", required=True, validate=YearUpToNow(min=parameters.FIRST_YEAR)
    )
    last = fields.Integer(
        data_key="to", required=True, validate=YearUpToNow(min=parameters.FIRST_YEAR)
    )
    format = fields.String(
        required=True, validate=validate.OneOf(parameters.FORMATS, error="Unbekanntes Format.")
    )
    k = fields.Integer(
        load_default=parameters.DEFAULT_K,
        validate=validate.Range(min=2, max=parameters.MAX_K),
        metadata={"description": "Mikrodaten: jede Klasse hat mindestens k Zeilen"},
    )
    threshold = fields.Integer(
        load_default=parameters.DEFAULT_THRESHOLD,
        validate=validate.Range(min=1, max=parameters.MAX_THRESHOLD),
        metadata={"description": "Tabellen: Zahlen von 1 bis threshold - 1 werden x"},
    )
    max_suppression = fields.Float(
        load_default=parameters.DEFAULT_MAX_SUPPRESSION,
        validate=validate.Range(min=0, max=parameters.MAX_SUPPRESSION_LIMIT),
        metadata={"description": "Mikrodaten: höchster Anteil unterdrückter Zeilen"},
    )
    l_required = fields.Integer(
        data_key="l",
        load_default=parameters.DEFAULT_L,
        validate=validate.Range(min=2, max=parameters.MAX_L),
        metadata={"description": "Mikrodaten: l-Diversität des sensiblen Merkmals"},
    )

    @validates_schema
    def _years_in_order(self, data: dict[str, Any], **_kwargs: Any) -> None:
        first, last = data.get("first"), data.get("last")
        if first is not None and last is not None and first > last:
            raise ValidationError("from liegt nach to.", "from")

    @post_load
    def _request(self, data: dict[str, Any], **_kwargs: Any) -> ExportRequest:
        return ExportRequest(
            kind=data["kind"],
            export_format=data["format"],
            first_year=data["first"],
            last_year=data["last"],
            k=data["k"],
            threshold=data["threshold"],
            max_suppression=data["max_suppression"],
            l_required=data["l_required"],
        )


class ExportFileSchema(OutputSchema):
    """One file of an export and its SHA-256."""

    name = fields.String(required=True)
    sha256 = fields.String(required=True)
    bytes = fields.Integer(required=True)


class ExportSchema(OutputSchema):
    """An export kept in the instance folder."""

    id = fields.UUID(required=True)
    kind = fields.String(required=True)
    format = fields.String(required=True)
    parameters = fields.Dict(keys=fields.String(), required=True)
    rows = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    files = fields.List(fields.Nested(ExportFileSchema), required=True)
    created_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    download = fields.String(required=True, metadata={"description": "Adresse zum Herunterladen"})


class CreatedExportSchema(ExportSchema):
    """An export just written, with its manifest (docs/export.md, "Manifest")."""

    manifest = fields.Dict(keys=fields.String(), required=True)
