"""exports: the anonymised exports written, their files' hashes and their retention

Revision ID: 0018
Revises: 0011
Create Date: 2026-12-01

One row per export written into the instance folder (issue 19): kind, format, the
parameters asked for, the rows written per table, the files with their SHA-256, who
made it, when it expires and when its files were deleted. No released value and no
personal data is stored here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mgz.core.db import UTCDateTime

revision: str = "0018"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('aggregates', 'microdata')", name=op.f("ck_exports_kind")),
        sa.CheckConstraint("format IN ('csv', 'xlsx', 'json')", name=op.f("ck_exports_format")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_exports_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exports")),
    )
    op.create_index("ix_exports_created_at", "exports", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_exports_created_at", table_name="exports")
    op.drop_table("exports")
