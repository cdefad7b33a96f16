"""A browsable API page rendered on the server from the OpenAPI document.

Swagger UI and ReDoc load their scripts from CDNs; an office handling refugees'
data should not hand its staff's addresses to a third party to read API docs, so
the page is plain HTML with no script and no outside resource.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template_string

from mgz.core.access import public

bp = Blueprint("apidocs", __name__)

_PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<title>{{ info.title }} – API</title>
<style>
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ccc;margin-top:2rem}
.op{margin:.6rem 0;padding:.5rem .8rem;border-left:4px solid #888;background:#f7f7f7}
.m{display:inline-block;min-width:4.5rem;font-weight:bold;font-family:monospace}
code{font-size:.95em} small{color:#555} table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
</style></head><body>
<h1>{{ info.title }} <small>{{ info.version }}</small></h1>
<p>{{ info.description }}</p>
<p>Maschinenlesbar: <a href="{{ json_url }}"><code>{{ json_url }}</code></a></p>
{% for path, item in paths %}
<h2><code>{{ path }}</code></h2>
{% for method, op in item.items() if method in methods %}
<div class="op"><span class="m">{{ method.upper() }}</span> {{ op.summary or "" }}
{% if op.get("x-roles") %}<br><small>Rollen: {{ op["x-roles"]|join(", ") }}</small>{% endif %}
{% if op.parameters %}<table><tr><th>Parameter</th><th>Ort</th><th>Pflicht</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p["in"] }}</td>
<td>{{ "ja" if p.required else "nein" }}</td></tr>{% endfor %}</table>{% endif %}
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


@bp.route("/api/v1/docs")
@public
def docs_page() -> Response:
    """Render the OpenAPI document as HTML."""
    spec = current_app.extensions["mgz.api"].spec.to_dict()
    html = render_template_string(
        _PAGE,
        info=spec["info"],
        paths=sorted(spec.get("paths", {}).items()),
        schemas=sorted(spec.get("components", {}).get("schemas", {}).items()),
        methods=_METHODS,
        json_url="/api/v1/openapi.json",
    )
    return Response(html, mimetype="text/html")
