"""Indicator charts render without a display, as PNG and as SVG, and are audited."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

from tests.conftest import events

CHART = "/api/v1/statistics/indicators/1/chart"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_png_and_svg_over_the_api(login_as, db):
    http = login_as("statistician")
    png = http.get(f"{CHART}.png?from=2016&to=2025")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert _png_size(png.data) == (800, 480)
    svg = http.get(f"{CHART}.svg?year=2020")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    root = ET.fromstring(svg.data)  # noqa: S314 - our own output
    assert root.tag.endswith("svg")
    assert "Indikator 1" in svg.data.decode() and "Ziel" in svg.data.decode()
    [*_, png_event, svg_event] = events(db, "statistics.chart.read")
    assert png_event["details"] == {"indicator": 1, "from": 2016, "to": 2025, "chart": "png"}
    assert svg_event["details"]["chart"] == "svg"


def test_charts_follow_the_indicator_rules(login_as):
    assert login_as("adviser", via="session").get(f"{CHART}.png?year=2020").status_code == 403
    statistician = login_as("statistician")
    assert statistician.get(f"{CHART}.png?year=2013").status_code == 422
    assert (
        statistician.get("/api/v1/statistics/indicators/9/chart.svg?year=2020").status_code == 404
    )
    assert statistician.get(f"{CHART}.gif?year=2020").status_code == 404


def test_cli_writes_the_chart_file(runner, tmp_path):
    out = tmp_path / "indikator1.svg"
    result = runner.invoke(args=["stats", "chart", "1", "--from", "2018", "--to", "2020",
                                 "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    ET.parse(out)  # noqa: S314 - our own output
    assert "SHA-256" in result.output
    wrong = runner.invoke(args=["stats", "chart", "1", "--year", "2020", "--out", "x.gif"])
    assert wrong.exit_code == 2 and ".png oder .svg" in wrong.output


def test_renders_on_a_machine_without_display_or_matplotlib_cache(tmp_path):
    """A fresh process, no DISPLAY, an empty matplotlib config folder."""
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "MPLBACKEND"}}
    env["MPLCONFIGDIR"] = str(tmp_path / "mpl")
    program = (
        "from datetime import datetime, timezone\n"
        "from mgz.statistics import charts, indicators\n"
        "from mgz.statistics.definitions import INDICATORS\n"
        "from mgz.statistics.figures import YearFigure\n"
        "years = [YearFigure(2019, 30.0, False, numerator=30, denominator=100),"
        " YearFigure(2020, None, True, numerator=5)]\n"
        "report = indicators.IndicatorReport(INDICATORS[1], 2019, 2020, years,"
        " datetime.now(timezone.utc))\n"
        "import sys; sys.stdout.buffer.write(charts.render(report, 'png'))\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", program], env=env, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    assert _png_size(done.stdout) == (800, 480)


def test_charts_of_indicators_six_and_ten_render(login_as):
    statistician = login_as("statistician")
    for number in (6, 10):
        png = statistician.get(
            f"/api/v1/statistics/indicators/{number}/chart.png?from=2017&to=2024"
        )
        assert png.status_code == 200, number
        assert _png_size(png.data) == (800, 480)
