"""Eight advisers save the same version of a record at once: one wins, seven get 409.

Served with four gunicorn workers; the requests wait behind a barrier so they
really overlap. The defect this guards against: the losers' UPDATE failed inside
an autoflush before the service's own version guard, and they got 500.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.system.records import read_back, write_file

EDITORS = 8
ROUNDS = 4

# Record kind -> a change to send with the version (fields each PATCH accepts).
CHANGES = {
    "client": lambda n: {"notes": f"Runde {n}", "municipality": "03459024"},
    "consultation": lambda n: {"next_steps": f"Runde {n}"},
    "qualification": lambda n: {"notes": f"Runde {n}"},
}


@pytest.mark.parametrize("kind", sorted(CHANGES))
def test_concurrent_saves_of_one_version_give_one_200_and_409s(site, kind):
    server = site.serve(workers=4)
    record = write_file(server, site.tokens)[kind]
    path = record["path"]
    if kind == "qualification":
        path = f"{path}/{record['body']['id']}"
    token = site.tokens["adviser"]
    for round_number in range(ROUNDS):
        status, current = read_back(server, record, token)
        assert status == 200, current
        barrier = threading.Barrier(EDITORS)

        def save(
            editor: int,
            version: int = current["version"],
            n: int = round_number,
            barrier: threading.Barrier = barrier,
        ):
            barrier.wait(timeout=30)
            body = {"version": version, **CHANGES[kind](f"{n}.{editor}")}
            return server.request("PATCH", path, body=body, token=token)

        with ThreadPoolExecutor(EDITORS) as pool:
            replies = list(pool.map(save, range(EDITORS)))
        statuses = Counter(reply.status for reply in replies)
        assert statuses == {200: 1, 409: EDITORS - 1}, (round_number, statuses)
        for reply in replies:
            if reply.status == 409:
                assert reply.headers["content-type"] == "application/problem+json"
                problem = reply.json()
                assert problem["type"] == "/problems/stale-version"
                assert problem["errors"] == {"version": ["Veraltete Version."]}
    status, final = read_back(server, record, token)
    assert status == 200
    assert final["version"] == current["version"] + 1
