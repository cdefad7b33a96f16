"""consultations: first talk (one per client, partial unique index) and follow-ups

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

next_steps and notes are ciphertext; topics and referrals are code lists.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mgz.core.db import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("adviser_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("duration_minutes", sa.SmallInteger(), nullable=True),
        sa.Column("language", sa.String(length=3), nullable=True),
        sa.Column("interpreter_used", sa.Boolean(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("referrals_out", sa.JSON(), nullable=False),
        sa.Column("next_steps", sa.LargeBinary(), nullable=True),
        sa.Column("notes", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('first', 'follow_up')", name=op.f("ck_consultations_kind")),
        sa.CheckConstraint(
            "duration_minutes BETWEEN 1 AND 600", name=op.f("ck_consultations_duration_minutes")
        ),
        sa.ForeignKeyConstraint(
            ["adviser_id"], ["users.id"], name=op.f("fk_consultations_adviser_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_consultations_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
    )
    op.create_index(
        op.f("ix_consultations_client_id"), "consultations", ["client_id"], unique=False
    )
    op.create_index(op.f("ix_consultations_held_on"), "consultations", ["held_on"], unique=False)
    op.create_index(
        "uq_consultations_first_per_client",
        "consultations",
        ["client_id"],
        unique=True,
        sqlite_where=sa.text("kind = 'first'"),
        postgresql_where=sa.text("kind = 'first'"),
    )


def downgrade() -> None:
    op.drop_table("consultations")
