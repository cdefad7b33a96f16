"""`mgz serve` in production mode really starts gunicorn and serves the API."""

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

MGZ = str(Path(sys.executable).parent / "mgz")
REPO = Path(__file__).resolve().parents[2]


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_runs_gunicorn_in_production(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MGZ_")}
    env.update(
        MGZ_INSTANCE_PATH=str(tmp_path),
        MGZ_SECRET_KEY="s" * 40,
        MGZ_AUDIT_KEY=_key(),
        MGZ_AUDIT_PUBLIC_KEY=_key(),
        MGZ_AUDIT_ANCHOR_PATH=str(tmp_path / "audit-anchors.jsonl"),
        MGZ_MASTER_KEYS="k1:" + _key(),
        MGZ_INDEX_KEY=_key(),
    )
    subprocess.run([MGZ, "db", "upgrade"], env=env, cwd=REPO, check=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own console script
        [MGZ, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health") as reply:  # noqa: S310
                    body = reply.read().decode()
            except OSError:
                time.sleep(0.3)
        assert body is not None, "gunicorn did not answer"
        assert '"status":"ok"' in body
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert "gunicorn" in output.lower()
