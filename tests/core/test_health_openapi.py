import shutil
import tempfile

import pytest
from jsonschema import validate as validate_json
from openapi_spec_validator import validate
from psycopg import pq

from mgz.core import migrations
from mgz.core.config import ConfigError
from mgz.core.db import database, make_engine


def test_health_reports_database_and_head(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["revision"] == body["head"] == migrations.head_revision()


def test_health_is_503_when_migrations_are_behind(backend, make_app):
    url = backend.new_database(migrate=False)
    app = make_app(url)
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["revision"] is None
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    assert app.test_client().get("/api/v1/health").status_code == 200


def test_a_probe_on_postgresql_is_one_query_in_autocommit_beside_the_request(backend, make_app):
    """One round trip: no BEGIN/COMMIT around it, no request session (issue 14, goal 5).

    Read off the wire (libpq's protocol trace of the probe's connection): what the
    client sent, and the server's transaction status after it ("I": idle, none open).
    """
    if backend.name != "postgresql":
        pytest.skip("SQLite is a local file: its probe is a deferred read, no round trip")
    # The key comparison stands a minute (its own queries run once, not per probe).
    app = make_app(backend.new_database(), HEALTH_KEY_CHECK_SECONDS=60)
    assert app.test_client().get("/api/v1/health").status_code == 200
    kept = database(app)._probe_connection
    driver = kept.connection.driver_connection
    with tempfile.TemporaryFile("w+") as trace:
        driver.pgconn.trace(trace.fileno())
        driver.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            assert app.test_client().get("/api/v1/health").status_code == 200
        finally:
            driver.pgconn.untrace()
        trace.seek(0)
        messages = [line.split("\t") for line in trace.read().splitlines()]
    sent = [fields[2:] for fields in messages if fields[0] == "F"]
    assert sent == [["Query", ' "SELECT version_num FROM alembic_version"']]
    ready = [fields[3].strip() for fields in messages if fields[2] == "ReadyForQuery"]
    assert ready == ["I"]
    assert database(app)._probe_connection is kept  # the same connection, kept


def test_health_is_503_when_database_unreachable(tmp_path, make_app):
    folder = tmp_path / "gone"
    app = make_app(f"sqlite:///{folder}/nothing.sqlite3")
    shutil.rmtree(folder)  # the database vanishes under the running app
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    assert response.headers["Retry-After"] == "2"
    assert "sqlite" not in response.get_data(as_text=True).lower()


def test_unusable_sqlite_path_stops_start_up_naming_the_setting(tmp_path, make_app):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="^MGZ_DATABASE_URL: cannot create the SQLite file"):
        make_app(f"sqlite:///{blocker}/db.sqlite3")


def test_openapi_document_validates_and_lists_every_route(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    documented = {
        (path, method.upper())
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    undocumented = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule in {
            "/api/v1/openapi.json",
            "/api/v1/docs",
            "/api/v1/swagger-ui",
            "/api/v1/swagger-ui/<key:name>",
        }:
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        # "{int:user_id}" -> "{user_id}"
        path = "/".join(
            "{" + p[1:].split(":")[-1] if p.startswith("{") else p for p in path.split("/")
        )
        path = path.replace("{", "{").replace("}", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (path, method) not in documented:
                undocumented.append((path, method))
    assert undocumented == []
    assert ("/api/v1/health", "GET") in documented


def test_browsable_docs_page_is_self_contained(app):
    response = app.test_client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/api/v1/health" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/openapi.json"])
def test_security_headers(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield f"{method.upper()} {path}", method, operation


def _resolve(spec, response):
    if "$ref" in response:
        return spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response


def test_every_error_response_is_documented_as_problem_json(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    problem = spec["components"]["schemas"]["Problem"]
    assert problem["properties"]["status"]["type"] == "integer"
    assert set(problem["required"]) == {"type", "title", "status"}
    assert "Error" not in spec["components"]["schemas"]
    for label, method, operation in _operations(spec):
        responses = operation["responses"]
        assert "default" not in responses, label
        errors = {int(s) for s in responses if int(s) >= 400}
        assert 500 in errors, label
        if not operation.get("x-public"):
            assert {401, 403} <= errors, label
        if "{" in label:
            assert 404 in errors, label
        if method != "get":
            assert {400, 413, 415} <= errors, label
        for status in errors:
            content = _resolve(spec, responses[str(status)])["content"]
            assert list(content) == ["application/problem+json"], (label, status)
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }


def test_security_schemes_are_declared_per_operation(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearer"]["description"],
    }
    assert (schemes["session"]["in"], schemes["session"]["name"]) == ("cookie", "mgz_session")
    assert (schemes["csrf"]["in"], schemes["csrf"]["name"]) == ("header", "X-CSRF-Token")
    for label, method, operation in _operations(spec):
        if operation.get("x-public"):
            assert operation["security"] == [], label
        elif method == "get":
            assert operation["security"] == [{"bearer": []}, {"session": []}], label
        else:
            assert operation["security"] == [{"bearer": []}, {"session": [], "csrf": []}], label


def test_a_real_error_body_matches_the_documented_problem_schema(app, client):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    response = client.post("/api/v1/users", json={"username": "x"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    validate_json(response.get_json(), spec["components"]["schemas"]["Problem"])
