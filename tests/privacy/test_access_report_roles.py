"""Who may fetch the access report: the file's responsible advisers, nobody else.

Every route (no suffix, ``.json``, ``.html``) against every kind of caller, on both
databases. Another adviser is refused even with a break-glass reason and even under
the ``team`` policy: the report shows the colleagues' break-glass reasons and the
file's log, which only the responsible advisers read.
"""

from __future__ import annotations

import uuid

import pytest

from mgz.clients.access import AccessPolicy, CaseAccess
from mgz.core.errors import ForbiddenError
from mgz.privacy.access_report import subject_access_report
from tests import factories
from tests.callers import caller
from tests.clients.conftest import create
from tests.privacy.conftest import report_url

SUFFIXES = ("", ".json", ".html")
EXPECTED = {
    "responsible": 200,
    "session": 200,
    "other_adviser": 403,
    "other_adviser_with_reason": 403,
    "statistician": 403,
    "auditor": 403,
    "admin": 403,
    "anonymous": 401,
    "bad_token": 401,
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_role_matrix_of_the_access_report(app, db, login_as, adviser, other_adviser, role):
    file = create(adviser)
    http, headers = caller(role, app, db, login_as, adviser, other_adviser)
    for suffix in SUFFIXES:
        response = http.get(report_url(file["id"], suffix), headers=headers)
        assert response.status_code == EXPECTED[role], (suffix, response.get_json())
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json"
        elif suffix == ".html":
            assert response.mimetype == "text/html"
        else:
            assert response.get_json()["case_number"] == file["case_number"]


def test_team_policy_does_not_open_the_report_to_every_adviser(app, db, adviser, other_adviser):
    file = create(adviser)
    colleague = factories.adviser_actor(other_adviser.user)
    with app.app_context():
        with pytest.raises(ForbiddenError):
            subject_access_report(
                CaseAccess(db, colleague, AccessPolicy("team")), uuid.UUID(file["id"]), "json"
            )
        own = factories.adviser_actor(adviser.user)
        report = subject_access_report(
            CaseAccess(db, own, AccessPolicy("team")), uuid.UUID(file["id"]), "json"
        )
    assert report.case_number == file["case_number"]
