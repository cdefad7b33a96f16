"""No personal data in URLs: the OpenAPI document declares none, and every route refuses it."""

from __future__ import annotations

import re

import pytest

from mgz.core import query_guard
from mgz.core.classification import CLASS_INFO, FIELD_INFO, DataClass
from mgz.core.db import Base

_PATH_PARAMETER = re.compile(r"\{[^}]+\}")


def _identifying_fields() -> set[str]:
    """Every identifying field of every table, straight from the classification."""
    return {
        column.info.get(FIELD_INFO) or column.name
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.info.get(CLASS_INFO) == DataClass.IDENTIFYING
    }


def _operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def test_no_query_parameter_of_any_route_is_a_personal_field(client):
    personal = {query_guard._key(name) for name in query_guard.personal_field_names()}
    assert {"lastname", "firstname", "birthdate", "notes", "reason"} <= personal
    assert {query_guard._key(name) for name in _identifying_fields()} <= personal
    query = [
        (method.upper(), path, parameter["name"])
        for path, method, operation in _operations(client)
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "query"
    ]
    assert ("GET", "/api/v1/clients", "case_number") in query  # the walk sees them
    assert [q for q in query if query_guard._key(q[2]) in personal] == []


def test_every_documented_route_refuses_a_name_in_its_query_string(client):
    checked = 0
    for path, method, _operation in _operations(client):
        url = _PATH_PARAMETER.sub("00000000-0000-4000-8000-000000000000", path)
        response = client.open(
            url, method=method.upper(), query_string={"last_name": "Beispielfrau"}
        )
        assert response.status_code == 422, (method, path, response.status_code)
        assert response.get_json()["errors"] == {"last_name": [query_guard.MESSAGE]}
        assert "Beispielfrau" not in response.get_data(as_text=True)
        checked += 1
    assert checked > 20


@pytest.mark.parametrize("name", ["Birth_Date", "birth-date", "birthDate", "birth_date[]"])
def test_spellings_of_a_personal_field_are_refused_under_its_field_name(client, name):
    response = client.get("/api/v1/health", query_string={name: "1990-04-12"})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["birth_date"]


def test_statistical_and_technical_parameters_pass(client):
    assert client.get("/api/v1/health", query_string={"page": "1"}).status_code == 200
