"""Canary checks: unmistakable values written over HTTP must not reach the database as text.

Shared by every area's canary test: make signed-in callers, let the test write through
the API on a fresh committed database, then search the raw SQLite files (WAL and
shared memory included) or a pg_dump for every form a leak could take.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from mgz.core.db import database
from mgz.crypto.blind_index import normalise
from tests import factories


def forms(value: str) -> list[bytes]:
    """The byte forms a leaked ``value`` could take: cases, encodings, hex, base64."""
    variants = {value, value.lower(), value.upper(), normalise(value)}
    found: list[bytes] = []
    for variant in variants:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be", "latin-1"):
            try:
                raw = variant.encode(encoding)
            except UnicodeEncodeError:
                continue
            found += [raw, binascii.hexlify(raw), base64.b64encode(raw)]
    return found


def leaks(haystack: bytes, values: Iterable[str]) -> list[bytes]:
    """Every form of every value that occurs in ``haystack`` (case-insensitive)."""
    lowered = haystack.lower()
    return [form for value in values for form in forms(value) if form.lower() in lowered]


def database_bytes(url: str, backend: Any, request: Any) -> bytes:
    """The raw SQLite files of ``url`` or a pg_dump of it."""
    if backend.name == "sqlite":
        path = Path(make_url(url).database)
        files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
        return b"".join(p.read_bytes() for p in files)
    dump = request.getfixturevalue("pg_cluster").dump(make_url(url).database)
    return dump.encode("utf-8")


def write_through_api(
    backend: Any,
    make_app: Any,
    request: Any,
    roles: Iterable[Iterable[str]],
    write: Callable[..., None],
    plant: tuple[str, dict[str, str]] | None = None,
) -> bytes:
    """Run ``write(*callers)`` on a fresh database and return the database's bytes.

    Callers (one per entry of ``roles``) are made inside an app context; the requests
    run outside it, so each pushes its own context (a shared one would keep the first
    caller signed in). ``plant`` is an SQL statement with parameters run afterwards, to
    prove the search finds a plaintext copy.
    """
    url = backend.new_database()
    app = make_app(url)
    with app.app_context():
        session = database(app).new_session()
        callers = [
            factories.signed_in_client(app, session, factories.make_user(session, roles=r))
            for r in roles
        ]
        session.commit()
        session.close()
    write(*callers)
    if plant:
        with app.app_context():
            session = database(app).new_session()
            session.execute(text(plant[0]), plant[1])
            session.commit()
            session.close()
    database(app).engine.dispose()
    return database_bytes(url, backend, request)
