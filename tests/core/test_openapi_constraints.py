"""The document refuses what the server refuses: each rule the server checks is stated.

Every case here is a request the document used to allow and the server answered
with 422; a generated client would build it. Now the document's schema refuses it
too, and the server still does.
"""

import pytest
from jsonschema import Draft4Validator

from tests.clients.conftest import intake
from tests.factories import make_user


@pytest.fixture
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def refused_by_document(spec, schema_name, body):
    validator = Draft4Validator(
        {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    )
    return not validator.is_valid(body)


CASES = {
    "password-too-short": (
        "UserCreate",
        {"username": "anna", "password": "kurz", "roles": ["admin"]},
    ),
    "username-with-blank": (
        "UserCreate",
        {"username": "an na", "password": "Kf8#mLq2-vTr9!zW", "roles": ["admin"]},
    ),
    "token-longer-than-a-year": ("TokenCreate", {"label": "x", "expires_in_days": 366}),
    "token-label-blank": ("TokenCreate", {"label": "   "}),
    "empty-client-patch": ("ClientUpdate", {"version": 1}),
    "empty-checklist-patch": ("ChecklistUpdate", {}),
    "residence-status-not-a-code": ("ClientCreate", intake(residence_status="kein Code!")),
    "municipality-not-an-ags": ("ClientCreate", intake(municipality="Osnabrück")),
    "qualification-year-1800": (
        "QualificationCreate",
        {"kind": "school", "documents_available": "no", "year": 1800},
    ),
    "topic-not-a-code": (
        "ConsultationCreate",
        {"kind": "first", "held_on": "2024-03-20", "channel": "in_person", "topics": ["a b"]},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_document_refuses_what_the_server_refuses(spec, case):
    schema_name, body = CASES[case]
    assert refused_by_document(spec, schema_name, body)


def test_valid_bodies_still_pass_the_document(spec):
    assert not refused_by_document(spec, "ClientCreate", intake())
    assert not refused_by_document(spec, "TokenCreate", {"label": "Skript", "expires_in_days": 365})
    assert not refused_by_document(
        spec,
        "UserCreate",
        {"username": "Anna.B", "password": "Kf8#mLq2-vTr9!zW", "roles": ["admin"]},
    )


@pytest.mark.parametrize(
    ("case", "url"),
    [
        ("password-too-short", "/api/v1/users"),
        ("username-with-blank", "/api/v1/users"),
        ("token-longer-than-a-year", "/api/v1/users/{user}/tokens"),
        ("token-label-blank", "/api/v1/users/{user}/tokens"),
    ],
)
def test_server_refuses_the_same_requests(db, login_as, case, url):
    user = make_user(db, roles=["statistician"])
    response = login_as("admin").post(url.format(user=user.id), json=CASES[case][1])
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_client_search_documents_that_a_name_needs_a_birth_date_or_first_name_and_year(spec):
    # Names are searched in a body (POST /clients/search), never in GET's query.
    params = {p["name"] for p in spec["paths"]["/api/v1/clients"]["get"]["parameters"]}
    assert {"last_name", "first_name", "birth_date"}.isdisjoint(params)
    for body in (
        {"last_name": "Muster"},
        {"last_name": "Muster", "birth_year": 1990},
        {"last_name": "M", "first_name": "E", "birth_date": "1990-01-01", "birth_year": 1990},
    ):
        assert refused_by_document(spec, "IdentitySearch", body), body
    for body in (
        {"last_name": "Muster", "birth_date": "1990-01-01"},
        {"last_name": "Muster", "first_name": "Erika", "birth_year": 1990, "similar": True},
    ):
        assert not refused_by_document(spec, "IdentitySearch", body), body


def test_code_fields_name_their_code_list(spec):
    props = spec["components"]["schemas"]["ClientCreate"]["properties"]
    assert props["residence_status"]["x-code-list"] == "residence_status"
    assert props["nationality"]["items"]["x-code-list"] == "country"
    assert "/api/v1/reference/municipality" in props["municipality"]["description"]
