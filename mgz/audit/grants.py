"""Least privilege for the application's PostgreSQL role.

The append-only trigger stops UPDATE and DELETE on the log, but a table's owner can
disable or drop a trigger. So in production the migrations run as an owner role and
the application connects as a role that owns nothing and holds only the rights
granted here: ordinary rights on the working tables, SELECT on the log and EXECUTE
on ``mgz_audit_append`` (a SECURITY DEFINER function owned by the owner role, since
migration 0010), which is the only way it can append; no INSERT into the log or the
checkpoints, no UPDATE of the chain head (setting the head back would make every
later append fail), and no TRIGGER, TRUNCATE or DDL anywhere. The checkpoint job
gets a role of its own (``grant_checkpoint_role``): reading the log and inserting
checkpoints, nothing else.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

APPEND_ONLY_TABLES = ("audit_events", "audit_checkpoints")
LOG_TABLES = (*APPEND_ONLY_TABLES, "audit_chain_head")
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_app_role(connection: Connection, role: str) -> list[str]:
    """Grant ``role`` exactly what the running application needs; returns the statements."""
    _check_role(connection, role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # The log: read, and append through mgz_audit_append only.
        *(f"REVOKE INSERT, UPDATE, DELETE ON {table} FROM {role}" for table in LOG_TABLES),
        # The migration state is the owner's business; the health check only reads it.
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {role}",
        f"GRANT EXECUTE ON FUNCTION mgz_audit_append(jsonb) TO {role}",
    ]
    return _run(connection, role, statements)


def grant_checkpoint_role(connection: Connection, role: str) -> list[str]:
    """Grant the checkpoint job's ``role`` reading the log and inserting checkpoints."""
    _check_role(connection, role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT SELECT ON audit_events, audit_chain_head, audit_checkpoints TO {role}",
        f"GRANT INSERT ON audit_checkpoints TO {role}",
        f"GRANT USAGE ON SEQUENCE audit_checkpoints_id_seq TO {role}",
        f"REVOKE EXECUTE ON FUNCTION mgz_audit_append(jsonb) FROM {role}",
    ]
    return _run(connection, role, statements)


def _check_role(connection: Connection, role: str) -> None:
    if connection.dialect.name != "postgresql":
        raise ValueError("role grants exist on PostgreSQL only")
    if not _ROLE.match(role):
        raise ValueError("role must be a plain lower-case PostgreSQL identifier")


def _run(connection: Connection, role: str, statements: list[str]) -> list[str]:
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
