"""audit_anchors: signed, chained checkpoints; appends only through a definer function

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Checkpoints are signed with Ed25519 by the checkpoint job (``signature``, ``key_id``)
and chained to each other (``prev_hash``); the HMAC column of the first checkpoints
stays for rows written before this revision. On PostgreSQL the append function now
runs with its owner's rights (SECURITY DEFINER), so the application's role needs
neither INSERT on the log nor UPDATE on the chain head (``mgz audit grant-app-role``
revokes both), and nobody but the roles granted it may call the function.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_checkpoints") as batch:
        batch.alter_column("mac", existing_type=sa.String(64), nullable=True)
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("signature", sa.String(128), nullable=True))
        batch.add_column(sa.Column("key_id", sa.String(16), nullable=True))
    op.create_index(
        "ix_audit_checkpoints_signature", "audit_checkpoints", ["signature"], unique=True
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER FUNCTION mgz_audit_append(jsonb) SECURITY DEFINER "
            "SET search_path = public, pg_temp"
        )
        op.execute("REVOKE EXECUTE ON FUNCTION mgz_audit_append(jsonb) FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT EXECUTE ON FUNCTION mgz_audit_append(jsonb) TO PUBLIC")
        op.execute("ALTER FUNCTION mgz_audit_append(jsonb) SECURITY INVOKER RESET search_path")
    op.drop_index("ix_audit_checkpoints_signature", table_name="audit_checkpoints")
    with op.batch_alter_table("audit_checkpoints") as batch:
        batch.drop_column("key_id")
        batch.drop_column("signature")
        batch.drop_column("prev_hash")
        batch.alter_column("mac", existing_type=sa.String(64), nullable=False)
