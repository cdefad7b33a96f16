"""GET /clients/{id}/competence-profile: everything in one read, one audit event."""

import pytest

from tests.competences.conftest import answers_for, client_url
from tests.competences.test_qualifications_api import qualification
from tests.conftest import events, last_seq
from tests.profiling.conftest import profiling_body


def test_competence_profile_in_one_read_with_one_event(adviser, file, checklist, db):
    adviser.post(client_url(file, "profilings"), json=profiling_body(profiled_on="2024-03-01"))
    latest = adviser.post(
        client_url(file, "profilings"), json=profiling_body(profiled_on="2024-06-01")
    ).get_json()
    body = {"checklist_id": checklist["id"], "assessed_on": "2024-04-03", "answers": answers_for()}
    assessment = adviser.post(client_url(file, "competence-assessments"), json=body).get_json()
    qualification_body = adviser.post(
        client_url(file, "qualifications"), json=qualification()
    ).get_json()

    since = last_seq(db)
    response = adviser.get(client_url(file, "competence-profile"))
    assert response.status_code == 200
    profile = response.get_json()
    assert profile["client_id"] == file["id"]
    assert profile["latest_profiling"]["id"] == latest["id"]
    assert profile["latest_profiling"]["health_remarks"] == "Keine Angaben."
    assert [a["id"] for a in profile["assessments"]] == [assessment["id"]]
    assert profile["assessments"][0]["answers"]["tools"] == "Winkelschleifer"
    assert [q["id"] for q in profile["qualifications"]] == [qualification_body["id"]]

    logged = events(db, since=since)
    assert len(logged) == 1
    event = logged[0]
    assert (event["action"], event["object_type"], event["object_id"]) == (
        "competence_profile.read",
        "competence_profile",
        file["case_number"],
    )
    assert event["details"] == {"has_profiling": True, "assessments": 1, "qualifications": 1}
    assert {"profiling.health_remarks", "assessments.answers", "qualifications.title"} <= set(
        event["fields"]
    )
    for value in ("Winkelschleifer", "Keine Angaben", "Elektrotechnik"):
        assert value not in event["raw"]


def test_empty_competence_profile(adviser, file, db):
    since = last_seq(db)
    profile = adviser.get(client_url(file, "competence-profile")).get_json()
    assert profile["latest_profiling"] is None
    assert profile["assessments"] == [] and profile["qualifications"] == []
    logged = events(db, since=since)
    assert [(e["action"], e["fields"]) for e in logged] == [("competence_profile.read", [])]


@pytest.mark.parametrize("role", ["statistician", "auditor", "admin"])
def test_non_advisers_get_no_competence_profile(file, login_as, role):
    assert login_as(role).get(client_url(file, "competence-profile")).status_code == 403
