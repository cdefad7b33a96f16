"""Issue 15, point 7: a break glass states a coded reason; the file's advisers read it."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text

from mgz.clients.access import AccessPolicy, AccessReasonRequiredError, CaseAccess
from mgz.clients.break_glass import break_glass_accesses
from mgz.clients.models import BreakGlassAccess, Client
from mgz.core import migrations
from mgz.core.actor import Actor
from mgz.core.db import make_engine, utcnow
from mgz.reference.models import ReferenceCode, ReferenceListVersion
from tests.clients.conftest import create
from tests.conftest import events, last_seq

REASON_TEXT = "Kollegin Testfrau krank, Termin heute"  # made up


def break_glass(code=None, reason=None):
    headers = {}
    if code is not None:
        headers["X-Access-Reason-Code"] = code
    if reason is not None:
        headers["X-Access-Reason"] = reason
    return headers


def url(body, tail=""):
    return f"/api/v1/clients/{body['id']}{tail}"


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        # Free text alone, as before: no longer enough.
        (break_glass(reason="Vertretung im Urlaub"), "X-Access-Reason-Code"),
        (break_glass(code="because"), "X-Access-Reason-Code"),
        (break_glass(code="other"), "X-Access-Reason"),
        (break_glass(code="other", reason="kurz"), "X-Access-Reason"),
        (break_glass(code="emergency", reason="x" * 501), "X-Access-Reason"),
    ],
)
def test_a_break_glass_without_a_valid_reason_code_is_refused(
    adviser, other_adviser, db, headers, field
):
    body = create(adviser)
    since = last_seq(db)
    response = other_adviser.get(url(body), headers=headers)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert [(e["action"], e["outcome"]) for e in events(db, since=since)] == [
        ("client.access", "denied")
    ]
    assert db.scalars(select(BreakGlassAccess)).all() == []


def test_the_reason_code_is_in_the_event_the_text_only_encrypted(
    app, adviser, other_adviser, db, login_as
):
    body = create(adviser)
    since = last_seq(db)
    response = other_adviser.get(url(body), headers=break_glass("substitute", REASON_TEXT))
    assert response.status_code == 200
    opened = events(db, "client.break_glass", since=since)
    assert opened[0]["details"]["reason"] == "substitute"
    assert opened[0]["details"]["has_text"] is True
    assert "Testfrau" not in opened[0]["raw"]
    access = db.scalars(select(BreakGlassAccess)).one()
    assert access.reason_code == "substitute"
    stored = db.execute(text("SELECT reason FROM break_glass_accesses")).scalar_one()
    assert REASON_TEXT.encode() not in bytes(stored)
    # Auditors see the code with the event, not the text.
    auditor = login_as("auditor")
    logged = auditor.get(
        "/api/v1/audit/events", query_string={"after_seq": since, "action": "client.break_glass"}
    )
    assert logged.status_code == 200
    assert logged.get_json()["items"][0]["details"]["reason"] == "substitute"
    assert "Testfrau" not in logged.get_data(as_text=True)


def test_without_the_code_list_loaded_no_break_glass_is_possible(adviser, other_adviser, db):
    body = create(adviser)
    db.execute(delete(ReferenceCode).where(ReferenceCode.list_name == "break_glass_reason"))
    db.execute(
        delete(ReferenceListVersion).where(ReferenceListVersion.list_name == "break_glass_reason")
    )
    db.flush()
    response = other_adviser.get(url(body), headers=break_glass("emergency"))
    assert response.status_code == 403
    assert "mgz reference load" in response.get_json()["errors"]["X-Access-Reason-Code"][0]
    assert db.scalars(select(BreakGlassAccess)).all() == []


def test_a_code_without_text_will_do_except_for_other(app, adviser, other_adviser, db):
    body = create(adviser)
    assert other_adviser.get(url(body), headers=break_glass("client_present")).status_code == 200
    other = other_adviser.get(url(body), headers=break_glass("other", "Aktenprüfung angeordnet"))
    assert other.status_code == 200
    rows = db.scalars(select(BreakGlassAccess).order_by(BreakGlassAccess.accessed_at)).all()
    with app.app_context():
        reasons = [(row.reason_code, row.reason) for row in rows]
    assert reasons == [
        ("client_present", None),
        ("other", "Aktenprüfung angeordnet"),
    ]


def test_the_responsible_adviser_reads_the_break_glass_accesses_audited(adviser, other_adviser, db):
    body = create(adviser)
    assert other_adviser.get(url(body), headers=break_glass("emergency", REASON_TEXT)).status_code
    since = last_seq(db)
    response = adviser.get(url(body, "/break-glass-accesses"))
    assert response.status_code == 200, response.get_json()
    (item,) = response.get_json()
    assert item["user_id"] == other_adviser.user.id
    assert item["username"] == other_adviser.user.username
    assert (item["reason_code"], item["reason_label"]) == ("emergency", "Notfall")
    assert item["reason"] == REASON_TEXT
    logged = events(db, since=since)
    assert [(e["action"], e["outcome"]) for e in logged] == [("client.break_glass_read", "success")]
    assert logged[0]["object_id"] == body["case_number"]
    assert logged[0]["fields"] == ["reason", "reason_code"]
    assert logged[0]["details"] == {"count": 1}
    assert "Testfrau" not in logged[0]["raw"]


def test_nobody_else_reads_the_break_glass_reasons(adviser, other_adviser, db, login_as):
    body = create(adviser)
    other_adviser.get(url(body), headers=break_glass("emergency", REASON_TEXT))
    since = last_seq(db)
    # The one who broke the glass, even stating a reason again: 403, logged.
    for headers in ({}, break_glass("supervisor_request")):
        response = other_adviser.get(url(body, "/break-glass-accesses"), headers=headers)
        assert response.status_code == 403
        assert "Testfrau" not in response.get_data(as_text=True)
    denied = events(db, "client.break_glass_read", since=since)
    assert [e["outcome"] for e in denied] == ["denied", "denied"]
    for role in ("statistician", "auditor", "admin"):
        response = login_as(role).get(url(body, "/break-glass-accesses"))
        assert response.status_code == 403
        assert "Testfrau" not in response.get_data(as_text=True)
    missing = adviser.get(f"/api/v1/clients/{uuid.uuid4()}/break-glass-accesses")
    assert missing.status_code == 404


def test_the_access_report_can_list_them_through_the_service(app, adviser, other_adviser, db):
    body = create(adviser)
    other_adviser.get(url(body), headers=break_glass("substitute", REASON_TEXT))
    client = db.get(Client, uuid.UUID(body["id"]))
    with app.app_context():
        entries = break_glass_accesses(db, client)
    assert [(e.reason_code, e.reason, e.user_id) for e in entries] == [
        ("substitute", REASON_TEXT, other_adviser.user.id)
    ]


def test_the_service_applies_the_same_rule(app, adviser, other_adviser, db):
    body = create(adviser)
    stranger = Actor(other_adviser.user.id, other_adviser.user.username, frozenset({"adviser"}))
    case = CaseAccess(db, stranger, AccessPolicy("assigned"), "Vertretung im Urlaub")
    with app.app_context(), pytest.raises(AccessReasonRequiredError) as refused:
        case.open(uuid.UUID(body["id"]))
    assert "X-Access-Reason-Code" in refused.value.errors
    coded = CaseAccess(db, stranger, AccessPolicy("assigned"), None, "emergency")
    with app.app_context():
        assert coded.open(uuid.UUID(body["id"])).id == uuid.UUID(body["id"])


def test_break_glass_rows_from_before_the_migration_get_the_code_other(backend):
    """Migration 0011: old rows only have free text; their code becomes ``other``."""
    url_ = backend.new_database(migrate=False)
    engine = make_engine(url_)
    now = utcnow()
    client_id, access_id = uuid.uuid4(), uuid.uuid4()
    try:
        migrations.upgrade(engine, "0010")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO clients (id, case_number, version, birth_year, gender,"
                    " citizenship_group, is_protection_seeker, municipality, languages,"
                    " interpreter_needed, created_at, updated_at) VALUES (:id, 'MGZ-2026-000001',"
                    " 1, 1990, 'female', 'unknown', false, '03459024', '[]', false, :now, :now)"
                ),
                {"id": client_id if backend.name == "postgresql" else client_id.hex, "now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO break_glass_accesses (id, client_id, accessed_at)"
                    " VALUES (:id, :client, :now)"
                ),
                {
                    "id": access_id if backend.name == "postgresql" else access_id.hex,
                    "client": client_id if backend.name == "postgresql" else client_id.hex,
                    "now": now - timedelta(days=1),
                },
            )
        migrations.upgrade(engine)
        with engine.connect() as connection:
            codes = connection.execute(text("SELECT reason_code FROM break_glass_accesses")).all()
        assert [row[0] for row in codes] == ["other"]
    finally:
        engine.dispose()
