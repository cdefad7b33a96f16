"""German text as it reaches a reader: UTF-8 error bodies, a detail on every 422."""

from __future__ import annotations

import pytest


def _raw_text(response) -> str:
    # The bytes as sent, decoded as UTF-8: an escaped "\u00fc" stays visible here.
    return response.get_data().decode("utf-8")


def test_problem_bodies_are_utf8_like_every_other_response(login_as):
    client = login_as("adviser")
    response = client.post("/api/v1/clients", json={"first_name": "Erika"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    text = _raw_text(response)
    assert "ungültig" in text
    assert "\\u00" not in text


def test_plain_http_error_problem_is_utf8(client):
    response = client.post("/api/v1/auth/login", data="x", content_type="text/plain")
    assert response.status_code == 415
    text = _raw_text(response)
    assert "Nicht unterstützter Inhaltstyp" in text
    assert "\\u00" not in text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/clients", {"first_name": "Erika"}),  # schema: missing fields
        ("post", "/api/v1/clients", {"unknown_field": 1}),  # schema: unknown field
        ("get", "/api/v1/clients?last_name=Muster", None),  # query: no personal data
        ("post", "/api/v1/clients/search", {"last_name": "Muster"}),  # search: name alone
        ("get", "/api/v1/clients?per_page=0", None),  # query: range
    ],
)
def test_every_422_has_a_german_detail(login_as, method, path, body):
    client = login_as("adviser")
    response = getattr(client, method)(path, json=body) if body else client.get(path)
    assert response.status_code == 422
    problem = response.get_json(force=True)
    assert problem["errors"]
    assert problem["detail"]
    assert "errors" in problem["detail"]


def test_a_domain_422_without_its_own_detail_gets_the_generic_one(login_as):
    client = login_as("adviser")
    # A code the schema's pattern accepts but the loaded list does not know: a service check.
    response = client.post(
        "/api/v1/clients",
        json={
            "first_name": "Erika",
            "last_name": "Muster",
            "birth_date": "1990-01-01",
            "gender": "female",
            "residence_status": "NO_SUCH_CODE",
        },
    )
    assert response.status_code == 422
    problem = response.get_json(force=True)
    assert "residence_status" in problem["errors"]
    assert problem["detail"]
