"""``/api/v1/statistics``: indicators and reference figures, for statisticians and admins."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import RAISE

from mgz.core.access import roles_required
from mgz.core.actor import current_actor
from mgz.core.api import Blueprint
from mgz.core.clock import today
from mgz.core.db import get_session
from mgz.statistics import charts, indicators, reference_figures
from mgz.statistics.reference_figures import FigureValues
from mgz.statistics.schemas import (
    IndicatorQuerySchema,
    IndicatorReportSchema,
    ReferenceFigureInputSchema,
    ReferenceFigureQuerySchema,
    ReferenceFigureSchema,
)

blp = Blueprint(
    "statistics",
    __name__,
    url_prefix="/api/v1/statistics",
    description="Statistik: Indikatoren des Integrationskonzepts und Bezugsgrößen",
)
STATISTICS_ROLES = ("statistician", "admin")


@blp.route("/indicators/<id:number>")
class Indicator(MethodView):
    """One indicator of the county's integration concept."""

    @roles_required(*STATISTICS_ROLES)
    @blp.arguments(IndicatorQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, IndicatorReportSchema)
    @blp.alt_response(404, description="Indikator unbekannt")
    def get(self, query: dict[str, Any], number: int) -> dict[str, Any]:
        """Ein Indikator für ein Jahr (year) oder eine Reihe (from, to)."""
        report = indicators.read_indicator(
            get_session(),
            current_actor(),
            number,
            year=query.get("year"),
            first=query.get("first"),
            last=query.get("last"),
            today=today(),
        )
        return report.as_body()


def _chart(query: dict[str, Any], number: int, fmt: str) -> Response:
    report = indicators.read_indicator(
        get_session(),
        current_actor(),
        number,
        year=query.get("year"),
        first=query.get("first"),
        last=query.get("last"),
        today=today(),
        chart=fmt,
    )
    return Response(charts.render(report, fmt), mimetype=charts.FORMATS[fmt])


def _image(mimetype: str, schema: dict[str, str]) -> dict[str, Any]:
    return {"200": {"description": "Diagramm", "content": {mimetype: {"schema": schema}}}}


@blp.route("/indicators/<id:number>/chart.svg")
class IndicatorChartSvg(MethodView):
    """The indicator's series as an SVG chart, against its target."""

    @roles_required(*STATISTICS_ROLES)
    @blp.arguments(IndicatorQuerySchema, location="query", unknown=RAISE)
    @blp.doc(responses=_image("image/svg+xml", {"type": "string"}))
    @blp.alt_response(404, description="Indikator unbekannt")
    def get(self, query: dict[str, Any], number: int) -> Response:
        """Diagramm eines Indikators als SVG: Reihe, Ziel, vorläufige Jahre markiert."""
        return _chart(query, number, "svg")


@blp.route("/indicators/<id:number>/chart.png")
class IndicatorChartPng(MethodView):
    """The indicator's series as a PNG chart, against its target."""

    @roles_required(*STATISTICS_ROLES)
    @blp.arguments(IndicatorQuerySchema, location="query", unknown=RAISE)
    @blp.doc(responses=_image("image/png", {"type": "string", "format": "binary"}))
    @blp.alt_response(404, description="Indikator unbekannt")
    def get(self, query: dict[str, Any], number: int) -> Response:
        """Diagramm eines Indikators als PNG: Reihe, Ziel, vorläufige Jahre markiert."""
        return _chart(query, number, "png")


def _with_current(figures: list[Any]) -> list[dict[str, Any]]:
    newest: dict[tuple[str, int], int] = {}
    for figure in figures:
        newest[(figure.key, figure.year)] = max(
            figure.version, newest.get((figure.key, figure.year), 0)
        )
    return [
        {
            "key": f.key,
            "year": f.year,
            "version": f.version,
            "value": f.value,
            "source": f.source,
            "as_of": f.as_of,
            "recorded_at": f.recorded_at,
            "current": newest[(f.key, f.year)] == f.version,
        }
        for f in figures
    ]


@blp.route("/reference-figures")
class ReferenceFigures(MethodView):
    """Every version of every reference figure."""

    @roles_required(*STATISTICS_ROLES)
    @blp.arguments(ReferenceFigureQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, ReferenceFigureSchema(many=True))
    @blp.alt_response(404, description="Bezugsgröße unbekannt")
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Bezugsgrößen mit ihrer Geschichte (jede Änderung ist eine neue Version)."""
        return _with_current(reference_figures.history(get_session(), query.get("key")))


@blp.route("/reference-figures/<key:key>/<id:year>")
class ReferenceFigure(MethodView):
    """A reference figure for one year."""

    @roles_required(*STATISTICS_ROLES)
    @blp.arguments(ReferenceFigureInputSchema)
    @blp.response(200, ReferenceFigureSchema)
    @blp.alt_response(404, description="Bezugsgröße unbekannt")
    @blp.alt_response(409, description="Gleichzeitige Änderung")
    def put(self, values: FigureValues, key: str, year: int) -> dict[str, Any]:
        """Neue Version einer Bezugsgröße erfassen (ältere bleiben erhalten)."""
        figure = reference_figures.set_figure(
            get_session(), current_actor(), key, year, values, today()
        )
        return {**_with_current([figure])[0], "current": True}
