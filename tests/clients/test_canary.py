"""Canaries written through the API never reach the database as text.

Clients, consultations and break-glass reasons are created over HTTP on a fresh,
committed database; then the raw SQLite files and a pg_dump are searched.
"""

from tests.canary import leaks, write_through_api
from tests.clients.conftest import intake

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


def _write(owner, other):
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
    # 403 without a reason proves ``other`` is not the owner, so the 200 below is a
    # break glass and its reason was stored.
    assert other.get(f"/api/v1/clients/{client_id}").status_code == 403
    opened = other.get(
        f"/api/v1/clients/{client_id}",
        headers={"X-Access-Reason-Code": "other", "X-Access-Reason": REASON_CANARY},
    )
    assert opened.status_code == 200
    assert opened.get_json()["last_name"] == CANARIES["last_name"]


VALUES = [*CANARIES.values(), *CONSULTATION_CANARIES.values(), REASON_CANARY, "1967-08-23"]
ADVISERS = [("adviser",), ("adviser",)]


def test_no_client_or_consultation_canary_in_the_database(backend, make_app, request):
    haystack = write_through_api(backend, make_app, request, ADVISERS, _write)
    assert b"clients" in haystack
    assert b"break_glass_accesses" in haystack
    assert leaks(haystack, VALUES) == []


def test_the_search_finds_a_planted_plaintext(backend, make_app, request):
    plant = ("UPDATE clients SET case_number = :v", {"v": CANARIES["first_name"]})
    assert leaks(write_through_api(backend, make_app, request, ADVISERS, _write, plant), VALUES)
