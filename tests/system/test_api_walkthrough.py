"""docs/api.md, followed line by line with curl against `mgz serve`.

The walkthrough's ``curl`` lines are parsed out of the document and run in bash as
a reader would paste them (with ``-w`` appended to read the status); each line's
``# → STATUS`` says what the server must answer and ``keep: VAR=field`` what the next
lines take from the answer. If the API and the document part ways, this fails.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from mgz.core.db import make_engine
from tests import factories
from tests.system.server import REPO, run_mgz

DOC = REPO / "docs" / "api.md"
CURL = shutil.which("curl") or "/usr/bin/curl"
PASSWORD = "Walk-through-7#Qx"
_EXPECT = re.compile(r"^#\s*→\s*(\d{3})?;?\s*(?:keep:\s*(.*))?$")
_KEEP_ONLY = re.compile(r"^#\s*keep:\s*(.*)$")


@dataclass
class Step:
    """One command of the walkthrough and what it must answer."""

    command: str
    status: int | None = None
    keep: dict[str, str] = field(default_factory=dict)


def _complete(text: str) -> bool:
    if text.rstrip().endswith("\\"):
        return False
    try:
        shlex.split(text)
    except ValueError:  # an open quote: the command goes on on the next line
        return False
    return True


def _keep(spec: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in spec.split())


def walkthrough_steps(markdown: str) -> list[Step]:
    """The ``curl`` and ``mgz`` commands of the ```sh blocks, with their expectations."""
    blocks = re.findall(r"^```sh\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)
    steps: list[Step] = []
    for block in blocks:
        pending = ""
        for line in block.splitlines():
            if pending:
                pending += "\n" + line
                if _complete(pending):
                    steps.append(Step(pending))
                    pending = ""
                continue
            stripped = line.strip()
            expect = _EXPECT.match(stripped) or _KEEP_ONLY.match(stripped)
            if expect and steps:
                if expect.re is _EXPECT and expect.group(1):
                    steps[-1].status = int(expect.group(1))
                spec = expect.group(expect.re.groups)
                if spec:
                    steps[-1].keep.update(_keep(spec))
                continue
            if stripped.startswith(("curl ", ".venv/bin/mgz ")):
                if _complete(stripped):
                    steps.append(Step(stripped))
                else:
                    pending = stripped
    return steps


def test_the_walkthrough_has_every_step_the_newcomer_needs():
    steps = walkthrough_steps(DOC.read_text(encoding="utf-8"))
    commands = "\n".join(step.command for step in steps)
    for needed in (
        "/api/v1/auth/login",
        "X-CSRF-Token: $CSRF",
        '"$MGZ/api/v1/clients"',
        "/consultations",
        '"kind": "first"',
        "?case_number=",
        "?last_name=",
        "Authorization: Bearer $TOKEN",
    ):
        assert needed in commands, needed
    curls = [step for step in steps if step.command.startswith("curl")]
    assert len(curls) >= 12
    assert all(step.status for step in curls), [s.command for s in curls if not s.status]


def _accounts(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with Session(engine) as db:
            factories.make_user(db, roles=("adviser",), username="demo-adviser", password=PASSWORD)
            factories.make_user(db, roles=("statistician",), username="demo-statistician")
            db.commit()
    finally:
        engine.dispose()


@pytest.mark.skipif(not Path(CURL).exists(), reason="needs curl")
def test_docs_api_walkthrough_runs_against_a_served_app(site, tmp_path):
    _accounts(site.url)
    server = site.serve(workers=1)
    variables = {"MGZ": f"http://127.0.0.1:{server.port}", "PASSWORD": PASSWORD}
    steps = walkthrough_steps(DOC.read_text(encoding="utf-8"))
    for step in steps:
        env = {**os.environ, **variables, "PATH": f"{Path(CURL).parent}:{os.environ['PATH']}"}
        if step.command.startswith(".venv/bin/mgz "):
            result = run_mgz(site.env, *shlex.split(step.command)[1:])
            assert result.returncode == 0, result.stderr
            # "Token (wird nicht wieder angezeigt): <token>"
            answer = {"token": result.stdout.strip().splitlines()[-1].rsplit(" ", 1)[-1]}
        else:
            result = subprocess.run(  # noqa: S603 - the document's own lines, in bash
                ["/bin/bash", "-c", step.command + " -w '\\n%{http_code}'"],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert result.returncode == 0, (step.command, result.stderr)
            body, _, status = result.stdout.rpartition("\n")
            assert int(status) == step.status, (step.command, status, body)
            answer = json.loads(body) if body.strip() else {}
            if int(status) >= 400:
                assert answer["detail"], step.command  # German text for every error
            if "/api/v1/clients?" in step.command and int(status) == 200:
                # A search finds the file created above, and only that one.
                assert [item["id"] for item in answer["items"]] == [variables["CLIENT_ID"]]
        for name, key in step.keep.items():
            assert answer.get(key), (step.command, key, answer)
            variables[name] = str(answer[key])
    assert {"CSRF", "CLIENT_ID", "CASE_NUMBER", "TOKEN"} <= set(variables)
