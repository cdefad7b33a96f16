"""Who may call every KIM route, on both databases (the default policy is ``assigned``).

Statisticians read the catalogue, never a client's referrals; auditors and admins
see no referrals either; an adviser who is not responsible for a file is refused
without a reason and opens it by break glass with one.
"""

import pytest

from tests.conftest import events, last_seq
from tests.courses.conftest import COURSES, new_course, refer, referrals_url
from tests.factories import course_values, signed_in_client

OK = "ok"  # 200, or 201 for a POST that creates


def routes(course, file, referral):
    one_course = f"{COURSES}/{course['id']}"
    one_referral = referrals_url(file, f"/{referral['id']}")
    return {
        "list courses": ("get", COURSES, None),
        "create course": ("post", COURSES, course_values()),
        "read course": ("get", one_course, None),
        "change course": ("patch", one_course, {"version": course["version"], "capacity": 30}),
        "list referrals": ("get", referrals_url(file), None),
        "create referral": ("post", referrals_url(file), {"course_type": "ALLG"}),
        "read referral": ("get", one_referral, None),
        "change referral": (
            "patch",
            one_referral,
            {"version": referral["version"], "mobility_barrier": True},
        ),
    }


CATALOGUE_READ = {"list courses", "read course"}
CATALOGUE_WRITE = {"create course", "change course"}
REFERRALS = {"list referrals", "create referral", "read referral", "change referral"}
EXPECTED = {
    "admin": dict.fromkeys(CATALOGUE_READ | CATALOGUE_WRITE, OK) | dict.fromkeys(REFERRALS, 403),
    "adviser": dict.fromkeys(CATALOGUE_READ | CATALOGUE_WRITE | REFERRALS, OK),
    "adviser-session": dict.fromkeys(CATALOGUE_READ | CATALOGUE_WRITE | REFERRALS, OK),
    "other-adviser": dict.fromkeys(CATALOGUE_READ | CATALOGUE_WRITE, OK)
    | dict.fromkeys(REFERRALS, 403),
    "statistician": dict.fromkeys(CATALOGUE_READ, OK)
    | dict.fromkeys(CATALOGUE_WRITE | REFERRALS, 403),
    "auditor": dict.fromkeys(CATALOGUE_READ | CATALOGUE_WRITE | REFERRALS, 403),
    "anonymous": dict.fromkeys(CATALOGUE_READ | CATALOGUE_WRITE | REFERRALS, 401),
}


def caller(role, app, db, adviser, login_as):
    if role == "adviser":
        return adviser
    if role == "adviser-session":
        return signed_in_client(app, db, adviser.user, via="session")
    if role == "other-adviser":
        return login_as("adviser")
    if role == "anonymous":
        return app.test_client()
    return login_as(role)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_role_matrix_of_every_route(role, app, db, adviser, login_as, file):
    course = new_course(adviser)
    referral = refer(adviser, file, course_id=course["id"], referred_on="2024-04-02")
    http = caller(role, app, db, adviser, login_as)
    for name, (method, path, body) in routes(course, file, referral).items():
        response = getattr(http, method)(path, json=body) if body else getattr(http, method)(path)
        expected = EXPECTED[role][name]
        if expected == OK:
            expected = 201 if method == "post" else 200
        assert response.status_code == expected, (role, name, response.get_json())
        if expected >= 400:
            assert response.mimetype == "application/problem+json"
            assert "remarks" not in response.get_data(as_text=True)


def test_an_adviser_not_responsible_opens_referrals_by_break_glass(db, adviser, login_as, file):
    course = new_course(adviser)
    referral = refer(adviser, file, course_id=course["id"], referred_on="2024-04-02")
    other = login_as("adviser")
    since = last_seq(db)
    refused = other.get(referrals_url(file, f"/{referral['id']}"))
    assert refused.status_code == 403
    assert refused.get_json()["type"] == "/problems/access-reason-required"
    assert [e["outcome"] for e in events(db, since=since)] == ["denied"]
    since = last_seq(db)
    opened = other.get(
        referrals_url(file, f"/{referral['id']}"),
        headers={
            "X-Access-Reason-Code": "substitute",
            "X-Access-Reason": "Vertretung der zuständigen Beraterin",
        },
    )
    assert opened.status_code == 200
    assert [e["action"] for e in events(db, since=since)] == [
        "client.break_glass",
        "course_referral.read",
    ]
