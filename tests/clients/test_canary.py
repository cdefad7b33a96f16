"""Canaries written through the API never reach the database as text.

Clients, consultations and break-glass reasons are created over HTTP on a fresh,
committed database; then the raw SQLite files and a pg_dump are searched.
"""

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from mgz.core.db import database
from tests import factories
from tests.clients.conftest import intake
from tests.crypto.test_canary import _forms

CANARIES = {
    "first_name": "Kanarienvornamezqx",
    "last_name": "Quappenkanarienfeld",
    "birth_place": "Kanarienhausen-Zwyx",
    "address": "Kanarienweg 99, Xyzbergkanarien",
    "email": "kanarie.zqx@example.org",
    "phone": "+49 1111 777999",
    "notes": "Kanariennotizbuchzxq",
}
CONSULTATION_CANARIES = {"next_steps": "Kanarienschrittplanqz", "notes": "Kanariengespraechyx"}
REASON_CANARY = "Kanarienbegruendungzy Vertretung"


def _users(app):
    # Users are made in an app context of their own; the requests below must run
    # outside it, or Flask would reuse one context (and one signed-in user) for all.
    with app.app_context():
        session = database(app).new_session()
        owner = factories.signed_in_client(app, session, factories.make_user(session))
        other = factories.signed_in_client(app, session, factories.make_user(session))
        session.commit()
        session.close()
    return owner, other


def _write(app):
    owner, other = _users(app)
    created = owner.post("/api/v1/clients", json=intake(birth_date="1967-08-23", **CANARIES))
    assert created.status_code == 201
    client_id = created.get_json()["id"]
    consultation = owner.post(
        f"/api/v1/clients/{client_id}/consultations",
        json={
            "kind": "first",
            "held_on": "2024-03-20",
            "channel": "phone",
            **CONSULTATION_CANARIES,
        },
    )
    assert consultation.status_code == 201
    assert other.get(f"/api/v1/clients/{client_id}").status_code == 403
    opened = other.get(f"/api/v1/clients/{client_id}", headers={"X-Access-Reason": REASON_CANARY})
    assert opened.status_code == 200
    assert opened.get_json()["last_name"] == CANARIES["last_name"]
    with app.app_context():
        session = database(app).new_session()
        reasons = session.execute(text("SELECT count(*) FROM break_glass_accesses")).scalar()
        session.close()
    assert reasons == 1


def _haystack(url, backend, request):
    if backend.name == "sqlite":
        path = Path(make_url(url).database)
        return b"".join(
            p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name)
        )
    dump = request.getfixturevalue("pg_cluster").dump(make_url(url).database)
    assert "COPY public.clients" in dump
    return dump.encode("utf-8")


def _found(haystack):
    values = [*CANARIES.values(), *CONSULTATION_CANARIES.values(), REASON_CANARY, "1967-08-23"]
    return [form for value in values for form in _forms(value) if form.lower() in haystack.lower()]


def test_no_client_or_consultation_canary_in_the_database(backend, make_app, request):
    url = backend.new_database()
    app = make_app(url)
    _write(app)
    database(app).engine.dispose()
    haystack = _haystack(url, backend, request)
    assert b"clients" in haystack
    assert _found(haystack) == []


def test_the_search_finds_a_planted_plaintext(backend, make_app, request):
    url = backend.new_database()
    app = make_app(url)
    _write(app)
    with app.app_context():
        session = database(app).new_session()
        session.execute(text("UPDATE clients SET case_number = :v"), {"v": CANARIES["first_name"]})
        session.commit()
        session.close()
    database(app).engine.dispose()
    assert _found(_haystack(url, backend, request)) != []
