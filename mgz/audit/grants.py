"""Least privilege for the application's PostgreSQL role.

The append-only trigger stops UPDATE and DELETE on the log, but a table's owner can
disable or drop a trigger. So in production the migrations run as an owner role and
the application connects as a role that owns nothing and holds only the rights
granted here: ordinary rights on the working tables, INSERT and SELECT on the log,
UPDATE (no DELETE) on the chain head, and no TRIGGER, TRUNCATE or DDL anywhere.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

APPEND_ONLY_TABLES = ("audit_events", "audit_checkpoints")
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_app_role(connection: Connection, role: str) -> list[str]:
    """Grant ``role`` exactly what the running application needs; returns the statements."""
    if connection.dialect.name != "postgresql":
        raise ValueError("role grants exist on PostgreSQL only")
    if not _ROLE.match(role):
        raise ValueError("role must be a plain lower-case PostgreSQL identifier")
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # The log: append and read, nothing else.
        *(f"REVOKE UPDATE, DELETE ON {table} FROM {role}" for table in APPEND_ONLY_TABLES),
        f"REVOKE DELETE ON audit_chain_head FROM {role}",
        # The migration state is the owner's business; the health check only reads it.
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {role}",
        f"GRANT EXECUTE ON FUNCTION mgz_audit_append(jsonb) TO {role}",
    ]
    owned = connection.execute(
        text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = :role"),
        {"role": role},
    ).scalar_one()
    if owned:
        raise ValueError(
            f"{role} owns {owned} tables; run the migrations as another role (the owner)"
        )
    for statement in statements:
        connection.execute(text(statement))
    return statements
