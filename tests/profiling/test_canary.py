"""Canaries in profiling free text and health remarks never reach the database as text.

Written over HTTP on a fresh, committed database; then the raw SQLite files (WAL
included) and a pg_dump are searched, as in tests/clients/test_canary.py.
"""

from tests.canary import leaks, write_through_api
from tests.clients.conftest import intake
from tests.profiling.conftest import profiling_body

CANARIES = {
    "health_remarks": "Kanariengesundheitqzx Rueckenleiden",
    "override_reason": "Kanarienabweichungzqy begruendet",
    "next_steps": "Kanarienschrittezyq",
    "notes": "Kanariennotizprofilxq",
    "german_certificate": "Kanarienzertifikatqy",
}
SCHOOL_CANARY = "Kanarienschulzeugnisxz"
PLANT = ("UPDATE profilings SET integration_goal = :v", {"v": SCHOOL_CANARY})


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


VALUES = [*CANARIES.values(), SCHOOL_CANARY]


def _fresh(backend, make_app, request, plant=None):
    return write_through_api(backend, make_app, request, [("adviser",)], _write, plant)


def test_no_profiling_canary_in_the_database(backend, make_app, request):
    haystack = _fresh(backend, make_app, request)
    assert b"profilings" in haystack
    assert leaks(haystack, VALUES) == []


def test_the_search_finds_a_planted_plaintext(backend, make_app, request):
    assert leaks(_fresh(backend, make_app, request, PLANT), VALUES) != []
