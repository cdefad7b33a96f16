"""Fixtures for the system layer: a migrated database, accounts, a served app.

Accounts and their tokens are written through the services in this process and
committed; everything else goes over HTTP to `mgz serve` in a subprocess.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mgz.core.db import make_engine
from tests import factories
from tests.conftest import (
    TEST_AUDIT_KEY,
    TEST_INDEX_KEY,
    TEST_MASTER_KEYS,
    TEST_PUBLIC_KEY,
    TEST_SECRET,
    Backend,
)
from tests.system.server import MgzServer, mgz_environment

ROLES = ("adviser", "admin", "statistician", "auditor")


@dataclass
class Site:
    """One installation: its database, environment, tokens per role and server."""

    url: str
    env: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)
    servers: list[MgzServer] = field(default_factory=list)

    def serve(self, workers: int = 2) -> MgzServer:
        """Start `mgz serve` with ``workers`` on this site's database."""
        server = MgzServer(self.env, workers=workers)
        self.servers.append(server)
        return server.start()


def site_environment(database_url: str, instance: Any, **extra: str) -> dict[str, str]:
    """Production settings as an operator sets them, for ``database_url``."""
    return mgz_environment(
        {
            "MGZ_DATABASE_URL": database_url,
            "MGZ_INSTANCE_PATH": str(instance),
            "MGZ_SECRET_KEY": TEST_SECRET,
            "MGZ_AUDIT_KEY": TEST_AUDIT_KEY,
            "MGZ_AUDIT_PUBLIC_KEY": TEST_PUBLIC_KEY,
            # Beside the instance folder, which production mode does not create.
            "MGZ_AUDIT_ANCHOR_PATH": str(Path(instance).parent / "audit-anchors.jsonl"),
            "MGZ_MASTER_KEYS": TEST_MASTER_KEYS,
            "MGZ_INDEX_KEY": TEST_INDEX_KEY,
            "MGZ_LOG_FORMAT": "json",
            **extra,
        }
    )


def add_accounts(database_url: str) -> dict[str, str]:
    """One account per role with an API token; returns role -> token."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as db:
            tokens = {
                role: factories.make_token(db, factories.make_user(db, roles=(role,)))
                for role in ROLES
            }
            tokens["adviser2"] = factories.make_token(
                db, factories.make_user(db, roles=("adviser",))
            )
            db.commit()
    finally:
        engine.dispose()
    return tokens


@pytest.fixture
def site(backend: Backend, tmp_path: Any) -> Iterator[Site]:
    """A fresh migrated database with reference data and accounts; servers stopped after."""
    url = backend.new_database()
    installation = Site(url, site_environment(url, tmp_path / "instance"))
    installation.tokens = add_accounts(url)
    try:
        yield installation
    finally:
        for server in installation.servers:
            server.stop()
