"""Eight advisers refer eight clients to one course at once: no overbooking.

Served with four gunicorn workers; the requests wait behind a barrier so they
really overlap. The course's row is locked while its places are counted (SELECT
... FOR UPDATE on PostgreSQL; SQLite's write lock at BEGIN), so exactly
``capacity`` referrals get a place and the others go on the waiting list, with
positions 1 … n. Then the place holders cancel at once, and as many move up.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tests.clients.conftest import intake
from tests.factories import course_values
from tests.system.records import created

REFERRALS = 8
CAPACITY = 3


def together(count, action):
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait(timeout=30)
        return action(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_concurrent_referrals_never_overbook_a_course(site):
    server = site.serve(workers=4)
    token = site.tokens["adviser"]
    course = created(server, "/courses", token, course_values(capacity=CAPACITY))
    files = [
        created(server, "/clients", token, intake(last_name=f"Kursplatz{index}"))
        for index in range(REFERRALS)
    ]

    def refer(index):
        return server.request(
            "POST",
            f"/api/v1/clients/{files[index]['id']}/course-referrals",
            body={"course_id": course["id"], "referred_on": "2024-04-02"},
            token=token,
        )

    replies = together(REFERRALS, refer)
    assert [reply.status for reply in replies] == [201] * REFERRALS
    bodies = [reply.json() for reply in replies]
    holders = [body for body in bodies if not body["waitlisted"]]
    waiting = [body for body in bodies if body["waitlisted"]]
    assert len(holders) == CAPACITY
    assert sorted(body["waiting_list_position"] for body in waiting) == list(
        range(1, REFERRALS - CAPACITY + 1)
    )
    shown = server.request("GET", f"/api/v1/courses/{course['id']}", token=token).json()
    assert (shown["places_taken"], shown["waiting_list"]) == (CAPACITY, REFERRALS - CAPACITY)

    def cancel(index):
        body = holders[index]
        return server.request(
            "PATCH",
            f"/api/v1/clients/{body['client_id']}/course-referrals/{body['id']}",
            body={"version": body["version"], "status": "cancelled", "status_on": "2024-04-03"},
            token=token,
        )

    assert [reply.status for reply in together(CAPACITY, cancel)] == [200] * CAPACITY
    shown = server.request("GET", f"/api/v1/courses/{course['id']}", token=token).json()
    assert (shown["places_taken"], shown["waiting_list"]) == (CAPACITY, REFERRALS - 2 * CAPACITY)
