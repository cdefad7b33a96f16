"""The ``/api/v1`` surface: OpenAPI generation, request ids, body checks, access log."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)

from mgz.core import apidocs, errors

API_PREFIX = "/api/v1"
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_JSON_TYPES = {"application/json", "application/merge-patch+json"}

access_log = logging.getLogger("mgz.access")


class Api(SmorestApi):
    """flask-smorest's Api with our problem+json error bodies, documented as such."""

    # mgz.core.apidocs.ProblemResponses documents each operation's real error
    # statuses; a catch-all "default" would hide which ones those are.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_responses(self) -> None:
        """Register no ``application/json`` error responses; ProblemResponses has its own."""

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        """Delegate to the one error mapper in mgz.core.errors."""
        return errors.handle_http_exception(error)


class Parser(FlaskParser):
    """webargs' parser with unknown query parameters refused, like unknown body fields.

    webargs drops unknown query parameters by default; a mistyped search
    (``?lastname=``) would then silently become an unfiltered listing.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {  # noqa: RUF012 - webargs reads a class attribute
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }


class Blueprint(SmorestBlueprint):
    """A flask-smorest blueprint mounted under /api/v1."""

    ARGUMENTS_PARSER = Parser()


def _assign_request_id() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    # A caller-supplied id is kept only if it looks like an id, so nothing else
    # (say, a name) can be smuggled into our logs through this header.
    g.request_id = incoming if _REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _check_body() -> None:
    """Refuse oversized, non-JSON and malformed JSON bodies before any view runs."""
    if request.method not in _BODY_METHODS or not request.path.startswith(API_PREFIX):
        return
    length = request.content_length
    limit = request.max_content_length
    if length is not None and limit is not None and length > limit:
        raise RequestEntityTooLarge()
    has_body = bool(length) or request.headers.get("Transfer-Encoding", "") == "chunked"
    if not has_body:
        return
    if request.mimetype not in _JSON_TYPES:
        raise UnsupportedMediaType()
    data = request.get_data(cache=True)  # raises 413 past the limit for chunked bodies
    if data and request.get_json(silent=True) is None:
        error = BadRequest()
        error.data = {"errors": {"_body": ["Kein gültiges JSON."]}}  # type: ignore[attr-defined]
        raise error


def _finish(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "-")
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    started = g.get("request_started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    # request.path has no query string: search terms never reach the log.
    access_log.info(
        "request",
        extra={
            "event": "request",
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration,
        },
    )
    return response


def init_api(app: Flask) -> Api:
    """Configure flask-smorest and the request hooks; one Api per app."""
    app.config.setdefault("API_TITLE", "mgz – Migrationszentrum Landkreis Osnabrück")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "Fallverwaltung des Migrationszentrums (MgZ). "
                "Fehler als RFC 9457 application/problem+json."
            },
            "servers": [{"url": "/"}],
        },
    )
    api = Api(app, spec_kwargs={"extra_plugins": [apidocs.ProblemResponses()]})
    api.ma_plugin.converter.add_attribute_function(apidocs.validator_notes)
    app.extensions["mgz.api"] = api
    app.before_request(_assign_request_id)
    app.before_request(_check_body)
    app.after_request(_finish)
    return api
