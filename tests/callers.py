"""The callers of a role matrix over a client's records, shared by every area's matrix.

One place says who each kind of caller is (the responsible adviser, a colleague with
and without a stated reason, each other role, no login, a forged token), so that the
matrices of different areas cannot drift apart in what "other adviser" means.
"""

from __future__ import annotations

from typing import Any

from tests import factories

REASON = {"X-Access-Reason-Code": "substitute", "X-Access-Reason": "Vertretung während des Urlaubs"}

# The usual answers of a client record's routes (GET one, POST, PATCH) per caller.
RECORD_EXPECTED = {
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


def caller(role: str, app, db, login_as, adviser, other_adviser) -> tuple[Any, dict[str, str]]:
    """The test client acting as ``role`` and the headers it sends."""
    if role == "responsible":
        return adviser, {}
    if role == "session":
        return factories.signed_in_client(app, db, adviser.user, via="session"), {}
    if role == "other_adviser":
        return other_adviser, {}
    if role == "other_adviser_with_reason":
        return other_adviser, REASON
    if role == "anonymous":
        return app.test_client(), {}
    if role == "bad_token":
        http = app.test_client()
        http.environ_base["HTTP_AUTHORIZATION"] = "Bearer mgz_not-a-real-token"
        return http, {}
    return login_as(role), {}
