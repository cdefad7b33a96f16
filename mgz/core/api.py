"""The ``/api/v1`` surface: OpenAPI generation, request ids, body checks, access log."""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, g, json, request
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)
from werkzeug.routing import BaseConverter, IntegerConverter, Map

from mgz.core import apidocs, errors, headers
from mgz.core.query_guard import refuse_personal_query
from mgz.core.schemas import (
    LABEL_LANGUAGES,
    MAX_INT32,
    MAX_NESTING,
    has_code_fields,
    request_labels,
)

API_PREFIX = "/api/v1"
REQUEST_ID_HEADER = "X-Request-ID"
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


# ?labels=de on an operation whose response has code fields (mgz.core.schemas.OutputSchema).
LABELS_PARAMETER = "labels"
_LABELS_MARK = "_mgz_labels"
_LABELS_DOC = {
    "in": "query",
    "name": LABELS_PARAMETER,
    "required": False,
    "description": "de: die Antwort nennt zu jedem Code auch seine deutsche Bezeichnung, "
    "als <feld>_label (bei einer Liste von Codes <feld>_labels) neben dem Feld, aus der "
    "Codeliste wie gerade geladen; ein Code, den keine Liste kennt, bekommt null. "
    "Ein anderer Wert gibt 422.",
    "schema": {"type": "string", "enum": list(LABEL_LANGUAGES)},
}


def _offers_labels() -> bool:
    """Whether the operation of this request documents ?labels= (its response has codes)."""
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, request.method.lower(), None) if view_class else view
    return bool(getattr(handler, _LABELS_MARK, False))


def _requested_labels() -> str | None:
    """The value of ?labels=, checked: one of LABEL_LANGUAGES, once, or absent."""
    values = request.args.getlist(LABELS_PARAMETER)
    if not values:
        return None
    if len(values) != 1 or values[0] not in LABEL_LANGUAGES:
        allowed = ", ".join(LABEL_LANGUAGES)
        raise errors.InvalidInputError(
            "Die Eingabe ist ungültig; die Meldungen je Feld stehen in errors.",
            errors={LABELS_PARAMETER: [f"Erlaubt ist genau ein Wert: {allowed}."]},
        )
    return values[0]


class Parser(FlaskParser):
    """webargs' parser with unknown query parameters refused, like unknown body fields.

    webargs drops unknown query parameters by default; a mistyped search
    (``?lastname=``) would then silently become an unfiltered listing. ``labels`` is
    not the operation's own parameter: where it is offered the parser leaves it to
    :meth:`Blueprint.response`.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {  # noqa: RUF012 - webargs reads a class attribute
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }

    def load_querystring(self, req: Any, schema: Any) -> Any:
        """The query string, without ``labels`` where the operation offers it."""
        if LABELS_PARAMETER in req.args and _offers_labels():
            args = MultiDict(
                (key, value) for key, value in req.args.items(multi=True) if key != LABELS_PARAMETER
            )
            return self._makeproxy(args, schema)
        return super().load_querystring(req, schema)


class Blueprint(SmorestBlueprint):
    """A flask-smorest blueprint mounted under /api/v1.

    An operation whose response schema has code fields offers ``?labels=de``: the
    parameter is checked, documented and passed to the response's dump, with no
    code in the view.
    """

    ARGUMENTS_PARSER = Parser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_labels_doc)

    def response(self, status_code: Any, schema: Any = None, **kwargs: Any) -> Any:
        """flask-smorest's response, plus ``?labels=`` if the schema has code fields."""
        decorator = super().response(status_code, schema, **kwargs)
        if schema is None or isinstance(schema, str) or not has_code_fields(schema):
            return decorator

        def with_labels(func: Any) -> Any:
            @functools.wraps(func)
            def labelled(*args: Any, **view_kwargs: Any) -> Any:
                request_labels(_requested_labels())
                return func(*args, **view_kwargs)

            wrapped = decorator(labelled)
            setattr(wrapped, _LABELS_MARK, True)
            wrapped._apidoc = {**getattr(wrapped, "_apidoc", {}), "mgz_labels": True}
            return wrapped

        return with_labels

    @staticmethod
    def _prepare_labels_doc(doc: dict[str, Any], doc_info: dict[str, Any], **_kwargs: Any) -> Any:
        if doc_info.get("mgz_labels"):
            doc.setdefault("parameters", []).append(dict(_LABELS_DOC))
            # A wrong ?labels= is a 422 even where the operation takes no other input.
            doc.setdefault("responses", {}).setdefault(
                "422", {"description": "Eingabe ungültig (z. B. labels)"}
            )
        return doc


class IdConverter(IntegerConverter):
    """``<id:user_id>``: a row id of an INTEGER column, 1 … 2^31-1.

    Flask's ``int`` takes any number of digits; PostgreSQL then fails on values
    past 2^31-1 and SQLite past 2^63-1, with a 500. Out of range is 404 (no such
    row). flask-smorest states the bounds in the OpenAPI document.
    """

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_INT32)


class KeyConverter(BaseConverter):
    """``<key:list_name>``: a code, name or pseudonymous id (case number, list name).

    Flask's ``string`` takes any character but "/", NUL included, which PostgreSQL
    refuses in text (a 500); anything else than these characters is 404.
    """

    regex = r"[A-Za-z0-9_.:+-]{1,64}"


def _key_schema(converter: BaseConverter) -> dict[str, Any]:
    return {"type": "string", "pattern": f"^{converter.regex}$", "minLength": 1, "maxLength": 64}


def _assign_request_id() -> None:
    # Always our own: a caller's id (it could be a surname) would be echoed and logged.
    g.request_id = uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _too_deep(value: Any) -> bool:
    """Whether JSON nests deeper than MAX_NESTING (iterative: no recursion limit)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = (
            item.values() if isinstance(item, Mapping) else item if isinstance(item, list) else ()
        )
        for child in children:
            if isinstance(child, Mapping | list):
                if depth >= MAX_NESTING:
                    return True
                pending.append((child, depth + 1))
    return False


def _bad_body(message: str) -> BadRequest:
    error = BadRequest()
    error.data = {"errors": {"_body": [message]}}  # type: ignore[attr-defined]
    return error


def _check_body() -> None:
    """Refuse oversized, non-JSON, malformed and too deeply nested bodies before any view."""
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
    if not data:
        return
    try:
        parsed = json.loads(data)
    except RecursionError:
        raise _bad_body(f"JSON höchstens {MAX_NESTING} Ebenen tief.") from None
    except ValueError:
        raise _bad_body("Kein gültiges JSON.") from None
    if parsed is None:
        raise _bad_body("Kein gültiges JSON.")
    if _too_deep(parsed):
        raise _bad_body(f"JSON höchstens {MAX_NESTING} Ebenen tief.")


def _finish(response: Response) -> Response:
    # Every response of the app, /api or not (an app-wide after_request hook).
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "-")
    headers.apply(response)
    # request.path has no query string: search terms never reach the log.
    log_access(request.method, request.path, response.status_code, g.get("request_started"))
    return response


def log_access(
    method: str, path: str, status: int, started: float | None, request_id: str | None = None
) -> None:
    """The access line: method, path without query, status, duration, request id.

    ``request_id`` outside a request context (the health probe's fast path); inside
    one, the log filter takes the request's own.
    """
    if not access_log.isEnabledFor(logging.INFO):
        return
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    extra: dict[str, Any] = {
        "event": "request",
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": duration,
    }
    if request_id is not None:
        extra["request_id"] = request_id
    access_log.info("request", extra=extra)


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
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["key"] = KeyConverter
    api = Api(
        app,
        spec_kwargs={
            "marshmallow_plugin": apidocs.MarshmallowPlugin(),
            "extra_plugins": [apidocs.ProblemResponses()],
        },
    )
    api.ma_plugin.converter.add_attribute_function(apidocs.validator_notes)
    api.register_converter(KeyConverter, _key_schema)
    app.extensions["mgz.api"] = api
    app.before_request(_assign_request_id)
    app.before_request(_check_body)
    app.before_request(refuse_personal_query)
    app.after_request(_finish)
    return api
