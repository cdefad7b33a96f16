"""Who may call every route of this area, on both databases.

Statisticians, auditors and admins never see a client's placements, benefits or
measures; another adviser needs a reason (assigned policy, break glass); anonymous
callers and bad tokens get 401; a browser session works like a token.
"""

import pytest

from tests.callers import RECORD_EXPECTED, caller
from tests.clients.conftest import create

BODIES = {
    "placements": {"placed_on": "2024-06-03", "kind": "SVB", "kldb_code": "52122"},
    "benefits": {"kind": "SGB_II", "from_on": "2024-04-01"},
    "measures": {"kind": "WEITERBILDUNG", "starts_on": "2024-05-06"},
}
PATCHES = {
    "placements": {"weekly_hours": 30},
    "benefits": {"to_on": "2024-12-31"},
    "measures": {"ends_on": "2024-12-31"},
}
# A second record per test: for benefits one that overlaps nothing.
SECOND = {
    **BODIES,
    "benefits": {"kind": "ASYLBLG", "from_on": "2023-01-01", "to_on": "2023-12-31"},
}


@pytest.fixture
def setup(adviser):
    file = create(adviser)
    made = {}
    for area, body in BODIES.items():
        response = adviser.post(f"/api/v1/clients/{file['id']}/{area}", json=body)
        assert response.status_code == 201, response.get_json()
        made[area] = response.get_json()["id"]
    return file, made


def calls(file, made, area):
    base = f"/api/v1/clients/{file['id']}/{area}"
    return [
        ("get", base, None),
        ("post", base, SECOND[area]),
        ("get", f"{base}/{made[area]}", None),
        ("patch", f"{base}/{made[area]}", {"version": 1, **PATCHES[area]}),
    ]


EXPECTED = RECORD_EXPECTED


@pytest.mark.parametrize("area", sorted(BODIES))
@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_role_matrix_of_client_records(
    request, app, db, login_as, adviser, other_adviser, setup, area, role
):
    file, made = setup
    http, headers = caller(role, app, db, login_as, adviser, other_adviser)
    for method, path, body in calls(file, made, area):
        response = getattr(http, method)(path, json=body, headers=headers)
        assert response.status_code == EXPECTED[role][method], (method, path, response.get_json())
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("responsible", 200),
        ("session", 200),
        ("other_adviser", 200),  # their own files only: an empty list here
        ("statistician", 403),
        ("auditor", 403),
        ("admin", 403),
        ("anonymous", 401),
        ("bad_token", 401),
    ],
)
def test_role_matrix_of_follow_ups_due(
    request, app, db, login_as, adviser, other_adviser, setup, role, status
):
    http, headers = caller(role, app, db, login_as, adviser, other_adviser)
    response = http.get(
        "/api/v1/placements/follow-ups-due", query_string={"until": "2025-12-31"}, headers=headers
    )
    assert response.status_code == status
    if status == 200:
        expected = 0 if role == "other_adviser" else 1
        assert len(response.get_json()["items"]) == expected
