"""German text as it reaches a reader: UTF-8 error bodies, a detail on every 422."""

from __future__ import annotations

import re

import pytest
from marshmallow import ValidationError

from mgz.core.errors import handle_validation_error


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


# Words that give English text away (none is a German word), and signs of German.
_ENGLISH = {"the", "and", "with", "from", "of", "to", "is", "this", "that", "invalid", "must"}
_GERMAN = re.compile(r"[äöüÄÖÜß]|\b(die|der|das|ist|nicht|Eingabe|Feld|Bitte)\b")


def assert_german_detail(problem):
    detail = problem.get("detail")
    assert detail, problem
    words = {word.lower() for word in re.findall(r"[A-Za-z]+", detail)}
    assert not words & _ENGLISH, detail
    assert _GERMAN.search(detail), detail


_CLIENT_FILE = {
    "first_name": "Erika",
    "last_name": "Muster",
    "birth_date": "1990-01-01",
    "gender": "female",
}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/clients", {"first_name": "Erika"}),  # schema: missing fields
        ("post", "/api/v1/clients", {"unknown_field": 1}),  # schema: unknown field
        ("post", "/api/v1/clients", [1, 2]),  # schema: not an object
        ("post", "/api/v1/clients", {**_CLIENT_FILE, "birth_date": "gestern"}),  # format
        ("post", "/api/v1/clients", {**_CLIENT_FILE, "gender": "x"}),  # fixed code list
        ("post", "/api/v1/clients", {**_CLIENT_FILE, "nationality": ["QQ"]}),  # code, service
        ("post", "/api/v1/clients", {**_CLIENT_FILE, "first_name": "a\u0000b"}),  # unstorable
        ("get", "/api/v1/clients?last_name=Muster", None),  # query: no personal data
        ("post", "/api/v1/clients/search", {"last_name": "Muster"}),  # search: name alone
        ("get", "/api/v1/clients?per_page=0", None),  # query: range
        ("get", "/api/v1/clients?per_page=viele", None),  # query: type (webargs)
        ("get", "/api/v1/clients?lastname=Muster", None),  # query: unknown parameter
        ("get", "/api/v1/clients?citizenship_group=eea", None),  # query: code
        ("get", "/api/v1/clients?labels=en", None),  # labels parameter
        ("get", "/api/v1/reference/gender?include_withdrawn=vielleicht", None),  # boolean
        ("get", "/api/v1/audit/events?limit=0", None),  # another area's query
    ],
)
def test_every_422_has_a_german_detail(login_as, method, path, body):
    client = login_as("adviser", "auditor")
    response = getattr(client, method)(path, json=body) if body else client.get(path)
    assert response.status_code == 422, response.get_json(force=True)
    problem = response.get_json(force=True)
    assert problem["errors"]
    assert_german_detail(problem)
    assert "errors" in problem["detail"] or problem["detail"] == "Eingabe ungültig."


def test_a_validation_error_outside_webargs_has_a_german_detail(app):
    with app.test_request_context("/api/v1/clients"):
        response = handle_validation_error(ValidationError({"x": ["Pflichtfeld."]}))
    assert response.status_code == 422
    assert_german_detail(response.get_json(force=True))


def test_the_detail_check_sees_english():
    with pytest.raises(AssertionError):
        assert_german_detail({"detail": "The input is invalid."})
    with pytest.raises(AssertionError):
        assert_german_detail({"title": "Eingabe ungültig"})
    assert_german_detail({"detail": "Die Eingabe ist ungültig."})


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
