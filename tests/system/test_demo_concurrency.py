"""The embedded demo (SQLite) under concurrent readers and writers: never a 503.

Served as the README starts it (``mgz demo``, then ``mgz serve`` in demo mode, both
gunicorn); 16 threads read client files and the health check while 2 threads save
changes, all at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.system.server import MgzServer, mgz_environment, run_mgz

READERS = 16
WRITERS = 2
SECONDS = 5.0


def _signed_in(server: MgzServer, instance: Path, username: str) -> dict[str, str]:
    """Headers of a browser session of a demo account (password from the instance folder).

    An adviser signs in; no operator can make a token that reads client files in
    someone else's name (mgz.auth.service.tokens).
    """
    password = json.loads((instance / "demo-users.json").read_text(encoding="utf-8"))[username]
    login = server.request(
        "POST", "/api/v1/auth/login", body={"username": username, "password": password}
    )
    assert login.status == 200, login.body[:300]
    cookie = login.headers["set-cookie"].split(";", 1)[0]
    return {"Cookie": cookie, "X-CSRF-Token": login.json()["csrf_token"]}


def test_sixteen_readers_and_two_writers_on_the_demo_get_no_503(tmp_path):
    env = mgz_environment({"MGZ_MODE": "demo", "MGZ_INSTANCE_PATH": str(tmp_path / "demo")})
    prepared = run_mgz(env, "demo", "--no-serve", timeout=300)
    assert prepared.returncode == 0, prepared.stderr[-2000:]
    server = MgzServer(env, workers=2).start()
    try:
        auth = _signed_in(server, tmp_path / "demo", "demo-adviser")
        listing = server.request("GET", "/api/v1/clients?per_page=50", headers=auth)
        assert listing.status == 200, listing.body[:300]
        paths = [f"/api/v1/clients/{item['id']}" for item in listing.json()["items"]]
        assert len(paths) >= 20
        statuses: Counter[int] = Counter()
        lock = threading.Lock()
        deadline = time.monotonic() + SECONDS

        def count(status: int) -> None:
            with lock:
                statuses[status] += 1

        def read(number: int) -> None:
            turn = 0
            while time.monotonic() < deadline:
                path = "/api/v1/health" if turn % 3 == 0 else paths[(number + turn) % len(paths)]
                count(server.request("GET", path, headers=auth).status)
                turn += 1

        def write(number: int) -> None:
            path = paths[-1 - number]
            while time.monotonic() < deadline:
                current: Any = server.request("GET", path, headers=auth).json()
                body = {"version": current["version"], "notes": f"Lasttest {time.time()}"}
                count(server.request("PATCH", path, body=body, headers=auth).status)

        threads = [threading.Thread(target=read, args=(n,)) for n in range(READERS)]
        threads += [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        server.stop()
    assert statuses[200] > 0, statuses
    assert set(statuses) == {200}, statuses
