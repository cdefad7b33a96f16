"""Alembic, driven from the app's configuration rather than from an alembic.ini.

The CLI, the health check and the tests share these helpers, so "at head" means the
same thing everywhere.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, ProgrammingError

from mgz.core.db import Probe

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    """Alembic configuration for ``url`` (or an already open connection)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Date-first file names sort by age in a listing (as indico does).
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    # "%" is alembic's interpolation character; escape it in URLs.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str | None:
    """The newest revision in migrations/versions, read once per process.

    Reading it means importing every migration file; the files do not change under a
    running process (a deployment restarts it), and the health check asks every call.
    """
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return revision_of(connection)


def revision_of(connection: Connection) -> str | None:
    """The revision of the database behind an open connection."""
    return MigrationContext.configure(connection).get_current_revision()


def stored_revision(probe: Probe) -> str | None:
    """The revision of the database in one query (None if it was never migrated).

    For the health check: unlike :func:`revision_of` it asks nothing else (Alembic
    first looks the version table up in the schema). On PostgreSQL a missing table
    leaves the transaction aborted; the caller is refusing then anyway.
    """
    try:
        return probe.scalar("SELECT version_num FROM alembic_version")
    except ProgrammingError:  # PostgreSQL: no such table
        return None
    except OperationalError as error:  # SQLite says the same as an operational error
        if "no such table" in str(error.orig):
            return None
        raise


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision``."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(str(engine.url), connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to ``revision``."""
    with engine.begin() as connection:
        command.downgrade(alembic_config(str(engine.url), connection), revision)
