"""Charts of an indicator's series: the figures against the target, in German.

Drawn with matplotlib's object API on the Agg (PNG) and SVG canvases: no pyplot, no
display, no global state, so it renders on a server without a screen and in several
threads. Provisional years are drawn hollow and labelled; published values from
before mgz (reference figures) are drawn apart, marked as published, never joined
to the computed line. The caption names the definition and its version.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from mgz.statistics.figures import YearFigure
from mgz.statistics.indicators import IndicatorReport

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
COMPUTED = "#1f5f8b"
PUBLISHED = "#8c6d1f"
TARGET = "#b03a2e"


def _value(figure: YearFigure, cumulative: bool) -> float | None:
    value = figure.cumulative if cumulative else figure.value
    return float(value) if value is not None else None


def _published(figures: list[YearFigure]) -> dict[int, float]:
    """Published values per year (the sum of a year's published parts, e.g. per offer)."""
    return {f.year: float(sum(f.published.values())) for f in figures if f.published}


def render(
    report: IndicatorReport, fmt: str, *, published: Mapping[int, float] | None = None
) -> bytes:
    """The chart of ``report`` as PNG or SVG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}")
    indicator = report.indicator
    figure = Figure(figsize=(8, 4.8), dpi=100)
    axes = figure.add_subplot()
    cumulative = indicator.target_is_cumulative
    years = [f.year for f in report.years]
    values = [_value(f, cumulative) for f in report.years]
    if published is None:
        published = _published(report.years)
    if cumulative:
        # The yearly counts as bars; the line is their running total against the target.
        yearly = [f.value or 0 for f in report.years]
        axes.bar(years, yearly, color=COMPUTED, alpha=0.25, label="je Jahr (mgz)")
    final = [(y, v) for y, v, f in zip(years, values, report.years, strict=True)
             if v is not None and not f.provisional]  # fmt: skip
    provisional = [(y, v) for y, v, f in zip(years, values, report.years, strict=True)
                   if v is not None and f.provisional]  # fmt: skip
    axes.plot(years, [v if v is not None else float("nan") for v in values],
              color=COMPUTED, linewidth=1.5,
              label="kumuliert seit 2017 (mgz)" if cumulative else "berechnet (mgz)")  # fmt: skip
    if final:
        axes.plot(*zip(*final, strict=True), "o", color=COMPUTED)
    if provisional:
        axes.plot(*zip(*provisional, strict=True), "o", markerfacecolor="white",
                  color=COMPUTED, label="vorläufig")  # fmt: skip
    if published:
        points = sorted(published.items())
        axes.plot(*zip(*points, strict=True), "s", color=PUBLISHED,
                  label="veröffentlicht (vor mgz, nicht berechnet)")  # fmt: skip
    axes.axhline(indicator.target, color=TARGET, linestyle="--", linewidth=1,
                 label=f"Ziel: {indicator.target_note}")  # fmt: skip
    missing = [y for y, v in zip(years, values, strict=True) if v is None]
    for year in missing:
        axes.annotate("kein Wert", (year, 0), textcoords="offset points", xytext=(0, 4),
                      ha="center", fontsize=7, color="grey")  # fmt: skip
    axes.set_xticks(years)
    axes.set_xlabel("Jahr")
    axes.set_ylabel(f"Wert ({indicator.target_unit})" if indicator.target_unit else "Anzahl")
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8, loc="best")
    axes.set_title(f"Indikator {indicator.number}", fontsize=11)
    figure.text(0.01, 0.01, f"{indicator.title} (Definition {indicator.definition_version})",
                fontsize=6.5, wrap=True)  # fmt: skip
    figure.subplots_adjust(bottom=0.2)
    buffer = io.BytesIO()
    if fmt == "png":
        FigureCanvasAgg(figure).print_png(buffer)
    else:
        FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None})
    return buffer.getvalue()
