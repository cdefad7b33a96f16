"""Every error leaves the API as one RFC 9457 ``application/problem+json`` body.

Domain code raises :class:`DomainError` subclasses; views never build error bodies.
No handler echoes a submitted value, a stack trace or SQL: the body holds a German
title, the field names with German messages, and the request id for support.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, json
from marshmallow import ValidationError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from mgz.core.schemas import UNKNOWN_FIELD, UNKNOWN_KEY

PROBLEM_MIMETYPE = "application/problem+json"
log = logging.getLogger("mgz.errors")

# status -> (type slug, German title)
PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Ungültige Anfrage"),
    401: ("unauthenticated", "Nicht angemeldet"),
    403: ("forbidden", "Keine Berechtigung"),
    404: ("not-found", "Nicht gefunden"),
    405: ("method-not-allowed", "Methode nicht erlaubt"),
    409: ("conflict", "Konflikt"),
    413: ("payload-too-large", "Anfrage zu groß"),
    415: ("unsupported-media-type", "Nicht unterstützter Inhaltstyp"),
    422: ("validation", "Eingabe ungültig"),
    429: ("too-many-requests", "Zu viele Anfragen"),
    500: ("internal", "Interner Fehler"),
    503: ("unavailable", "Dienst nicht verfügbar"),
}

# Details we give for plain HTTP errors; werkzeug's English descriptions are replaced.
DETAILS: dict[int, str] = {
    400: "Die Anfrage ist fehlerhaft.",
    401: "Bitte melden Sie sich an.",
    403: "Sie haben keine Berechtigung für diese Aktion.",
    404: "Die angeforderte Ressource existiert nicht.",
    405: "Diese Methode ist für diese Adresse nicht erlaubt.",
    413: "Der Inhalt der Anfrage ist größer als erlaubt.",
    415: "Bitte senden Sie JSON (Content-Type: application/json).",
    # Every 422 says what to do; the messages per field are in "errors".
    422: "Die Eingabe ist ungültig; die Meldungen je Feld stehen in errors.",
    429: "Bitte warten Sie, bevor Sie es erneut versuchen.",
    500: "Ein interner Fehler ist aufgetreten. Bitte nennen Sie dem Support die request_id.",
}


class DomainError(Exception):
    """A rule of the domain refused the request; carries status, title and field errors."""

    status: int = 400
    slug: str | None = None
    title: str | None = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.__class__.__name__)
        self.detail = detail
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


class NotFoundError(DomainError):
    """The object does not exist (or the actor may not know it exists)."""

    status = 404


class ConflictError(DomainError):
    """The request conflicts with the current state (duplicate, stale version)."""

    status = 409


class InvalidInputError(DomainError):
    """Input that the schema accepted but a domain rule refuses, per field."""

    status = 422


class ForbiddenError(DomainError):
    """The actor may not do this."""

    status = 403


class ServiceUnavailableError(DomainError):
    """A dependency (database, migrations) is not ready."""

    status = 503


# What an error key may look like: a field name or a list index. Schemas already
# report only their own field names (mgz.core.schemas.known_messages); this is the
# last line, for messages that did not come through an InputSchema.
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_LOCATIONS = {"json", "query", "querystring", "form", "files", "headers", "path"}


def _key_name(key: Any) -> str | None:
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    if isinstance(key, str) and _FIELD_NAME.match(key):
        return key
    return None


def flatten_messages(
    messages: Any, prefix: str = "", *, by_location: bool = False
) -> dict[str, list[str]]:
    """Turn marshmallow/webargs nested messages into ``{"a.b.0.c": [...]}``.

    An unknown key is reported as ``<parent>._unknown`` without its name: a key is
    submitted text too, and people type names and diagnoses into the wrong place.
    ``by_location``: the messages are webargs', nested by location (``{"json": {...}}``);
    the location is dropped, the field names below it are kept (a field may be called
    ``form`` or ``query`` too).
    """
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = _key_name(key)
            if name is None or value == [UNKNOWN_FIELD]:
                target = f"{prefix}.{UNKNOWN_KEY}" if prefix else UNKNOWN_KEY
                if UNKNOWN_FIELD not in flat.setdefault(target, []):
                    flat[target].append(UNKNOWN_FIELD)
                continue
            # webargs nests by location ("json", "query"); the field name is what matters.
            if by_location and name in _LOCATIONS:
                child = flatten_messages(value, "")
            else:
                child = flatten_messages(value, f"{prefix}.{name}" if prefix else name)
            for field, items in child.items():
                flat.setdefault(field, []).extend(items)
    elif isinstance(messages, list | tuple):
        if all(isinstance(item, str) for item in messages):
            flat[prefix or "_schema"] = [str(item) for item in messages]
        else:
            for index, item in enumerate(messages):
                child = flatten_messages(item, f"{prefix}.{index}" if prefix else str(index))
                for field, items in child.items():
                    flat.setdefault(field, []).extend(items)
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def problem(
    status: int,
    *,
    detail: str | None = None,
    errors: Mapping[str, list[str]] | None = None,
    slug: str | None = None,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """Build a problem+json response."""
    default_slug, default_title = PROBLEMS.get(status, ("error", "Fehler"))
    body: dict[str, Any] = {
        "type": f"/problems/{slug or default_slug}",
        "title": title or default_title,
        "status": status,
    }
    detail = detail if detail is not None else DETAILS.get(status)
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = dict(errors)
    if extra:
        body.update(extra)
    request_id = g.get("request_id") if g else None
    if request_id:
        body["request_id"] = request_id
    # UTF-8 like every other response: "ungültig", not "ung\u00fcltig".
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIMETYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error: HTTPException) -> Response:
    """Map werkzeug/webargs HTTP errors to problem+json."""
    status = error.code or 500
    if status >= 500:
        return handle_unexpected(error)
    data = getattr(error, "data", None) or {}
    errors = None
    if "errors" in data:  # mgz's own (e.g. a refused body), by field
        errors = flatten_messages(data["errors"])
    elif "messages" in data:  # webargs', by location and field
        errors = flatten_messages(data["messages"], by_location=True)
    headers = dict(data.get("headers") or {})
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    if status == 429:
        for name, value in error.get_headers():
            if name.lower() == "retry-after":
                headers["Retry-After"] = value
    detail = data.get("message") if isinstance(data.get("message"), str) else None
    if status == 400 and errors and not detail:
        detail = "Die Anfrage ist fehlerhaft."
    return problem(status, detail=detail, errors=errors, headers=headers)


def handle_domain_error(error: DomainError) -> Response:
    """Map a domain error to problem+json."""
    return problem(
        error.status,
        detail=error.detail,
        errors=error.errors,
        slug=error.slug,
        title=error.title,
        headers=error.headers,
        extra=error.extra,
    )


def handle_validation_error(error: ValidationError) -> Response:
    """A marshmallow error raised outside webargs (e.g. in a service) is still a 422."""
    return problem(422, errors=flatten_messages(error.messages))


def handle_stale_data(_error: StaleDataError) -> Response:
    """A versioned row changed under a concurrent request: 409, whichever flush saw it.

    Services check the version they were given and flush inside a guard, but any query
    of theirs may autoflush first; the request's session is rolled back at teardown.
    """
    return problem(
        409,
        slug="stale-version",
        title="Veraltete Version",
        detail="Der Datensatz wurde gleichzeitig geändert. Laden Sie ihn neu.",
        errors={"version": ["Veraltete Version."]},
    )


def handle_unexpected(error: BaseException) -> Response:
    """Log the failure (type and frames only) and answer 500 without internals."""
    original = getattr(error, "original_exception", None) or error
    log.error(
        "unhandled error",
        exc_info=(type(original), original, original.__traceback__),
        extra={"event": "unhandled_error"},
    )
    return problem(500)


def register_error_handlers(app: Flask) -> None:
    """Register every handler in one place."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(StaleDataError, handle_stale_data)
    app.register_error_handler(Exception, handle_unexpected)
