"""The API explorer: Swagger UI served by mgz itself, under the strict CSP, try-it-out ready.

The page and each of its assets come from this app (no CDN, nothing inline); the
initializer is run in Node with Swagger UI replaced by a recorder, to check that a
write of a signed-in session carries the CSRF token and a read does not.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import swagger_ui_bundle

from mgz.core.headers import PAGE_CSP

EXPLORER = "/api/v1/swagger-ui"
INITIALIZER = Path(__file__).resolve().parents[2] / "mgz" / "core" / "static" / "explorer.js"


class _Page(HTMLParser):
    """Collects the resources a page loads and anything inline."""

    def __init__(self) -> None:
        super().__init__()
        self.resources: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes or any(name.startswith("on") for name in attributes):
            self.inline.append(f"{tag} attribute")
        if tag == "style":
            self.inline.append("style element")
        if tag == "script":
            if "src" not in attributes:
                self.inline.append("script without src")
            else:
                self.resources.append(attributes["src"])
            self._in_script = True
        if tag == "link" and attributes.get("href"):
            self.resources.append(attributes["href"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append("script body")


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def test_swagger_ui_page_loads_with_local_assets_under_the_strict_csp(client):
    response = client.get(EXPLORER)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == PAGE_CSP
    assert "unsafe-inline" not in PAGE_CSP
    page = _parse(response.get_data(as_text=True))
    assert page.inline == []
    assert f"{EXPLORER}/swagger-ui-bundle.js" in page.resources
    assert f"{EXPLORER}/swagger-ui.css" in page.resources
    assert f"{EXPLORER}/explorer.js" in page.resources
    for url in page.resources:
        assert url.startswith("/api/v1/"), url  # this origin: 'self'
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["X-Content-Type-Options"] == "nosniff"
        expected = "text/javascript" if url.endswith(".js") else None
        if expected:
            assert asset.mimetype == expected
    bundle = client.get(f"{EXPLORER}/swagger-ui-bundle.js").get_data()
    vendor = Path(swagger_ui_bundle.swagger_ui_path) / "swagger-ui-bundle.js"
    assert bundle == vendor.read_bytes()


def test_swagger_ui_stylesheet_needs_nothing_the_csp_refuses(client):
    css = client.get(f"{EXPLORER}/swagger-ui.css").get_data(as_text=True)
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
    # Icons are data: URIs (img-src data:); nothing from another origin.
    assert all(url.startswith("data:") for url in urls), urls
    assert "@import" not in css


def test_only_listed_assets_are_served(client):
    assert client.get(f"{EXPLORER}/swagger-ui-bundle.js.map").status_code == 404
    assert client.get(f"{EXPLORER}/index.html").status_code == 404
    assert client.get(f"{EXPLORER}/..%2fsetup.cfg").status_code == 404


def test_plain_docs_page_links_the_explorer_and_shows_request_schemas(client):
    response = client.get("/api/v1/docs")
    assert response.headers["Content-Security-Policy"] == PAGE_CSP
    html = response.get_data(as_text=True)
    page = _parse(html)
    assert page.inline == []
    assert f'href="{EXPLORER}"' in html
    assert '<a href="#ClientCreate"><code>ClientCreate</code></a>' in html
    assert '<a href="#ConsultationCreate"><code>ConsultationCreate</code></a>' in html


BODYLESS_WRITES = {
    "post /api/v1/auth/logout",
    "post /api/v1/users/{user_id}/disable",
    "post /api/v1/users/{user_id}/enable",
    "post /api/v1/checklists/{checklist_id}/publish",
    "post /api/v1/checklists/{checklist_id}/versions",
}


def test_every_write_with_a_body_documents_its_request_schema(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    without = set()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in {"post", "put", "patch"}:
                continue
            schema = (
                operation.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema", {})
            )
            if not schema:
                without.add(f"{method} {path}")
                continue
            name = schema["$ref"].rsplit("/", 1)[1]
            assert spec["components"]["schemas"][name]["properties"], name
    assert without == BODYLESS_WRITES


_HARNESS = r"""
const fs = require("fs");
let config = null;
const attributes = {"data-openapi-url": "/api/v1/openapi.json", "data-me-url": "/api/v1/auth/me"};
globalThis.window = globalThis;
globalThis.document = {body: {getAttribute: (name) => attributes[name] || null}};
globalThis.SwaggerUIBundle = function (options) { config = options; return {}; };
SwaggerUIBundle.presets = {apis: "apis-preset"};
let meCalls = [];
globalThis.fetch = function (url, options) {
  meCalls.push([url, options.credentials]);
  return Promise.resolve({ok: true, json: () => Promise.resolve({csrf_token: "from-me"})});
};
eval(fs.readFileSync(process.argv[2], "utf8"));
setTimeout(() => {
  const out = {url: config.url, persist: config.persistAuthorization || false};
  out.meCalls = meCalls;
  out.postAfterMe = config.requestInterceptor({method: "POST", headers: {}}).headers;
  out.getAfterMe = config.requestInterceptor({method: "GET", headers: {}}).headers;
  const login = {csrf_token: "from-login"};
  config.responseInterceptor({url: "/api/v1/auth/login", ok: true, body: login});
  out.patchAfterLogin = config.requestInterceptor({method: "PATCH", headers: {}}).headers;
  const typed = {"x-csrf-token": "typed"};
  out.manual = config.requestInterceptor({method: "POST", headers: typed}).headers;
  config.responseInterceptor({url: "/api/v1/auth/logout", ok: true, body: null});
  out.postAfterLogout = config.requestInterceptor({method: "POST", headers: {}}).headers;
  console.log(JSON.stringify(out));
}, 20);
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the initializer")
def test_initializer_sends_the_csrf_token_of_the_session_on_writes_only(tmp_path):
    harness = tmp_path / "harness.js"
    harness.write_text(_HARNESS, encoding="utf-8")
    result = subprocess.run(  # noqa: S603 - our own files
        [shutil.which("node"), str(harness), str(INITIALIZER)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = json.loads(result.stdout)
    assert out["url"] == "/api/v1/openapi.json"
    assert out["persist"] is False  # a pasted Bearer token stays in memory only
    assert out["meCalls"] == [["/api/v1/auth/me", "same-origin"]]
    assert out["postAfterMe"] == {"X-CSRF-Token": "from-me"}
    assert out["getAfterMe"] == {}
    assert out["patchAfterLogin"] == {"X-CSRF-Token": "from-login"}
    assert out["manual"] == {"x-csrf-token": "typed"}
    assert out["postAfterLogout"] == {}
