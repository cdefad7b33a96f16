import shutil

import pytest
from openapi_spec_validator import validate

from mgz.core import migrations
from mgz.core.config import ConfigError
from mgz.core.db import make_engine


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


def test_health_is_503_when_database_unreachable(tmp_path, make_app):
    folder = tmp_path / "gone"
    app = make_app(f"sqlite:///{folder}/nothing.sqlite3")
    shutil.rmtree(folder)  # the database vanishes under the running app
    response = app.test_client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
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
