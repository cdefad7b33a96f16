"""`mgz serve` as people run it: a subprocess with gunicorn workers on a real database.

The tests in this folder drive it over HTTP only; each server is a fresh process, so
nothing a test wrote in its own process can hide a bug of a restarted server.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MGZ = str(Path(sys.executable).parent / "mgz")
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def mgz_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """The test process's environment without any MGZ_ variable, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MGZ_")}
    env.update(settings)
    return env


def run_mgz(
    env: Mapping[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run one `mgz` command as a separate process; returns its result."""
    return subprocess.run(  # noqa: S603 - our own console script
        [MGZ, *args], env=dict(env), cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


@dataclass
class Reply:
    """One HTTP response."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class MgzServer:
    """`mgz serve` in a subprocess; start, stop and start again on the same database."""

    def __init__(self, env: Mapping[str, str], *, workers: int = 2) -> None:
        self.env = dict(env)
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        handle, name = tempfile.mkstemp(prefix="mgz-serve-", suffix=".log")
        os.close(handle)
        self.log_path = Path(name)

    def start(self, timeout: float = 60) -> MgzServer:
        """Start the server and wait until every worker can answer /health."""
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(  # noqa: S603 - our own console script
                [MGZ, "serve", "--port", str(self.port), "--workers", str(self.workers)],
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mgz serve exited with {self.process.returncode}: {self.log()}")
            try:
                if self.request("GET", "/api/v1/health", timeout=5).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"mgz serve did not answer within {timeout} s: {self.log()}")

    def stop(self) -> None:
        """Stop gunicorn (SIGTERM, as an init system does) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> MgzServer:
        """Stop and start a new server process on the same port and database."""
        self.stop()
        return self.start()

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        raw: bytes | None = None,
        timeout: float = 30,
    ) -> Reply:
        """One request on a new connection; JSON ``body`` or ``raw`` bytes."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        sent = dict(headers or {})
        payload = raw
        if body is not None:
            payload = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        if token:
            sent["Authorization"] = f"Bearer {token}"
        try:
            connection.request(method, path, body=payload, headers=sent)
            response = connection.getresponse()
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            connection.close()
