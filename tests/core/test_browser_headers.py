"""Every response carries the browser headers: CSP, no framing, no referrer, no features.

One request per kind of response the app gives: JSON, problem+json, the plain docs
page, the Swagger UI page and its assets, a 404 outside /api, a 405, a 500.
"""

from __future__ import annotations

import pytest

from mgz.core.access import public
from mgz.core.headers import API_CSP, PAGE_CSP

BASE = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def _csp_directives(value: str) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in value.split(";")
        if part.strip()
    }


def _assert_browser_headers(response, csp: str) -> None:
    for name, value in BASE.items():
        assert response.headers.get(name) == value, name
    assert response.headers["Content-Security-Policy"] == csp
    directives = _csp_directives(csp)
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # off by default


@pytest.mark.parametrize(
    ("path", "status", "mimetype", "csp"),
    [
        ("/api/v1/health", 200, "application/json", API_CSP),
        ("/api/v1/openapi.json", 200, "application/json", API_CSP),
        ("/api/v1/clients", 401, "application/problem+json", API_CSP),
        ("/api/v1/no-such-route", 404, "application/problem+json", API_CSP),
        ("/no-such-page", 404, "application/problem+json", API_CSP),
        ("/", 404, "application/problem+json", API_CSP),
        ("/api/v1/docs", 200, "text/html", PAGE_CSP),
        ("/api/v1/swagger-ui", 200, "text/html", PAGE_CSP),
        ("/api/v1/swagger-ui/swagger-ui-bundle.js", 200, "text/javascript", API_CSP),
        ("/api/v1/swagger-ui/swagger-ui.css", 200, "text/css", API_CSP),
        ("/api/v1/swagger-ui/explorer.js", 200, "text/javascript", API_CSP),
        ("/api/v1/swagger-ui/no-such-asset.js", 404, "application/problem+json", API_CSP),
    ],
)
def test_every_kind_of_response_carries_the_browser_headers(client, path, status, mimetype, csp):
    response = client.get(path)
    assert response.status_code == status
    assert response.mimetype == mimetype
    _assert_browser_headers(response, csp)


def test_method_not_allowed_and_bad_body_carry_them_too(client):
    _assert_browser_headers(client.delete("/api/v1/health"), API_CSP)
    response = client.post("/api/v1/auth/login", data="{", content_type="application/json")
    assert response.status_code == 400
    _assert_browser_headers(response, API_CSP)


def test_an_unexpected_error_carries_them_too(database_url, make_app):
    app = make_app(database_url)

    @public
    def boom():
        raise RuntimeError("boom")

    app.add_url_rule("/boom", "boom", boom)
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    _assert_browser_headers(response, API_CSP)


def test_hsts_only_over_tls_and_only_when_configured(database_url, make_app):
    plain = make_app(database_url).test_client()
    assert (
        "Strict-Transport-Security"
        not in plain.get("/api/v1/health", base_url="https://mgz.example").headers
    )
    hsts = make_app(database_url, HSTS_SECONDS=31536000).test_client()
    over_tls = hsts.get("/api/v1/health", base_url="https://mgz.example")
    assert over_tls.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    over_http = hsts.get("/api/v1/health", base_url="http://mgz.example")
    assert "Strict-Transport-Security" not in over_http.headers


def test_hsts_behind_a_trusted_tls_proxy(database_url, make_app):
    app = make_app(database_url, HSTS_SECONDS=600, TRUSTED_PROXIES=1)
    response = app.test_client().get(
        "/api/v1/health", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.9"}
    )
    assert response.headers["Strict-Transport-Security"] == "max-age=600; includeSubDomains"
