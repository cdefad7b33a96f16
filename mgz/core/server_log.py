"""gunicorn's own log lines in mgz's format, without anything a client sent.

gunicorn writes its error log as plain text and quotes what it could not parse:
``Invalid request from ip=…: Invalid HTTP Header: '…'`` carries a header value,
``Error handling request GET /…?last_name=…`` a request line with its query string.
Both can hold personal data a client typed. This logger class sends gunicorn's
records through mgz's formatter and replaces those messages by fixed text.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn import glogging

from mgz.core.logs import make_handler

# Prefixes of gunicorn messages that quote request data -> the fixed text we log.
_REDACTED = (
    ("Invalid request from", "invalid HTTP request refused by the parser"),
    ("Error handling request", "error handling request"),
)


class RedactRequestData(logging.Filter):
    """Replace gunicorn messages that quote request lines or headers by fixed text."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        message = str(record.msg)
        for prefix, replacement in _REDACTED:
            if message.startswith(prefix):
                record.msg = replacement
                record.args = ()
                record.event = "http_request_error"  # type: ignore[attr-defined]
                break
        return True


class GunicornLogger(glogging.Logger):
    """gunicorn's error log through mgz's handler; no access log (mgz writes its own)."""

    log_format = "json"

    def setup(self, cfg: Any) -> None:
        """Take gunicorn's level settings, then mgz's handler and redaction."""
        super().setup(cfg)
        for handler in list(self.error_log.handlers):
            self.error_log.removeHandler(handler)
        handler = make_handler(self.log_format)
        handler.addFilter(RedactRequestData())
        self.error_log.addHandler(handler)
        self.error_log.propagate = False

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """No access line: it would carry the query string."""


def logger_class(log_format: str) -> type[GunicornLogger]:
    """The logger class for ``mgz serve`` in the app's log format."""
    return type("MgzGunicornLogger", (GunicornLogger,), {"log_format": log_format})
