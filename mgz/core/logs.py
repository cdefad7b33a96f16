"""Structured logging that cannot carry request bodies or personal data by construction.

The JSON formatter writes a fixed set of keys plus a short whitelist of extras; it
never serialises arbitrary ``extra`` values, and for exceptions it writes the type
and the code locations only, never the exception message (SQL errors carry the
bound parameters in their message, and those may be personal data).
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context

# Extras that may appear in a log line; every one is a code, a number or a path.
ALLOWED_EXTRAS = ("event", "method", "path", "status", "duration_ms", "setting", "count")


class RequestIdFilter(logging.Filter):
    """Attach the current request id (or "-") to every record.

    Outside a request context a record keeps the id it was given (``extra``): the
    health probe answers before Flask builds one.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Add ``record.request_id``."""
        if has_request_context():
            record.request_id = g.get("request_id", "-")
        elif not isinstance(getattr(record, "request_id", None), str):
            record.request_id = "-"
        return True


def _frames(exc_info: Any) -> list[str]:
    _type, _value, tb = exc_info
    return [
        f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in traceback.extract_tb(tb)
    ]


class JsonFormatter(logging.Formatter):
    """One JSON object a line."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as JSON with whitelisted keys only."""
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key in ALLOWED_EXTRAS:
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
            entry["exc_frames"] = _frames(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Readable lines for demo mode; same redaction rules as the JSON formatter."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as one text line (plus frames for exceptions)."""
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        extras = " ".join(
            f"{key}={getattr(record, key)}" for key in ALLOWED_EXTRAS if hasattr(record, key)
        )
        line = (
            f"{stamp} {record.levelname:<7} [{getattr(record, 'request_id', '-')}] "
            f"{record.name}: {record.getMessage()}"
        )
        if extras:
            line += f" ({extras})"
        if record.exc_info and record.exc_info[0] is not None:
            line += f"\n  {record.exc_info[0].__name__} at\n    " + "\n    ".join(
                _frames(record.exc_info)
            )
        return line


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever ``sys.stderr`` is at emit time (a server may swap it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def make_handler(log_format: str) -> logging.Handler:
    """A stderr handler in mgz's format ("json" or "text") with the request id."""
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(log_format: str, level: str) -> None:
    """Send mgz's records to stderr in the chosen format; silence werkzeug's access log.

    werkzeug's and gunicorn's access lines include the query string, where search
    parameters live; mgz writes its own access line without it.
    """
    handler = make_handler(log_format)
    root = logging.getLogger("mgz")
    for old in list(root.handlers):
        if getattr(old, "_mgz", False):
            root.removeHandler(old)
    handler._mgz = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # No propagation: a root handler (pytest's, a framework's) would format records
    # with its own formatter, exception messages included.
    root.propagate = False
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
