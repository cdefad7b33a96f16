"""The service-level factories build real, audited rows without HTTP."""

from __future__ import annotations

from sqlalchemy import func, select

from mgz.clients.access import adviser_ids
from mgz.clients.models import Client
from mgz.consultations.models import Consultation
from tests import factories
from tests.conftest import events, last_seq


def test_make_client_and_consultation_go_through_the_services(app, db):
    user = factories.make_user(db)
    actor = factories.adviser_actor(user)
    start = last_seq(db)
    with app.app_context():
        client = factories.make_client(db, actor, municipality="unknown")
        consultation = factories.make_consultation(db, actor, client, kind="first")
    db.commit()
    assert client.case_number.startswith("MGZ-")
    assert client.municipality == "unknown"
    assert adviser_ids(db, client) == [user.id]
    assert consultation.client_id == client.id and consultation.kind == "first"
    assert [e["action"] for e in events(db, since=start)] == [
        "client.create",
        "client.read",
        "consultation.create",
        "consultation.read",
    ]


def test_make_caseload_builds_hundreds_of_files(app, db):
    before = db.scalar(select(func.count()).select_from(Client))
    with app.app_context():
        report = factories.make_caseload(db, 250, seed=7)
    assert report.clients == 250
    assert db.scalar(select(func.count()).select_from(Client)) == before + 250
    assert db.scalar(select(func.count()).select_from(Consultation)) >= report.consultations > 0
