"""Who may call the consent routes: the responsible adviser (others with a reason)."""

import pytest

from tests.clients.conftest import create
from tests.placements.test_role_matrix import caller

BODY = {"purpose": "counselling", "legal_basis": "public_task", "given_on": "2024-04-01"}
CONSENT = {**BODY, "legal_basis": "consent", "consent_form": "written"}
EXPECTED = {
    "responsible": {"get": 200, "post": 201, "patch": 200},
    "session": {"get": 200, "post": 201, "patch": 200},
    "other_adviser_with_reason": {"get": 200, "post": 201, "patch": 200},
    "other_adviser": {"get": 403, "post": 403, "patch": 403},
    "statistician": {"get": 403, "post": 403, "patch": 403},
    "auditor": {"get": 403, "post": 403, "patch": 403},
    "admin": {"get": 403, "post": 403, "patch": 403},
    "anonymous": {"get": 401, "post": 401, "patch": 401},
    "bad_token": {"get": 401, "post": 401, "patch": 401},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_consent_routes(request, role, app, db, login_as, adviser, other_adviser):
    file = create(adviser)
    base = f"/api/v1/clients/{file['id']}/consents"
    made = adviser.post(base, json=CONSENT)
    assert made.status_code == 201, made.get_json()
    http, headers = caller(request, role, app, db, login_as, adviser, other_adviser)
    got = {
        "get": http.get(base, headers=headers).status_code,
        "post": http.post(base, json=BODY, headers=headers).status_code,
        "patch": http.patch(
            f"{base}/{made.get_json()['id']}",
            json={"version": 1, "withdrawn_on": "2024-06-01"},
            headers=headers,
        ).status_code,
    }
    assert got == EXPECTED[role]
