"""``?labels=de``: responses with codes add their German labels, from the code lists."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from mgz.core.db import database
from tests.clients.conftest import create, intake
from tests.profiling.conftest import profiling_body


@contextmanager
def label_queries(app):
    """Count the SQL statements that read the code table during the block."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if "reference_codes" in statement:
            seen.append(statement)

    engine = database(app).engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _labels_of(body):
    return {key for key in body if key.endswith(("_label", "_labels"))}


def test_a_client_file_carries_labels_only_on_request(adviser):
    file = create(adviser, nationality=["SY"], languages=["ar"])
    plain = adviser.get(f"/api/v1/clients/{file['id']}").get_json()
    assert _labels_of(plain) == set()
    labelled = adviser.get(f"/api/v1/clients/{file['id']}?labels=de").get_json()
    assert {key: labelled[key] for key in plain} == plain  # nothing else changes
    assert labelled["gender_label"] == "weiblich"
    assert labelled["citizenship_group_label"] == "Drittstaat"
    assert labelled["nationality_labels"] == ["Syrien"]
    assert labelled["languages_labels"] == ["Arabisch"]
    assert labelled["municipality_label"] == "Melle"
    assert labelled["residence_status_label"].startswith("Flüchtlingseigenschaft")
    assert labelled["residence_status_group_label"]
    assert _labels_of(labelled) == {
        "gender_label",
        "citizenship_group_label",
        "nationality_labels",
        "languages_labels",
        "municipality_label",
        "residence_status_label",
        "residence_status_group_label",
    }


def test_a_missing_code_gets_no_label_key_and_writes_answer_with_labels_too(adviser):
    response = adviser.post(
        "/api/v1/clients?labels=de", json=intake(residence_status=None, nationality=[])
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["residence_status"] is None and "residence_status_label" not in body
    assert body["nationality_labels"] == []
    assert body["gender_label"] == "weiblich"


def test_nested_and_listed_codes_are_labelled_with_one_query_per_response(app, adviser):
    file = create(adviser)
    base = f"/api/v1/clients/{file['id']}/consultations"
    for channel in ("in_person", "phone", "video"):
        body = {"kind": "follow_up", "held_on": "2024-05-02", "channel": channel}
        assert adviser.post(base, json={**body, "topics": ["language"]}).status_code == 201
    with label_queries(app) as without:
        adviser.get(base)
    with label_queries(app) as with_labels:
        items = adviser.get(f"{base}?labels=de").get_json()["items"]
    assert len(with_labels) - len(without) == 1
    assert [item["channel_label"] for item in items] == ["persönlich", "telefonisch", "per Video"]
    assert all(item["topics_labels"] == [item["topics_labels"][0]] for item in items)
    assert all(isinstance(item["topics_labels"][0], str) for item in items)


def test_a_profile_nested_in_the_competence_profile_is_labelled(adviser):
    file = create(adviser)
    assert (
        adviser.post(f"/api/v1/clients/{file['id']}/profilings", json=profiling_body()).status_code
        == 201
    )
    body = adviser.get(f"/api/v1/clients/{file['id']}/competence-profile?labels=de").get_json()
    latest = body["latest_profiling"]
    assert latest["profile_type_label"] == "Förderprofil"
    assert latest["suggested_profile_type_label"] == "Förderprofil"
    assert latest["profile_type_group_label"]
    assert latest["strengths_labels"][0] == "Aktivitäts- und Umsetzungskompetenz"


def test_search_results_accept_labels(adviser):
    create(adviser)
    response = adviser.get("/api/v1/clients?municipality=03459024&labels=de")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert items and all(item["municipality_label"] == "Melle" for item in items)


@pytest.mark.parametrize("query", ["labels=en", "labels=", "labels=de&labels=de", "labels=DE"])
def test_an_unknown_labels_value_is_422_naming_the_parameter(adviser, query):
    file = create(adviser)
    response = adviser.get(f"/api/v1/clients/{file['id']}?{query}")
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["detail"]
    assert problem["errors"] == {"labels": ["Erlaubt ist genau ein Wert: de."]}


def test_a_bad_labels_value_writes_nothing(adviser, db):
    before = adviser.get("/api/v1/clients?municipality=03459024").get_json()["total"]
    response = adviser.post("/api/v1/clients?labels=fr", json=intake())
    assert response.status_code == 422
    after = adviser.get("/api/v1/clients?municipality=03459024").get_json()["total"]
    assert after == before


def test_the_parameter_is_documented_where_responses_have_codes(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()

    def has_labels(path, method):
        parameters = spec["paths"][path][method].get("parameters", [])
        return [p for p in parameters if p["name"] == "labels"]

    (documented,) = has_labels("/api/v1/clients/{client_id}", "get")
    assert documented["in"] == "query" and documented["schema"]["enum"] == ["de"]
    assert "_label" in documented["description"]
    assert has_labels("/api/v1/clients/{client_id}/consultations", "get")
    assert has_labels("/api/v1/clients", "get")
    assert not has_labels("/api/v1/users", "get")  # no codes in the response


def test_response_schemas_list_the_label_properties(app):
    schemas = app.test_client().get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    client = schemas["Client"]["properties"]
    assert client["gender_label"]["type"] == "string" and client["gender_label"]["nullable"]
    assert client["nationality_labels"]["type"] == "array"
    assert "labels=de" in client["gender_label"]["description"]
    assert "topics_labels" in schemas["Consultation"]["properties"]
    assert "gender_label" not in schemas["ClientCreate"]["properties"]  # requests take none
