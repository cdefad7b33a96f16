"""profiling: append-only profilings (4-phase model) with needs and profile types

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

Codes and ratings are plaintext; certificate names, health remarks, the override
reason, next steps and notes are ciphertext (LargeBinary, mgz.crypto).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mgz.core.db import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RATING = "IN ('none', 'some', 'strong')"


def upgrade() -> None:
    op.create_table(
        "profilings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("profiled_on", sa.Date(), nullable=False),
        sa.Column("adviser_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("schooling_years", sa.SmallInteger(), nullable=True),
        sa.Column("schooling_isced_level", sa.String(length=2), nullable=True),
        sa.Column("schooling_country", sa.String(length=2), nullable=True),
        sa.Column("education", sa.JSON(), nullable=False),
        sa.Column("work_experience", sa.JSON(), nullable=False),
        sa.Column("german_skills", sa.JSON(), nullable=False),
        sa.Column("other_languages", sa.JSON(), nullable=False),
        sa.Column("is_literate_latin", sa.Boolean(), nullable=True),
        sa.Column("driving_licences", sa.JSON(), nullable=False),
        sa.Column("strengths", sa.JSON(), nullable=False),
        sa.Column("need_qualification", sa.String(length=8), nullable=False),
        sa.Column("need_capability", sa.String(length=8), nullable=False),
        sa.Column("need_motivation", sa.String(length=8), nullable=False),
        sa.Column("need_framework_conditions", sa.String(length=8), nullable=False),
        sa.Column("framework_needs", sa.JSON(), nullable=False),
        sa.Column("main_need", sa.String(length=24), nullable=True),
        sa.Column("suggested_profile_type", sa.String(length=2), nullable=False),
        sa.Column("profile_type", sa.String(length=2), nullable=False),
        sa.Column("profile_type_group", sa.String(length=24), nullable=False),
        sa.Column("integration_goal", sa.String(length=24), nullable=False),
        sa.Column("schooling_certificate", sa.LargeBinary(), nullable=True),
        sa.Column("german_certificate", sa.LargeBinary(), nullable=True),
        sa.Column("health_remarks", sa.LargeBinary(), nullable=True),
        sa.Column("override_reason", sa.LargeBinary(), nullable=True),
        sa.Column("next_steps", sa.LargeBinary(), nullable=True),
        sa.Column("notes", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(
            f"need_capability {_RATING}", name=op.f("ck_profilings_need_capability")
        ),
        sa.CheckConstraint(
            f"need_framework_conditions {_RATING}",
            name=op.f("ck_profilings_need_framework_conditions"),
        ),
        sa.CheckConstraint(
            f"need_motivation {_RATING}", name=op.f("ck_profilings_need_motivation")
        ),
        sa.CheckConstraint(
            f"need_qualification {_RATING}", name=op.f("ck_profilings_need_qualification")
        ),
        sa.CheckConstraint(
            "schooling_years BETWEEN 0 AND 30", name=op.f("ck_profilings_schooling_years")
        ),
        sa.ForeignKeyConstraint(
            ["adviser_id"], ["users.id"], name=op.f("fk_profilings_adviser_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_profilings_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profilings")),
        sa.UniqueConstraint("client_id", "sequence", name=op.f("uq_profilings_client_id_sequence")),
    )
    op.create_index(op.f("ix_profilings_client_id"), "profilings", ["client_id"], unique=False)
    op.create_index(
        op.f("ix_profilings_integration_goal"), "profilings", ["integration_goal"], unique=False
    )
    op.create_index(
        op.f("ix_profilings_profile_type"), "profilings", ["profile_type"], unique=False
    )
    op.create_index(op.f("ix_profilings_profiled_on"), "profilings", ["profiled_on"], unique=False)
    op.create_index(
        op.f("ix_profilings_suggested_profile_type"),
        "profilings",
        ["suggested_profile_type"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("profilings")
