"""The access report as a German HTML page, fit to print or to save as PDF from a browser.

Rendered with Jinja (autoescape on: every value is escaped, a name like
``<script>`` prints as text). The page has no script and loads nothing: its one
stylesheet is inline, and the Content-Security-Policy (:func:`page_csp`) allows
exactly that stylesheet by its SHA-256 hash and nothing else. No PDF is made on the
server: the browser's "Drucken / Als PDF speichern" uses the ``@media print`` rules.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from mgz.core.headers import API_CSP
from mgz.privacy import report_sections as texts
from mgz.privacy.access_report import AccessReport, ReportField

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
EMPTY = "–"


@cache
def _css() -> str:
    return resources.files("mgz.privacy.templates").joinpath("report.css").read_text("utf-8")


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("mgz.privacy", "templates"),
        autoescape=select_autoescape(("html",), default=True),
        trim_blocks=False,
    )


def page_csp() -> str:
    """The page's CSP: nothing but its own inline stylesheet (by hash); no script at all."""
    digest = base64.b64encode(hashlib.sha256(_css().encode("utf-8")).digest()).decode("ascii")
    return API_CSP.replace(
        "default-src 'none';", f"default-src 'none'; style-src 'sha256-{digest}';"
    )


def when(value: datetime | str | None) -> str:
    """A point in time in German form, in UTC (as stored)."""
    if value is None:
        return EMPTY
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value:%d.%m.%Y, %H:%M} Uhr (UTC)"


def _scalar(value: Any) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    if isinstance(value, str) and _DATE.match(value):
        return date.fromisoformat(value).strftime("%d.%m.%Y")
    if isinstance(value, str) and _DATETIME.match(value):
        return when(value)
    if isinstance(value, dict):
        return (
            "; ".join(
                f"{texts.NESTED_KEYS.get(key, key)}: {_scalar(item)}" for key, item in value.items()
            )
            or EMPTY
        )
    if isinstance(value, list):
        return " | ".join(_scalar(item) for item in value) or EMPTY
    return str(value)


def show(item: ReportField) -> str:
    """A field's value as the page prints it: codes with their German label, dates German."""
    value, label = item.value, item.value_label
    if isinstance(value, list) and isinstance(label, list):
        parts = [
            f"{text} ({code})" if text else str(code)
            for code, text in zip(value, label, strict=False)
        ]
        return ", ".join(parts) or EMPTY
    if label and not isinstance(label, list):
        if isinstance(value, str) and _UUID.match(value):
            return str(label)  # a course or checklist: its name, not its row id
        return f"{label} ({_scalar(value)})" if value not in (None, "") else str(label)
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(_scalar(v) for v in value) or EMPTY
    return _scalar(value)


def render(report: AccessReport) -> str:
    """The report as a complete HTML document (every value escaped by the template)."""
    template = _environment().get_template("access_report.html")
    return template.render(
        report=report,
        css=Markup(_css()),  # noqa: S704 - our own stylesheet from the package, no input in it
        show=show,
        when=when,
        advisers_text=texts.ADVISERS,
        log_text=texts.ACCESS_LOG,
    )
