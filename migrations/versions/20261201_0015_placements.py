"""placements (snapshots, six-month follow-up), benefit periods and measures

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-01

remarks and a measure's provider are ciphertext; codes, dates, hours and the
snapshots of residence status and SGB II receipt are statistical plaintext.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mgz.core.db import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "benefits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("from_on", sa.Date(), nullable=False),
        sa.Column("to_on", sa.Date(), nullable=True),
        sa.Column("remarks", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("to_on IS NULL OR to_on >= from_on", name=op.f("ck_benefits_period")),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_benefits_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefits")),
    )
    op.create_index(op.f("ix_benefits_client_id"), "benefits", ["client_id"], unique=False)
    op.create_table(
        "measures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("provider", sa.LargeBinary(), nullable=True),
        sa.Column("remarks", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("outcome IN ('completed', 'dropped')", name=op.f("ck_measures_outcome")),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_measures_period")
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR ends_on IS NOT NULL", name=op.f("ck_measures_outcome_has_end")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_measures_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measures")),
    )
    op.create_index(op.f("ix_measures_client_id"), "measures", ["client_id"], unique=False)
    op.create_index(op.f("ix_measures_starts_on"), "measures", ["starts_on"], unique=False)
    op.create_table(
        "placements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("adviser_id", sa.Integer(), nullable=True),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("kldb_code", sa.String(length=5), nullable=False),
        sa.Column("weekly_hours", sa.Float(), nullable=True),
        sa.Column("employer_sector", sa.String(length=1), nullable=True),
        sa.Column("residence_status", sa.String(length=40), nullable=True),
        sa.Column("residence_status_group", sa.String(length=40), nullable=True),
        sa.Column("receives_sgb2", sa.Boolean(), nullable=True),
        sa.Column("follow_up_due_on", sa.Date(), nullable=False),
        sa.Column("follow_up_checked_on", sa.Date(), nullable=True),
        sa.Column("still_employed", sa.String(length=8), nullable=True),
        sa.Column("remarks", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "still_employed IN ('yes', 'no', 'unknown')", name=op.f("ck_placements_still_employed")
        ),
        sa.CheckConstraint(
            "(still_employed IS NULL) = (follow_up_checked_on IS NULL)",
            name=op.f("ck_placements_follow_up_complete"),
        ),
        sa.CheckConstraint(
            "follow_up_checked_on >= follow_up_due_on",
            name=op.f("ck_placements_follow_up_not_early"),
        ),
        sa.CheckConstraint(
            "weekly_hours > 0 AND weekly_hours <= 60", name=op.f("ck_placements_weekly_hours")
        ),
        sa.ForeignKeyConstraint(
            ["adviser_id"], ["users.id"], name=op.f("fk_placements_adviser_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_placements_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placements")),
    )
    op.create_index(op.f("ix_placements_client_id"), "placements", ["client_id"], unique=False)
    op.create_index(
        op.f("ix_placements_follow_up_due_on"), "placements", ["follow_up_due_on"], unique=False
    )
    op.create_index(op.f("ix_placements_placed_on"), "placements", ["placed_on"], unique=False)


def downgrade() -> None:
    op.drop_table("placements")
    op.drop_table("measures")
    op.drop_table("benefits")
