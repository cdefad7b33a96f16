"""The OpenAPI document's error responses and security, and a browsable API page.

Every error leaves the API as RFC 9457 ``application/problem+json`` (mgz.core.errors);
:class:`ProblemResponses` writes exactly that into each operation, with the statuses
the operation can really answer, instead of flask-smorest's ``application/json``
``Error`` schema and catch-all ``default``: a generated client or a fuzzer reads
the document, so it must say what the server does.

Two pages read the document, both served by mgz itself with no outside resource (an
office handling refugees' data does not hand its staff's addresses to a CDN to read
API docs): ``/api/v1/swagger-ui``, the interactive explorer (Swagger UI from the
``swagger-ui-bundle`` package, started by ``static/explorer.js``), and ``/api/v1/docs``,
a plain German page without any script that lists every operation with its roles,
parameters, request schema and answers, printable and readable where JavaScript is
off. Neither has anything inline, so both run under the strict
Content-Security-Policy of mgz.core.headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin as BaseMarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_instance
from apispec.ext.marshmallow.openapi import OpenAPIConverter
from flask import Blueprint, Response, abort, current_app, render_template_string

from mgz.core.access import public
from mgz.core.errors import PROBLEM_MIMETYPE, PROBLEMS
from mgz.core.headers import PAGE_CSP
from mgz.core.schemas import OutputSchema, label_fields

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 Problem Details. Nie mit eingegebenen Werten.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {
            "type": "string",
            "description": "Art des Fehlers, z. B. /problems/validation",
            "pattern": "^/problems/[a-z-]+$",
        },
        "title": {"type": "string", "description": "Kurzer deutscher Titel"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "Deutsche Erläuterung"},
        "errors": {
            "type": "object",
            "description": "Meldungen je Feld (Pfad mit Punkten, z. B. adviser_ids.0); "
            "_schema: das Objekt als Ganzes, _body: der Inhalt, _unknown: unbekannte Felder",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "request_id": {"type": "string", "description": "Für Rückfragen beim Support"},
    },
    # Some problems carry more members (a duplicate's case numbers, health details).
    "additionalProperties": True,
}

# Security schemes: a browser signs in with the session cookie and sends the CSRF
# token from the login response on every write; scripts use a Bearer API token.
SESSION_COOKIE = "mgz_session"
CSRF_HEADER = "X-CSRF-Token"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "Sitzungscookie aus POST /api/v1/auth/login",
    },
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": CSRF_HEADER,
        "description": "csrf_token aus der Login-Antwort; Pflicht bei schreibenden "
        "Anfragen mit Sitzungscookie",
    },
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "Persönliches API-Token (mgz tokens create)",
    },
}
_READ_SECURITY = [{"bearer": []}, {"session": []}]
_WRITE_SECURITY = [{"bearer": []}, {"session": [], "csrf": []}]

_SAFE_METHODS = {"get", "head", "options"}
_BODY_METHODS = {"post", "put", "patch", "delete"}


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MIMETYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _response_name(status: int) -> str:
    return f"Problem{status}"


def _statuses(method: str, operation: Mapping[str, Any], rule: Any) -> set[int]:
    """The error statuses every operation of this shape can answer, beyond its own."""
    statuses = {500}
    if not operation.get("x-public"):
        statuses |= {401, 403}
    if rule is not None and rule.arguments:
        statuses.add(404)
    if method in _BODY_METHODS:
        # Refused before any view runs (mgz.core.api): malformed JSON, too large,
        # not JSON; a body is checked whether or not the operation takes one.
        statuses |= {400, 413, 415}
    return statuses


class _CodeLabelConverter(OpenAPIConverter):
    """apispec's converter; a response schema also lists the labels ``?labels=de`` adds."""

    def schema2jsonschema(self, schema: Any) -> dict[str, Any]:
        """The schema's JSON Schema plus ``<field>_label(s)`` beside each code field."""
        jsonschema: dict[str, Any] = super().schema2jsonschema(schema)
        instance = resolve_schema_instance(schema)
        if not isinstance(instance, OutputSchema):
            return jsonschema
        properties = jsonschema.setdefault("properties", {})
        for key, label_key, list_name in label_fields(instance):
            note = (
                f"nur mit ?labels=de: deutsche Bezeichnung des Codes in {key} "
                f"(Codeliste {list_name}); null, wenn keine Liste ihn kennt"
            )
            label = {"type": "string", "nullable": True}
            if label_key.endswith("_labels"):
                properties.setdefault(
                    label_key, {"type": "array", "items": label, "description": note}
                )
            else:
                properties.setdefault(label_key, {**label, "description": note})
        return jsonschema


class MarshmallowPlugin(BaseMarshmallowPlugin):
    """apispec's marshmallow plugin with the code labels of response schemas documented."""

    Converter = _CodeLabelConverter


def validator_notes(_converter: Any, field: Any, ret: dict[str, Any], **_kwargs: Any) -> dict:
    """Add what a validator checks beyond JSON Schema (``openapi_note``) to the description."""
    notes = [getattr(v, "openapi_note", None) for v in getattr(field, "validators", ())]
    notes = [note for note in notes if note]
    if not notes:
        return {}
    description = "; ".join([*filter(None, [ret.get("description")]), *notes])
    return {"description": description}


class ProblemResponses(BasePlugin):
    """Document problem+json errors, the real error statuses and the security of each operation."""

    def init_spec(self, spec: APISpec) -> None:
        """Register the problem schema, one response per error status, the security schemes."""
        super().init_spec(spec)
        spec.components.schema("Problem", PROBLEM_SCHEMA)
        for status, (_slug, title) in sorted(PROBLEMS.items()):
            if status >= 400:
                spec.components.response(
                    _response_name(status), _problem_response(title), lazy=True
                )
        for name, scheme in SECURITY_SCHEMES.items():
            spec.components.security_scheme(name, scheme)

    def schema_helper(
        self, name: str, definition: dict[str, Any], **kwargs: Any
    ) -> dict[str, Any] | None:
        """Add a schema's ``openapi_extra`` (e.g. minProperties), which fields cannot express."""
        schema = kwargs.get("schema")
        return dict(getattr(schema, "openapi_extra", None) or {}) or None

    def operation_helper(
        self,
        path: str | None = None,
        operations: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Rewrite the error responses and set ``security`` of each operation."""
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[Any, Any] = operation["responses"]
            responses.pop("default", None)
            declared = {int(status) for status in responses}
            for status in _statuses(method, operation, kwargs.get("rule")) - declared:
                responses[str(status)] = _response_name(status)
            for key in list(responses):
                status = int(key)
                response = responses.pop(key)
                if status < 400:
                    responses[str(status)] = response
                    continue
                description = response.get("description") if isinstance(response, dict) else None
                responses[str(status)] = (
                    _problem_response(description) if description else _response_name(status)
                )
            operation["responses"] = {
                str(key): responses[key] for key in sorted(responses, key=int)
            }
            if operation.get("x-public"):
                operation["security"] = []
            else:
                operation["security"] = (
                    _READ_SECURITY if method in _SAFE_METHODS else _WRITE_SECURITY
                )


bp = Blueprint("apidocs", __name__)

_PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<title>{{ info.title }} – API</title>
<link rel="stylesheet" href="{{ assets }}/docs.css">
</head><body>
<h1>{{ info.title }} <small>{{ info.version }}</small></h1>
<p>{{ info.description }}</p>
<p>Maschinenlesbar: <a href="{{ json_url }}"><code>{{ json_url }}</code></a>;
zum Ausprobieren: <a href="{{ explorer_url }}">API-Explorer (Swagger UI)</a>.
Eine Einführung mit Beispielen steht in <code>docs/api.md</code> im Repository.</p>
{% for path, item in paths %}
<h2><code>{{ path }}</code></h2>
{% for method, op in item.items() if method in methods %}
<div class="op"><span class="m">{{ method.upper() }}</span> {{ op.summary or "" }}
{% if op.get("x-roles") %}<br><small>Rollen: {{ op["x-roles"]|join(", ") }}</small>{% endif %}
{% if op.parameters %}<table><tr><th>Parameter</th><th>Ort</th><th>Pflicht</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p["in"] }}</td>
<td>{{ "ja" if p.required else "nein" }}</td></tr>{% endfor %}</table>{% endif %}
{% set body = request_schema(op) %}{% if body %}<br><small>Anfrage (JSON):
<a href="#{{ body }}"><code>{{ body }}</code></a></small>{% endif %}
<br><small>Antworten: {{ op.responses.keys()|join(", ") }}</small></div>
{% endfor %}{% endfor %}
<h2>Schemas</h2>
{% for name, schema in schemas %}<h3 id="{{ name }}">{{ name }}</h3>
<table><tr><th>Feld</th><th>Typ</th></tr>
{% for field, spec in (schema.properties or {}).items() %}
<tr><td><code>{{ field }}</code></td><td>{{ spec.type or spec.get("$ref", "") }}
{% if spec.enum %}<small>({{ spec.enum|join(", ") }})</small>{% endif %}</td></tr>
{% endfor %}</table>{% endfor %}
</body></html>"""

_METHODS = ("get", "post", "put", "patch", "delete")
_PREFIX = "/api/v1"
EXPLORER_URL = f"{_PREFIX}/swagger-ui"
ASSETS_URL = f"{_PREFIX}/swagger-ui"
_JSON_URL = f"{_PREFIX}/openapi.json"

_EXPLORER = """<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<title>{{ title }} – API-Explorer</title>
<link rel="stylesheet" href="{{ assets }}/swagger-ui.css">
<link rel="stylesheet" href="{{ assets }}/explorer.css">
<link rel="icon" type="image/png" href="{{ assets }}/favicon-32x32.png">
</head><body data-openapi-url="{{ json_url }}" data-me-url="{{ me_url }}">
<p class="mgz-note">Ausprobieren: mit <code>POST /api/v1/auth/login</code> anmelden (das
CSRF-Token setzt diese Seite dann selbst) oder unter <em>Authorize</em> ein API-Token
(<code>mgz tokens create</code>) eintragen. Ohne JavaScript:
<a href="{{ docs_url }}">Übersicht</a>.</p>
<noscript><p class="mgz-note">Der Explorer braucht JavaScript; die
<a href="{{ docs_url }}">Übersicht</a> nicht.</p></noscript>
<div id="swagger-ui"></div>
<script src="{{ assets }}/swagger-ui-bundle.js"></script>
<script src="{{ assets }}/explorer.js"></script>
</body></html>"""

_STATIC = Path(str(resources.files("mgz.core") / "static"))
_VENDOR = Path(swagger_ui_bundle.swagger_ui_path)
# The only files served: name -> (folder, media type). No directory listing, no map files.
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (_VENDOR, "text/javascript"),
    "swagger-ui.css": (_VENDOR, "text/css"),
    "favicon-32x32.png": (_VENDOR, "image/png"),
    "favicon-16x16.png": (_VENDOR, "image/png"),
    "explorer.js": (_STATIC, "text/javascript"),
    "explorer.css": (_STATIC, "text/css"),
    "docs.css": (_STATIC, "text/css"),
}


def _page(html: str) -> Response:
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response


def _request_schema(operation: Mapping[str, Any]) -> str | None:
    """The name of the JSON schema an operation takes as its body, if any."""
    content = (operation.get("requestBody") or {}).get("content") or {}
    for media in content.values():
        ref = (media.get("schema") or {}).get("$ref", "")
        if ref:
            return ref.rsplit("/", 1)[-1]
    return None


@bp.route(f"{_PREFIX}/docs")
@public
def docs_page() -> Response:
    """Render the OpenAPI document as plain HTML (no script)."""
    spec = current_app.extensions["mgz.api"].spec.to_dict()
    html = render_template_string(
        _PAGE,
        info=spec["info"],
        paths=sorted(spec.get("paths", {}).items()),
        schemas=sorted(spec.get("components", {}).get("schemas", {}).items()),
        methods=_METHODS,
        json_url=_JSON_URL,
        explorer_url=EXPLORER_URL,
        assets=ASSETS_URL,
        request_schema=_request_schema,
    )
    return _page(html)


@bp.route(EXPLORER_URL)
@public
def explorer_page() -> Response:
    """Swagger UI for the OpenAPI document, with every asset served from here."""
    html = render_template_string(
        _EXPLORER,
        title=current_app.config.get("API_TITLE", "mgz"),
        assets=ASSETS_URL,
        json_url=_JSON_URL,
        me_url=f"{_PREFIX}/auth/me",
        docs_url=f"{_PREFIX}/docs",
    )
    return _page(html)


@lru_cache(maxsize=len(ASSETS))
def _asset_bytes(name: str) -> bytes:
    folder, _media_type = ASSETS[name]
    return (folder / name).read_bytes()


@bp.route(f"{ASSETS_URL}/<key:name>")
@public
def explorer_asset(name: str) -> Response:
    """One file of the pages (Swagger UI's bundle and stylesheet, our initializer)."""
    if name not in ASSETS:
        abort(404)
    return Response(_asset_bytes(name), mimetype=ASSETS[name][1])
