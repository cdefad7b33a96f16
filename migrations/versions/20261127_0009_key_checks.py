"""key_checks: a check value per master key id and one for the blind-index key

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27

Start-up compares each configured key with its stored check value (an HMAC under
the key of a fixed label, never the key itself) and refuses to start on a mismatch.
The rows are created by the application when a key is first used, not here:
migrations stay schema-only and never see a key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mgz.core.db import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "key_checks",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("check_value", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("kind IN ('master', 'index')", name=op.f("ck_key_checks_kind")),
        sa.PrimaryKeyConstraint("kind", "key_id", name=op.f("pk_key_checks")),
    )


def downgrade() -> None:
    op.drop_table("key_checks")
