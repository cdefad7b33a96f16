"""Exports as run: POST and download from `mgz serve`; `mgz export` killed with SIGKILL.

The export killed midway must leave nothing that looks complete: no file at --out
and no manifest, only the staging folder (``.partial-…``), which nothing reads.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from mgz.core.db import database, session_scope
from tests import factories
from tests.conftest import build_app
from tests.system.records import write_file
from tests.system.server import MGZ, REPO

API = "/api/v1/exports"
# Enough synthetic files that writing the export takes well over a second.
POPULATION = 1500


def test_an_export_posted_to_the_served_app_is_listed_and_downloaded(site):
    server = site.serve(workers=2)
    write_file(server, site.tokens)
    statistician = site.tokens["statistician"]
    body = {"kind": "aggregates", "from": 2014, "to": 2026, "format": "csv", "threshold": 3}
    reply = server.request("POST", API, body=body, token=statistician)
    assert reply.status == 201, reply.body[:500]
    created = reply.json()
    assert created["manifest"]["kind"] == "aggregates"
    server.restart()  # any fresh worker finds it: the row and the files are on disk
    for _ in range(4):
        listed = server.request("GET", API, token=site.tokens["admin"])
        assert listed.status == 200 and listed.json()[0]["id"] == created["id"]
    download = server.request("GET", created["download"], token=statistician)
    assert download.status == 200, download.body[:300]
    assert download.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.body))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest == created["manifest"]
    for item in manifest["files"]:
        assert hashlib.sha256(archive.read(item["name"])).hexdigest() == item["sha256"]
    for role, status in (("auditor", 403), ("adviser", 403)):
        assert server.request("GET", created["download"], token=site.tokens[role]).status == status
        assert server.request("POST", API, body=body, token=site.tokens[role]).status == status
    assert server.request("GET", created["download"]).status == 401
    bad = server.request("POST", API, body={**body, "k": 1}, token=statistician)
    assert bad.status == 422 and "k" in bad.json()["errors"]


@pytest.fixture
def populated(site, tmp_path):
    (tmp_path / "seeding").mkdir()
    app = build_app(site.url, tmp_path / "seeding")
    try:
        with app.app_context(), session_scope(app) as db:
            factories.make_caseload(db, POPULATION, seed=7)
            db.commit()
    finally:
        database(app).engine.dispose()
    return site


def _partials(out: Path) -> list[Path]:
    return [p for p in out.parent.iterdir() if p.name.startswith(out.name + ".partial-")]


def test_an_export_killed_midway_leaves_no_file_and_no_manifest(populated, tmp_path):
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "lieferung.csv"
    args = ["export", "microdata", "--from", "2014", "--to", "2026", "--format", "csv",
            "--out", str(out)]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 - our own console script
        [MGZ, *args], env=populated.env, cwd=REPO,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        # Kill as soon as anything of the export appears on disk: it has started writing.
        while (
            not any(out.parent.iterdir()) and process.poll() is None and time.monotonic() < deadline
        ):
            time.sleep(0.005)
        time.sleep(0.2)
        assert process.poll() is None, "the export ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert not out.exists()
    assert not out.with_name(out.name + ".manifest.json").exists()
    [partial] = _partials(out)
    assert not (partial / "manifest.json").exists()
    assert sorted(p.name for p in out.parent.iterdir()) == [partial.name]
    # The same export run to its end does finish (so the kill did cut it short).
    finished = subprocess.run(  # noqa: S603
        [MGZ, *args], env=populated.env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert (out / "manifest.json").is_file()
