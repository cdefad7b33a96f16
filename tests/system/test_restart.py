"""A restarted server reads what an earlier server process wrote.

The defect this guards against: encrypted fields could only be read in a process
that had written a row of the same model first, so every restart broke every file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.system.records import read_back, write_file
from tests.system.server import REPO, run_mgz

# Personal fields compared after the restart, per record kind.
PERSONAL = {
    "client": ("first_name", "last_name", "birth_date", "address", "notes"),
    "consultation": ("notes", "next_steps"),
    "profiling": ("notes", "health_remarks"),
    "qualification": ("title", "notes"),
    "assessment": ("answers",),
    "placement": ("remarks",),
    "benefit": ("remarks",),
    "measure": ("provider", "remarks"),
    "course_referral": ("remarks",),
    "consent": ("scope", "witness_name"),
}


def test_every_record_reads_back_after_a_restart_with_two_workers(site):
    server = site.serve(workers=2)
    written = write_file(server, site.tokens)
    server.restart()
    # Six reads of each record: with two workers, both fresh processes serve some.
    for kind, record in written.items():
        for _ in range(6):
            status, body = read_back(server, record, site.tokens["adviser"])
            assert status == 200, (kind, status, body)
            for name in PERSONAL[kind]:
                assert body[name] == record["body"][name], (kind, name)


READ_EVERYTHING = textwrap.dedent(
    """
    import json, sys
    from sqlalchemy import select
    from mgz.app import create_app
    from mgz.core.db import database
    from mgz.crypto.registry import MODELS

    app = create_app()
    counts = {}
    # The registry as a fresh process has it: nothing resolved by a write or a lookup.
    with app.app_context(), database(app).new_session() as session:
        for cls, spec in list(MODELS.items()):
            rows = session.scalars(select(cls)).all()
            for row in rows:
                for name in spec.fields:
                    getattr(row, name)
            counts[cls.__name__] = len(rows)
    print(json.dumps(counts))  # counts only: never a value
    """
)


def test_a_fresh_process_reads_every_encrypted_model_without_writing(site):
    server = site.serve(workers=1)
    # Break glass: another adviser opens the file with a reason (an encrypted record).
    client_path = write_file(server, site.tokens)["client"]["path"]
    reply = server.request(
        "GET",
        client_path,
        token=site.tokens["adviser2"],
        headers={"X-Access-Reason-Code": "substitute", "X-Access-Reason": "Vertretung im Urlaub"},
    )
    assert reply.status == 200, reply.body[:200]
    assert run_mgz(site.env, "users", "create", "totp-admin", "--role", "admin",
                   "--generate-password").returncode == 0  # fmt: skip
    enrolled = run_mgz(site.env, "users", "enable-totp", "totp-admin")
    assert enrolled.returncode == 0, enrolled.stderr
    server.stop()

    reader = subprocess.run(  # noqa: S603 - the test's own interpreter
        [sys.executable, "-c", READ_EVERYTHING],
        env=site.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert reader.returncode == 0, reader.stderr[-2000:]
    counts = json.loads(reader.stdout.strip().splitlines()[-1])
    # Every model with encrypted fields has rows here, so each was really read.
    assert counts and all(n > 0 for n in counts.values()), counts
