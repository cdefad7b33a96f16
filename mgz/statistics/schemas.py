"""Requests and responses of the statistics API (no personal data by construction)."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, post_load, validate

from mgz.core.schemas import InputSchema, OutputSchema, YearUpToNow
from mgz.statistics.definitions import FIRST_YEAR
from mgz.statistics.reference_figures import FigureValues


class IndicatorQuerySchema(InputSchema):
    """One year, or a series from ``from`` to ``to`` (at most 30 years)."""

    year = fields.Integer(validate=YearUpToNow(min=FIRST_YEAR))
    first = fields.Integer(data_key="from", validate=YearUpToNow(min=FIRST_YEAR))
    last = fields.Integer(data_key="to", validate=YearUpToNow(min=FIRST_YEAR))


class TargetSchema(OutputSchema):
    """The concept's target for the indicator."""

    value = fields.Float(required=True)
    unit = fields.String(required=True)
    by_year = fields.Integer(required=True)
    note = fields.String(required=True)
    cumulative = fields.Boolean(
        required=True, metadata={"description": "Ziel ist eine Summe über die Jahre"}
    )


class DenominatorSourceSchema(OutputSchema):
    """Where the denominator of a year comes from."""

    source = fields.String(required=True)
    as_of = fields.Date(required=True)
    version = fields.Integer(required=True)


class YearFigureSchema(OutputSchema):
    """The indicator in one year."""

    year = fields.Integer(required=True)
    value = fields.Float(
        allow_none=True,
        metadata={"description": "Indikator 1: Anteil in Prozent; 6 und 10: Anzahl"},
    )
    numerator = fields.Integer(allow_none=True)
    denominator = fields.Integer(allow_none=True)
    provisional = fields.Boolean(
        required=True,
        metadata={
            "description": "vorläufig: Indikator 1 bis einschließlich 31. März Y+1, "
            "6 und 10 bis zum Ende des Jahres"
        },
    )
    reason = fields.String(allow_none=True, metadata={"description": "warum value fehlt"})
    breakdowns = fields.Dict(keys=fields.String(), values=fields.Integer())
    beside = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Staatenlose und unbekannte Staatsangehörigkeit, nicht im Wert"},
    )
    denominator_source = fields.Nested(DenominatorSourceSchema, allow_none=True)
    distinct_persons = fields.Integer(
        allow_none=True, metadata={"description": "verschiedene Personen (6 und 10)"}
    )
    cumulative = fields.Integer(
        allow_none=True, metadata={"description": "Indikator 10: Summe seit 2017"}
    )
    published = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "veröffentlichte Werte (Bezugsgrößen), nie eingerechnet"},
    )


class IndicatorReportSchema(OutputSchema):
    """An indicator over the years asked for."""

    indicator = fields.Integer(required=True)
    title = fields.String(required=True)
    definition_version = fields.String(required=True)
    target = fields.Nested(TargetSchema, required=True)
    years = fields.List(fields.Nested(YearFigureSchema), required=True)
    computed_at = fields.AwareDateTime(required=True)


class ReferenceFigureInputSchema(InputSchema):
    """A new version of a reference figure."""

    value = fields.Integer(required=True, validate=validate.Range(min=0, max=10_000_000))
    source = fields.String(required=True, validate=validate.Length(min=1, max=200))
    as_of = fields.Date(required=True, metadata={"description": "Stand der Zahl"})

    @post_load
    def _values(self, data: dict[str, Any], **_kwargs: Any) -> FigureValues:
        return FigureValues(**data)


class ReferenceFigureQuerySchema(InputSchema):
    """Filter of the reference-figure list."""

    key = fields.String(validate=validate.Regexp(r"^[a-z0-9_]{1,64}$"))


class ReferenceFigureSchema(OutputSchema):
    """One version of a reference figure."""

    key = fields.String(required=True)
    year = fields.Integer(required=True)
    version = fields.Integer(required=True)
    value = fields.Integer(required=True)
    source = fields.String(required=True)
    as_of = fields.Date(required=True)
    recorded_at = fields.AwareDateTime(required=True)
    current = fields.Boolean(required=True, metadata={"description": "die geltende Version"})
