"""Canaries in profiling free text and health remarks never reach the database as text.

Written over HTTP on a fresh, committed database; then the raw SQLite files (WAL
included) and a pg_dump are searched, as in tests/clients/test_canary.py.
"""

from sqlalchemy import text

from mgz.core.db import database
from tests import factories
from tests.clients.conftest import intake
from tests.clients.test_canary import _forms, _haystack
from tests.profiling.conftest import profiling_body

CANARIES = {
    "health_remarks": "Kanariengesundheitqzx Rueckenleiden",
    "override_reason": "Kanarienabweichungzqy begruendet",
    "next_steps": "Kanarienschrittezyq",
    "notes": "Kanariennotizprofilxq",
    "german_certificate": "Kanarienzertifikatqy",
}
SCHOOL_CANARY = "Kanarienschulzeugnisxz"


def _callers(app, session):
    owner = factories.signed_in_client(app, session, factories.make_user(session))
    session.commit()
    return (owner,)


def _write(owner):
    created = owner.post("/api/v1/clients", json=intake())
    assert created.status_code == 201
    body = profiling_body(
        profile_type="SP",
        schooling={"years": 6, "certificate": SCHOOL_CANARY},
        **CANARIES,
    )
    response = owner.post(f"/api/v1/clients/{created.get_json()['id']}/profilings", json=body)
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()
    assert stored["health_remarks"] == CANARIES["health_remarks"]
    assert stored["override_reason"] == CANARIES["override_reason"]
    assert stored["schooling"]["certificate"] == SCHOOL_CANARY


def _found(haystack):
    values = [*CANARIES.values(), SCHOOL_CANARY]
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
            session.execute(
                text("UPDATE profilings SET integration_goal = :v"), {"v": SCHOOL_CANARY}
            )
            session.commit()
        session.close()
    database(app).engine.dispose()
    return _haystack(url, backend, request)


def test_no_profiling_canary_in_the_database(backend, make_app, request):
    haystack = _fresh(backend, make_app, request)
    assert b"profilings" in haystack
    assert _found(haystack) == []


def test_the_search_finds_a_planted_plaintext(backend, make_app, request):
    assert _found(_fresh(backend, make_app, request, plant=True)) != []
