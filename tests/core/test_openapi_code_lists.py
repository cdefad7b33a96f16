"""Every code field of the OpenAPI document names its code list and links to it.

The walk covers every schema a client meets: components, request bodies, responses
and parameters, nested objects and arrays. A field is a code field when it says so
(``x-code-list``, set by ``mgz.core.schemas.code_of``), when its name is the name
of a shipped code list or ends with ``_<list name>`` (``suggested_profile_type``),
or when a field of the same name names a list anywhere else in the document (a
request's ``channel`` makes the response's ``channel`` a code field too). New areas
are covered as soon as their schemas are in the document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mgz.reference.files import read_lists

# Fields whose name is a list name but whose value is not a code of that list.
NOT_CODES = {
    ("ChecklistItem", "code_list"),  # names a list, it is not one of its codes
}


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    ref = node.get("$ref")
    if ref is None:
        return None, node
    name = ref.rsplit("/", 1)[1]
    return name, spec["components"]["schemas"][name]


def _fields(
    spec: dict[str, Any], node: dict[str, Any], where: str, seen: set[str]
) -> Iterator[tuple[str, str, dict[str, Any], str]]:
    """(where, field name, field schema, owner schema name) for every named field."""
    name, node = _resolve(spec, node)
    if name is not None:
        if name in seen:
            return
        seen = {*seen, name}
        where = name
    for key in ("allOf", "anyOf", "oneOf"):
        for part in node.get(key, ()):
            yield from _fields(spec, part, where, seen)
    if isinstance(node.get("items"), dict):
        yield from _fields(spec, node["items"], where, seen)
    if isinstance(node.get("additionalProperties"), dict):
        yield from _fields(spec, node["additionalProperties"], where, seen)
    for field, schema in node.get("properties", {}).items():
        yield where, field, schema, where
        yield from _fields(spec, schema, f"{where}.{field}", seen)


def _value(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of one value: an array's items, a reference resolved."""
    _name, schema = _resolve(spec, schema)
    while schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        _name, schema = _resolve(spec, schema["items"])
    return schema


def code_fields(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], str]]:
    """Every field of the document as (where, name, value schema, description)."""
    for schema_name, schema in spec["components"]["schemas"].items():
        for where, field, field_schema, _owner in _fields(spec, schema, schema_name, set()):
            value = _value(spec, field_schema)
            description = " ".join(
                filter(None, (field_schema.get("description"), value.get("description")))
            )
            yield where, field, value, description
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for parameter in [*item.get("parameters", ()), *operation.get("parameters", ())]:
                value = _value(spec, parameter.get("schema", {}))
                description = " ".join(
                    filter(None, (parameter.get("description"), value.get("description")))
                )
                yield f"{method.upper()} {path}", parameter["name"], value, description
            bodies = [operation.get("requestBody", {})]
            bodies += list(operation.get("responses", {}).values())
            for body in bodies:
                for content in body.get("content", {}).values():
                    schema = content.get("schema", {})
                    for where, field, field_schema, _owner in _fields(
                        spec, schema, f"{method.upper()} {path}", set()
                    ):
                        value = _value(spec, field_schema)
                        description = " ".join(
                            filter(
                                None, (field_schema.get("description"), value.get("description"))
                            )
                        )
                        yield where, field, value, description


def problems(spec: dict[str, Any], list_names: set[str]) -> list[str]:
    """What is wrong with the code fields of ``spec``; empty if nothing."""
    found: list[str] = []
    fields = list(code_fields(spec))
    lists_by_name: dict[str, set[str]] = {}
    for _where, field, value, _description in fields:
        if "x-code-list" in value:
            lists_by_name.setdefault(field, set()).add(value["x-code-list"])
    for where, field, value, description in fields:
        if (where.split(".")[0], field) in NOT_CODES or value.get("type") == "object":
            continue
        named = value.get("x-code-list")
        expected: set[str] = set()
        if field in list_names:
            expected.add(field)
        expected |= {name for name in list_names if field.endswith(f"_{name}")}
        if len(lists_by_name.get(field, ())) == 1:
            expected |= lists_by_name[field]
        if named is None:
            if expected:
                found.append(f"{where}.{field}: no x-code-list (expected {sorted(expected)})")
            continue
        if named not in list_names:
            found.append(f"{where}.{field}: x-code-list {named!r} is no shipped list")
            continue
        if expected and named not in expected:
            found.append(f"{where}.{field}: x-code-list {named!r}, expected {sorted(expected)}")
        link = f"/api/v1/reference/{named}"
        if link not in description:
            found.append(f"{where}.{field}: description does not link to {link}")
        if value.get("x-code-list-url") != link:
            found.append(f"{where}.{field}: x-code-list-url is not {link}")
    return sorted(set(found))


@pytest.fixture
def spec(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def test_every_code_field_names_an_existing_list_and_links_to_it(spec):
    assert problems(spec, set(read_lists())) == []


def test_the_walk_reaches_requests_responses_parameters_and_nested_fields(spec):
    seen = {(where.split(".")[0], field) for where, field, value, _ in code_fields(spec)}
    # a request body, a response, a query parameter, a nested object, an array of codes
    for expected in (
        ("ClientCreate", "residence_status"),
        ("Client", "citizenship_group"),
        ("GET /api/v1/clients", "citizenship_group"),
        ("Schooling", "isced_level"),
        ("Consultation", "topics"),
        ("CompetenceProfile", "latest_profiling"),
    ):
        assert expected in seen, expected
    lists = {
        value["x-code-list"] for *_rest, value, _d in code_fields(spec) if "x-code-list" in value
    }
    assert {"gender", "citizenship_group", "consultation_topic", "need_rating"} <= lists


def test_every_named_list_is_served_where_the_document_says(spec, login_as):
    http = login_as("adviser")
    named = {
        value["x-code-list"] for *_rest, value, _d in code_fields(spec) if "x-code-list" in value
    }
    for list_name in sorted(named):
        response = http.get(f"/api/v1/reference/{list_name}")
        assert response.status_code == 200, list_name
        assert response.get_json()["codes"], list_name


def test_the_checker_finds_a_code_field_without_its_list():
    base = {
        "type": "string",
        "x-code-list": "gender",
        "x-code-list-url": "/api/v1/reference/gender",
    }
    spec = {
        "paths": {},
        "components": {
            "schemas": {
                "In": {
                    "properties": {
                        "channel": {
                            **base,
                            "x-code-list": "consultation_channel",
                            "x-code-list-url": "/api/v1/reference/consultation_channel",
                            "description": "GET /api/v1/reference/consultation_channel",
                        },
                    }
                },
                "Out": {
                    "properties": {
                        "gender": {"type": "string"},
                        "channel": {"type": "array", "items": {"type": "string"}},
                        "suggested_profile_type": {"type": "string"},
                        "nested": {"$ref": "#/components/schemas/Deep"},
                        "wrong": {**base, "x-code-list": "nonexistent"},
                        "unlinked": {**base},
                    }
                },
                "Deep": {"properties": {"country": {"type": "string"}}},
            }
        },
    }
    lists = {"gender", "consultation_channel", "profile_type", "country"}
    found = problems(spec, lists)
    assert any(p.startswith("Out.gender: no x-code-list") for p in found)
    assert any(p.startswith("Out.channel: no x-code-list") for p in found)
    assert any(p.startswith("Out.suggested_profile_type: no x-code-list") for p in found)
    assert any(p.startswith("Deep.country: no x-code-list") for p in found)
    assert any("'nonexistent' is no shipped list" in p for p in found)
    assert any(p.startswith("Out.unlinked: description does not link") for p in found)
    assert not any(p.startswith("In.channel") for p in found)
