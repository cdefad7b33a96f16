"""Browser-facing headers on every response: what a browser may load, frame and send on.

mgz serves JSON to scripts and three kinds of pages to browsers (the plain API page,
Swagger UI and its assets). Every response forbids everything by default
(``default-src 'none'``, no framing, no referrer, no powerful features); the pages
widen the Content-Security-Policy to exactly their own origin's scripts, styles and
API calls (:data:`PAGE_CSP`), never to anything inline, so an injected ``<script>``
or ``style`` attribute does not run. HSTS is sent only on requests that arrived over
TLS (directly, or through a trusted proxy's ``X-Forwarded-Proto``) and only when
``MGZ_HSTS_SECONDS`` is set: a demo on http://127.0.0.1 must not pin the browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, request

from mgz.core import config

_COMMON = "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# JSON, problem+json and anything not a page: nothing may be loaded or run.
API_CSP = f"default-src 'none'; {_COMMON}"
# The API pages: their own scripts and styles from this origin, icons as data: URIs
# (Swagger UI's stylesheet draws its icons that way), API calls to this origin.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    f"font-src 'self'; connect-src 'self'; {_COMMON}"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

# Every response's browser headers, in the order they are sent.
_DEFAULTS = (
    ("Content-Security-Policy", API_CSP),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
)

HSTS_SECONDS = config.register(
    config.Setting(
        "HSTS_SECONDS",
        config.int_range(0, 63072000),
        "Strict-Transport-Security max-age on TLS requests, in seconds (0: not sent)",
    )
)


def apply(response: Response) -> Response:
    """Set the browser headers a view has not set itself (a page sets its own CSP)."""
    headers = response.headers
    # One pass over what is set, then one extend: ``setdefault`` per header looks each
    # name up on its own (and raises and catches a KeyError inside for every miss).
    present = {name.lower() for name, _value in headers}
    headers.extend(
        (name, value)
        for name, value in defaults(current_app.config, secure=request.is_secure)
        if name.lower() not in present
    )
    return response


def defaults(settings: Mapping[str, Any], *, secure: bool) -> list[tuple[str, str]]:
    """Every response's browser headers; HSTS on a TLS request when it is configured."""
    seconds = settings.get(HSTS_SECONDS.name) or 0
    if seconds and secure:
        return [*_DEFAULTS, ("Strict-Transport-Security", f"max-age={seconds}; includeSubDomains")]
    return list(_DEFAULTS)
