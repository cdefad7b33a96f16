"""``GET /api/v1/reference/…`` and ``mgz reference …``."""

import pytest

from mgz.auth import service as auth_service
from mgz.core.access import ROLES
from mgz.core.actor import Actor
from tests.factories import make_token
from tests.reference.test_service import alternative_data

ADMIN = Actor.system("tests")


def bearer(db, role):
    user = auth_service.create_user(
        db, ADMIN, f"reference-{role}", "Referenz-Test-Passwort 2026!", [role]
    )
    return {"Authorization": f"Bearer {make_token(db, user, days=1)}"}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_a_code_list(client, db, role):
    response = client.get("/api/v1/reference/residence_status", headers=bearer(db, role))
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "residence_status"
    assert body["title"] == "Aufenthaltsstatus"
    gestattung = next(c for c in body["codes"] if c["code"] == "GESTATTUNG")
    assert gestattung["group"] == "protection_open"
    assert gestattung["label"] == "Aufenthaltsgestattung (§ 55 AsylG)"


def test_withdrawn_codes_only_on_request(client, db):
    headers = bearer(db, "adviser")
    active = client.get("/api/v1/reference/course_type", headers=headers).get_json()
    assert "JUGEND" not in {c["code"] for c in active["codes"]}
    everything = client.get(
        "/api/v1/reference/course_type?include_withdrawn=true", headers=headers
    ).get_json()
    jugend = next(c for c in everything["codes"] if c["code"] == "JUGEND")
    assert jugend["withdrawn_in_version"] == 1


def test_index_lists_every_code_list(client, db):
    body = client.get("/api/v1/reference", headers=bearer(db, "statistician")).get_json()
    assert {"country", "municipality", "gender"} <= {item["name"] for item in body}


def test_unknown_list_is_404_problem_json(client, db):
    response = client.get("/api/v1/reference/no_such_list", headers=bearer(db, "adviser"))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "no_such_list" not in response.get_data(as_text=True)


def test_unknown_query_parameter_is_422(client, db):
    response = client.get("/api/v1/reference/gender?colour=red", headers=bearer(db, "adviser"))
    assert response.status_code == 422


def test_code_lists_need_a_login(client):
    response = client.get("/api/v1/reference/gender")
    assert response.status_code == 401


def test_cli_load_prints_per_list_report(runner, tmp_path):
    result = runner.invoke(args=["reference", "load"])
    assert result.exit_code == 0, result.output
    assert "country: unchanged (version 1)" in result.output
    assert "0 of" in result.output

    result = runner.invoke(
        args=["reference", "load", "--data-dir", str(alternative_data(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    assert "gender: new version 2 (+1 −1, 1 updated)" in result.output
    assert "1 of" in result.output

    listed = runner.invoke(args=["reference", "list", "gender", "--all"])
    assert "unspecified" in listed.output
    assert "[withdrawn in v2]" in listed.output


def test_cli_load_refuses_broken_files_and_writes_nothing(runner, tmp_path):
    (tmp_path / "gender.toml").write_text("title = 'G'\ncodes = []\n", encoding="utf-8")
    result = runner.invoke(args=["reference", "load", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "reference data not loaded" in result.output


def test_cli_list_shows_lists_and_refuses_unknown_names(runner):
    result = runner.invoke(args=["reference", "list"])
    assert result.exit_code == 0
    assert "municipality" in result.output
    result = runner.invoke(args=["reference", "list", "nope"])
    assert result.exit_code == 1
