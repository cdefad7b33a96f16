"""Ids, sequence numbers and timestamps beyond what a column holds are 4xx, never 500.

PostgreSQL's INTEGER ends at 2^31-1, SQLite's (and BIGINT) at 2^63-1; Python's
datetime at the years 1 and 9999. Every route takes such parameters through one
type with a stated range (``<id:…>``, ``Id``, ``SequenceNumber``, ``Timestamp``),
and the OpenAPI document states the range, so clients and fuzzers know it.
"""

import pytest
from werkzeug.routing import IntegerConverter, UnicodeConverter

from mgz.core.api import IdConverter, KeyConverter
from mgz.core.schemas import MAX_INT32, MAX_INT64
from tests.factories import make_user

# Just past PostgreSQL's INTEGER, just past SQLite's INTEGER, and far beyond both.
BEYOND = [MAX_INT32 + 1, MAX_INT64 + 1, 10**30]


def _user_routes(user_id):
    return [
        ("get", f"/api/v1/users/{user_id}/tokens", None),
        ("post", f"/api/v1/users/{user_id}/tokens", {"label": "Skript"}),
        ("put", f"/api/v1/users/{user_id}/roles", {"roles": ["statistician"]}),
        ("post", f"/api/v1/users/{user_id}/disable", None),
        ("post", f"/api/v1/users/{user_id}/enable", None),
        ("delete", f"/api/v1/tokens/{user_id}", None),
    ]


@pytest.mark.parametrize("number", BEYOND)
def test_ids_beyond_the_column_are_404_not_500(login_as, number):
    admin = login_as("admin")
    for method, path, body in _user_routes(number):
        response = getattr(admin, method)(path, json=body)
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.mimetype == "application/problem+json"


def test_the_largest_id_is_an_ordinary_unknown_id(login_as):
    admin = login_as("admin")
    for method, path, body in _user_routes(MAX_INT32):
        response = getattr(admin, method)(path, json=body)
        assert response.status_code == 404, (method, path)
        assert response.get_json()["detail"] in {
            "Benutzer*in nicht gefunden.",
            "Token nicht gefunden.",
        }


@pytest.mark.parametrize("number", [MAX_INT64 + 1, 10**30, -1])
@pytest.mark.parametrize("path", ["/api/v1/audit/events", "/api/v1/audit/objects/x-1/events"])
def test_after_seq_beyond_bigint_is_422(login_as, path, number):
    response = login_as("auditor").get(path, query_string={"after_seq": number})
    assert response.status_code == 422
    assert "after_seq" in response.get_json()["errors"]


@pytest.mark.parametrize("path", ["/api/v1/audit/events", "/api/v1/audit/objects/x-1/events"])
def test_the_largest_after_seq_is_an_empty_page(login_as, path):
    response = login_as("auditor").get(path, query_string={"after_seq": MAX_INT64})
    assert response.status_code == 200
    assert response.get_json()["items"] == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("since", "0001-01-01T00:00:00+01:00"),  # before the year 1 in UTC
        ("until", "9999-12-31T23:59:59-01:00"),  # after the year 9999 in UTC
        ("since", "1899-12-31T23:59:59+00:00"),
    ],
)
def test_timestamps_beyond_the_date_limits_are_422(login_as, name, value):
    response = login_as("auditor").get("/api/v1/audit/events", query_string={name: value})
    assert response.status_code == 422
    assert name in response.get_json()["errors"]


def test_timestamps_at_the_stated_limits_are_accepted(login_as):
    response = login_as("auditor").get(
        "/api/v1/audit/events",
        query_string={"since": "1900-01-01T00:00:00+00:00", "until": "9999-12-31T23:59:59Z"},
    )
    assert response.status_code == 200


def test_an_actor_id_beyond_the_column_is_422(login_as):
    response = login_as("auditor").get(
        "/api/v1/audit/events", query_string={"actor_user_id": MAX_INT32 + 1}
    )
    assert response.status_code == 422


def test_no_route_takes_an_unbounded_integer(app):
    """The class, not the examples: a new ``<int:…>`` route would reopen the 500."""
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                assert isinstance(converter, IdConverter), (rule.rule, name)


def test_no_route_takes_an_unrestricted_string(app):
    """``<string:…>`` lets NUL through to PostgreSQL; names and pseudonyms use ``<key:…>``."""
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            assert not isinstance(converter, UnicodeConverter), (rule.rule, name)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/audit/objects/%00/events",
        "/api/v1/audit/objects/MGZ%00/events",
        "/api/v1/audit/objects/" + "x" * 65 + "/events",
        "/api/v1/reference/%00",
        "/api/v1/reference/residence%00status",
    ],
)
def test_nul_or_overlong_names_in_the_path_are_404_not_500(login_as, path):
    response = login_as("auditor").get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_names_in_the_path_still_work(login_as):
    auditor = login_as("auditor")
    assert auditor.get("/api/v1/reference/residence_status").status_code == 200
    assert auditor.get("/api/v1/audit/objects/MGZ-2026-000123/events").status_code == 200


def test_openapi_states_the_pattern_of_names_in_the_path(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    found = {
        (path, p["name"]): p["schema"]
        for path, _method, p in _parameters(spec)
        if p["in"] == "path"
    }
    for key in (
        ("/api/v1/audit/objects/{object_id}/events", "object_id"),
        ("/api/v1/reference/{list_name}", "list_name"),
    ):
        assert found[key]["pattern"] == f"^{KeyConverter.regex}$"
        assert found[key]["maxLength"] == 64


def _parameters(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict):
                for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
                    yield path, method, parameter


def test_openapi_states_the_range_of_every_integer_parameter(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    integers = [
        (path, method, p)
        for path, method, p in _parameters(spec)
        if p.get("schema", {}).get("type") == "integer"
    ]
    assert integers
    for path, method, parameter in integers:
        schema = parameter["schema"]
        assert "minimum" in schema and "maximum" in schema, (path, method, parameter["name"])
    by_name = {(path, p["name"]): p["schema"] for path, _method, p in integers}
    for path in (
        "/api/v1/users/{user_id}/tokens",
        "/api/v1/users/{user_id}/roles",
        "/api/v1/users/{user_id}/disable",
        "/api/v1/users/{user_id}/enable",
    ):
        assert by_name[(path, "user_id")] == {"type": "integer", "minimum": 1, "maximum": MAX_INT32}
    assert by_name[("/api/v1/tokens/{token_id}", "token_id")]["maximum"] == MAX_INT32
    for path in ("/api/v1/audit/events", "/api/v1/audit/objects/{object_id}/events"):
        assert by_name[(path, "after_seq")]["minimum"] == 0
        assert by_name[(path, "after_seq")]["maximum"] == MAX_INT64
    assert by_name[("/api/v1/audit/events", "actor_user_id")]["maximum"] == MAX_INT32


def test_openapi_states_the_range_of_timestamps(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    found = {
        p["name"]: p["schema"]
        for path, _method, p in _parameters(spec)
        if path == "/api/v1/audit/events"
    }
    for name in ("since", "until"):
        assert found[name]["format"] == "date-time"
        assert found[name]["x-minimum"] == "1900-01-01T00:00:00+00:00"
        assert found[name]["x-maximum"] == "9999-12-31T23:59:59+00:00"


def test_an_existing_id_still_works_through_the_converter(db, login_as):
    user = make_user(db, roles=["statistician"])
    response = login_as("admin").get(f"/api/v1/users/{user.id}/tokens")
    assert response.status_code == 200
