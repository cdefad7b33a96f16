"""`mgz serve` logs one JSON object a line, and never what a client sent.

gunicorn quotes unparsable request lines and headers in its own log; a header can
carry whatever a client typed, a name for instance.
"""

from __future__ import annotations

import json
import socket

CANARY = "Zyxwertmannsdottir"


def _send_raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        try:
            return connection.recv(4096)
        except OSError:
            return b""


def test_gunicorn_lines_are_json_and_quote_no_request_data(site):
    server = site.serve(workers=1)
    for raw in (
        f"GET /api/v1/health HTTP/1.1\r\nHost: a\r\nX-Name: {CANARY}\x01\r\n\r\n",
        f"GET /api/v1/health HTTP/1.1\r\nHost: a\r\n{CANARY} Name: x\r\n\r\n",
        f"GET /api/v1/clients?last_name={CANARY} HTTP/1.1 zu viel\r\n\r\n",
        f"G{CANARY}T /api/v1/health HTTP/1.1\r\n\r\n",
    ):
        assert _send_raw(server.port, raw.encode("latin-1")).startswith(b"HTTP/1.1 400")
    assert server.request("GET", "/api/v1/health").status == 200
    server.stop()
    log = server.log()
    assert CANARY not in log
    lines = [line for line in log.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    loggers = {record["logger"] for record in records}
    assert "gunicorn.error" in loggers
    refused = [r for r in records if r.get("event") == "http_request_error"]
    assert len(refused) == 4, [r["msg"] for r in records]
    # No control socket (config/gunicorn.conf.py): gunicorn would announce it here.
    assert not [r for r in records if "control socket" in r["msg"].lower()]
