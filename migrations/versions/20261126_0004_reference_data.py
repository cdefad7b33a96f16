"""reference_data: versioned code lists (residence status, municipalities, countries, …)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Creates the tables only; the codes themselves are loaded by `mgz reference load`
(and by the demo), which versions each list by the hash of its content.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reference_list_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "version >= 1", name=op.f("ck_reference_list_versions_version_positive")
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reference_list_versions"),
        sa.UniqueConstraint(
            "list_name", "version", name="uq_reference_list_versions_list_name_version"
        ),
    )
    op.create_table(
        "reference_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_name", sa.String(64), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("group_code", sa.String(64), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("added_in_version", sa.Integer(), nullable=False),
        sa.Column("withdrawn_in_version", sa.Integer(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "withdrawn_in_version IS NULL OR withdrawn_in_version >= added_in_version",
            name=op.f("ck_reference_codes_withdrawn_after_added"),
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reference_codes"),
        sa.UniqueConstraint("list_name", "code", name="uq_reference_codes_list_name_code"),
    )


def downgrade() -> None:
    op.drop_table("reference_codes")
    op.drop_table("reference_list_versions")
