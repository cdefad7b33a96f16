"""Canaries in text answers, qualification free text and notes never reach the database.

Written over HTTP on a fresh, committed database; then the raw SQLite files (WAL
included) and a pg_dump are searched, as in tests/clients/test_canary.py.
"""

from sqlalchemy import text

from mgz.core.db import database
from tests import factories
from tests.clients.conftest import intake
from tests.clients.test_canary import _forms, _haystack
from tests.competences.conftest import CHECKLISTS, answers_for, checklist_items

TEXT_ANSWER = "Kanarienwerkzeugzqx Schleifbock"
ASSESSMENT_NOTE = "Kanarienerfassungsnotizyq"
QUALIFICATION = {
    "title": "Kanarienabschlussqzy Elektro",
    "competent_body": "Kanarienkammerzxq",
    "notes": "Kanarienanerkennungsnotizqx",
}


def _callers(app, session):
    adviser = factories.signed_in_client(app, session, factories.make_user(session))
    admin = factories.signed_in_client(app, session, factories.make_user(session, roles=("admin",)))
    session.commit()
    return adviser, admin


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


def _found(haystack):
    values = [TEXT_ANSWER, ASSESSMENT_NOTE, *QUALIFICATION.values()]
    return [form for value in values for form in _forms(value) if form.lower() in haystack.lower()]


def _fresh(backend, make_app, request, plant=False):
    url = backend.new_database()
    app = make_app(url)
    # Users are made inside an app context; the requests run outside it, so that each
    # request pushes its own context (a shared one would keep the first caller signed in).
    with app.app_context():
        session = database(app).new_session()
        callers = _callers(app, session)
        session.close()
    _write(*callers)
    with app.app_context():
        session = database(app).new_session()
        if plant:
            session.execute(text("UPDATE checklists SET title = :v"), {"v": ASSESSMENT_NOTE})
            session.commit()
        session.close()
    database(app).engine.dispose()
    return _haystack(url, backend, request)


def test_no_competence_canary_in_the_database(backend, make_app, request):
    haystack = _fresh(backend, make_app, request)
    assert b"competence_assessments" in haystack and b"qualifications" in haystack
    assert _found(haystack) == []


def test_the_search_finds_a_planted_plaintext(backend, make_app, request):
    assert _found(_fresh(backend, make_app, request, plant=True)) != []
