"""Who may call the consent routes: the responsible adviser (others with a reason)."""

import pytest

from tests.callers import RECORD_EXPECTED, caller
from tests.clients.conftest import create

BODY = {"purpose": "counselling", "legal_basis": "public_task", "given_on": "2024-04-01"}
CONSENT = {**BODY, "legal_basis": "consent", "consent_form": "written"}
EXPECTED = RECORD_EXPECTED


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_consent_routes(request, role, app, db, login_as, adviser, other_adviser):
    file = create(adviser)
    base = f"/api/v1/clients/{file['id']}/consents"
    made = adviser.post(base, json=CONSENT)
    assert made.status_code == 201, made.get_json()
    http, headers = caller(role, app, db, login_as, adviser, other_adviser)
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
