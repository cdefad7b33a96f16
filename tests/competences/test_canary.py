"""Canaries in text answers, qualification free text and notes never reach the database.

Written over HTTP on a fresh, committed database; then the raw SQLite files (WAL
included) and a pg_dump are searched, as in tests/clients/test_canary.py.
"""

from tests.canary import leaks, write_through_api
from tests.clients.conftest import intake
from tests.competences.conftest import CHECKLISTS, answers_for, checklist_items

TEXT_ANSWER = "Kanarienwerkzeugzqx Schleifbock"
ASSESSMENT_NOTE = "Kanarienerfassungsnotizyq"
QUALIFICATION = {
    "title": "Kanarienabschlussqzy Elektro",
    "competent_body": "Kanarienkammerzxq",
    "notes": "Kanarienanerkennungsnotizqx",
}
VALUES = [TEXT_ANSWER, ASSESSMENT_NOTE, *QUALIFICATION.values()]
PLANT = ("UPDATE checklists SET title = :v", {"v": ASSESSMENT_NOTE})


def _write(adviser, admin):
    draft = admin.post(CHECKLISTS, json={"key": "canary", "title": "T", "items": checklist_items()})
    checklist_id = draft.get_json()["id"]
    assert admin.post(f"{CHECKLISTS}/{checklist_id}/publish").status_code == 200
    client_id = adviser.post("/api/v1/clients", json=intake()).get_json()["id"]
    assessment = adviser.post(
        f"/api/v1/clients/{client_id}/competence-assessments",
        json={
            "checklist_id": checklist_id,
            "answers": answers_for(tools=TEXT_ANSWER),
            "notes": ASSESSMENT_NOTE,
        },
    )
    assert assessment.status_code == 201, assessment.get_json()
    assert assessment.get_json()["answers"]["tools"] == TEXT_ANSWER
    qualification = adviser.post(
        f"/api/v1/clients/{client_id}/qualifications",
        json={"kind": "vocational", "documents_available": "yes", **QUALIFICATION},
    )
    assert qualification.status_code == 201
    assert qualification.get_json()["competent_body"] == QUALIFICATION["competent_body"]


def _fresh(backend, make_app, request, plant=None):
    return write_through_api(backend, make_app, request, [("adviser",), ("admin",)], _write, plant)


def test_no_competence_canary_in_the_database(backend, make_app, request):
    haystack = _fresh(backend, make_app, request)
    assert b"competence_assessments" in haystack and b"qualifications" in haystack
    assert leaks(haystack, VALUES) == []


def test_the_search_finds_a_planted_plaintext(backend, make_app, request):
    assert leaks(_fresh(backend, make_app, request, PLANT), VALUES) != []
