"""The healthy probe is answered in front of Flask, exactly as Flask would answer it.

``mgz.core.health.HealthProbe`` sits around ``app.wsgi_app``; a request with a query
string (or HEAD, or any other method) goes through the framework, which makes the
two answers comparable side by side.
"""

from __future__ import annotations

import json
import re

import pytest

from mgz.core import migrations

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def counted(backend, make_app):
    """An app on a fresh database, and the list its before_request hook appends to."""
    app = make_app(backend.new_database())
    calls: list[str] = []
    app.before_request(lambda: calls.append("framework"))
    return app, calls


def test_a_healthy_probe_is_answered_before_the_framework(counted):
    app, calls = counted
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json()["revision"] == migrations.head_revision()
    assert calls == []
    assert app.test_client().get("/api/v1/health?from=script").status_code == 200
    assert calls == ["framework"]


def test_the_fast_answer_is_the_frameworks_answer(counted):
    app, calls = counted
    fast = app.test_client().get("/api/v1/health")
    framework = app.test_client().get("/api/v1/health?from=script")
    assert calls == ["framework"]
    assert fast.get_data() == framework.get_data()
    # Flask adds "Vary: Cookie" because its login extension looked at the cookie
    # session; the probe reads no cookie, so its answer does not vary with one.
    fast_headers = dict(fast.headers)
    framework_headers = {k: v for k, v in framework.headers.items() if k != "Vary"}
    assert fast_headers.keys() == framework_headers.keys()
    ids = fast_headers.pop("X-Request-ID"), framework_headers.pop("X-Request-ID")
    assert all(HEX_ID.fullmatch(value) for value in ids) and ids[0] != ids[1]
    assert fast_headers == framework_headers


def test_hsts_on_the_fast_answer_only_over_tls(backend, make_app):
    app = make_app(backend.new_database(), HSTS_SECONDS=600)
    over_tls = app.test_client().get("/api/v1/health", base_url="https://mgz.example")
    assert over_tls.headers["Strict-Transport-Security"] == "max-age=600; includeSubDomains"
    over_http = app.test_client().get("/api/v1/health", base_url="http://mgz.example")
    assert "Strict-Transport-Security" not in over_http.headers


def test_a_probe_that_is_not_ready_goes_on_to_the_view(backend, make_app):
    app = make_app(backend.new_database(migrate=False))
    calls: list[str] = []
    app.before_request(lambda: calls.append("framework"))
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert calls == ["framework"]


@pytest.mark.parametrize("method", ["HEAD", "POST"])
def test_other_methods_go_through_the_framework(counted, method):
    app, calls = counted
    response = app.test_client().open("/api/v1/health", method=method)
    assert response.status_code == (200 if method == "HEAD" else 405)
    assert calls == ["framework"]


def test_the_fast_answer_writes_the_access_line_with_its_request_id(counted, capfd):
    app, _calls = counted
    capfd.readouterr()
    response = app.test_client().get("/api/v1/health")
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines()]
    [access] = [line for line in lines if line.get("event") == "request"]
    assert (access["method"], access["path"], access["status"]) == ("GET", "/api/v1/health", 200)
    assert access["request_id"] == response.headers["X-Request-ID"]
    assert isinstance(access["duration_ms"], float)
