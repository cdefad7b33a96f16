"""The auditor's API: events with filters and stable paging, who touched an object, verify."""

import json
import uuid
from datetime import timedelta

from sqlalchemy import select

from mgz.audit import checkpoints, service
from mgz.audit.models import AuditEvent
from mgz.core.actor import Actor
from mgz.core.db import utcnow

ADVISER = Actor(41, "c.beraterin", frozenset({"adviser"}), "req-aaaaaaaa", "adviser")
OTHER = Actor(42, "d.berater", frozenset({"adviser"}), "req-bbbbbbbb", "adviser")


def seed(db):
    start = db.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0
    service.record(db, ADVISER, "client.read", object_type="client", object_id="MGZ-2026-000123",
                   fields=["last_name"])  # fmt: skip
    service.record(db, OTHER, "client.update", object_type="client", object_id="MGZ-2026-000123",
                   fields=["phone"])  # fmt: skip
    service.record(db, ADVISER, "client.read", object_type="client", object_id="MGZ-2026-000999")
    for number in range(5):
        service.record(db, OTHER, "test.filler", details={"n": number})
    db.commit()
    return start


def test_auditor_lists_events_filtered_and_paged_in_chain_order(db, login_as):
    start = seed(db)
    auditor = login_as("auditor")
    page = auditor.get(f"/api/v1/audit/events?after_seq={start}&limit=3").get_json()
    assert [e["seq"] for e in page["items"]] == [start + 1, start + 2, start + 3]
    assert page["next_after_seq"] == start + 3
    following = auditor.get(f"/api/v1/audit/events?after_seq={page['next_after_seq']}&limit=3")
    assert [e["seq"] for e in following.get_json()["items"]] == [start + 4, start + 5, start + 6]
    by_actor = auditor.get(f"/api/v1/audit/events?after_seq={start}&actor_user_id=41").get_json()
    assert [e["action"] for e in by_actor["items"]] == ["client.read", "client.read"]
    assert by_actor["next_after_seq"] is None
    by_action = auditor.get(f"/api/v1/audit/events?after_seq={start}&action=client.update")
    item = by_action.get_json()["items"][0]
    assert item["fields"] == ["phone"] and item["actor_name"] == "d.berater"
    assert item["request_id"] == "req-bbbbbbbb" and len(item["hash"]) == 64
    by_object = auditor.get(
        f"/api/v1/audit/events?after_seq={start}&object_type=client&object_id=MGZ-2026-000999"
    )
    assert len(by_object.get_json()["items"]) == 1


def test_time_range_filter(db, login_as):
    start = seed(db)
    auditor = login_as("auditor")
    now = utcnow()
    future = (now + timedelta(hours=1)).isoformat()
    past = (now - timedelta(hours=1)).isoformat()
    inside = auditor.get("/api/v1/audit/events", query_string={"after_seq": start, "since": past})
    assert len(inside.get_json()["items"]) == 8
    later = auditor.get("/api/v1/audit/events", query_string={"after_seq": start, "since": future})
    assert later.get_json()["items"] == []
    before = auditor.get("/api/v1/audit/events", query_string={"after_seq": start, "until": past})
    assert before.get_json()["items"] == []
    naive = auditor.get("/api/v1/audit/events", query_string={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422


def test_who_touched_an_object(db, login_as):
    start = seed(db)
    response = login_as("auditor").get("/api/v1/audit/objects/MGZ-2026-000123/events")
    items = [e for e in response.get_json()["items"] if e["seq"] > start]
    assert [(e["actor_name"], e["action"]) for e in items] == [
        ("c.beraterin", "client.read"),
        ("d.berater", "client.update"),
    ]


def test_verify_endpoint_reports_ok_and_is_itself_logged(db, login_as):
    seed(db)
    auditor = login_as("auditor")
    body = auditor.get("/api/v1/audit/verify").get_json()
    assert body["ok"] is True
    assert body["events"] == checkpoints.event_count(db) - 1  # the verify event came after
    newest = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert newest.action == "audit.verify" and newest.actor_user_id == auditor.user.id


def test_unknown_query_parameters_are_refused(login_as):
    response = login_as("auditor").get("/api/v1/audit/events?colour=red")
    assert response.status_code == 422


def _newest(db):
    return db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()


def test_reading_the_log_is_itself_logged(db, login_as):
    start = seed(db)
    auditor = login_as("auditor")
    page = auditor.get(
        "/api/v1/audit/events",
        query_string={"after_seq": start, "action": "client.read", "limit": 5},
    ).get_json()
    assert [e["action"] for e in page["items"]] == ["client.read", "client.read"]
    logged = _newest(db)
    assert (logged.action, logged.actor_user_id, logged.actor_role) == (
        "audit.read", auditor.user.id, "auditor",
    )  # fmt: skip
    assert json.loads(logged.details) == {
        "action": "client.read",
        "after_seq": start,
        "count": 2,
        "token": auditor.token_id,
        "token_roles": "auditor",
    }
    assert logged.seq > page["items"][-1]["seq"]  # not on the page it logs


def test_looking_up_who_touched_an_object_is_logged_on_that_object(db, login_as):
    seed(db)
    auditor = login_as("auditor")
    assert auditor.get("/api/v1/audit/objects/MGZ-2026-000123/events").status_code == 200
    logged = _newest(db)
    assert (logged.action, logged.object_id) == ("audit.read", "MGZ-2026-000123")
    # ... so the next look-up shows the previous one.
    items = auditor.get("/api/v1/audit/objects/MGZ-2026-000123/events").get_json()["items"]
    assert items[-1]["action"] == "audit.read" and items[-1]["actor_user_id"] == auditor.user.id


def test_denied_requests_on_personal_data_are_in_the_log(app, db, login_as):
    client_id = uuid.uuid4()
    anonymous = app.test_client()
    assert anonymous.get(f"/api/v1/clients/{client_id}").status_code == 401
    denied = _newest(db)
    assert (denied.action, denied.outcome, denied.actor_name) == (
        "access.denied", "denied", "anonymous",
    )  # fmt: skip
    assert json.loads(denied.details) == {
        "status": 401, "method": "get", "client_id": str(client_id),
    }  # fmt: skip
    statistician = login_as("statistician")
    assert statistician.get(f"/api/v1/clients/{client_id}").status_code == 403
    denied = _newest(db)
    assert (denied.action, denied.actor_user_id, denied.object_type) == (
        "access.denied", statistician.user.id, "endpoint",
    )  # fmt: skip
    assert json.loads(denied.details)["status"] == 403
    assert denied.request_id is not None


def test_denied_write_without_csrf_token_on_personal_data_is_in_the_log(db, login_as):
    adviser = login_as("adviser", via="session")
    adviser.environ_base.pop("HTTP_X_CSRF_TOKEN", None)
    response = adviser.post("/api/v1/clients", json={}, headers={"X-CSRF-Token": "wrong"})
    assert response.status_code == 403
    denied = _newest(db)
    assert (denied.action, denied.actor_user_id) == ("access.denied", adviser.user.id)
    assert json.loads(denied.details) == {"status": 403, "method": "post"}
