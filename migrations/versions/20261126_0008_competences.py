"""competences: versioned checklists, competence assessments, qualifications

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

Checklist items live as JSON in their (immutable once published) version row. Text
answers, qualification titles, competent bodies and notes are ciphertext. The
shipped checklist is published by `mgz checklists load` (and the demo), not here:
migrations stay schema-only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mgz.core.db import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checklists",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("published_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'published')", name=op.f("ck_checklists_status")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_checklists_version")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_checklists_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklists")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_checklists_key_version")),
    )
    op.create_index(op.f("ix_checklists_key"), "checklists", ["key"], unique=False)
    op.create_table(
        "competence_assessments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("checklist_id", sa.Uuid(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("adviser_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("text_answers", sa.LargeBinary(), nullable=True),
        sa.Column("notes", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["adviser_id"],
            ["users.id"],
            name=op.f("fk_competence_assessments_adviser_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["checklist_id"],
            ["checklists.id"],
            name=op.f("fk_competence_assessments_checklist_id_checklists"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_competence_assessments_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competence_assessments")),
    )
    op.create_index(
        op.f("ix_competence_assessments_checklist_id"),
        "competence_assessments",
        ["checklist_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_competence_assessments_client_id"),
        "competence_assessments",
        ["client_id"],
        unique=False,
    )
    op.create_table(
        "qualifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("kldb_code", sa.String(length=5), nullable=True),
        sa.Column("isced_level", sa.String(length=2), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("year", sa.SmallInteger(), nullable=True),
        sa.Column("documents_available", sa.String(length=8), nullable=False),
        sa.Column("recognition_status", sa.String(length=24), nullable=False),
        sa.Column("counselling_referred_on", sa.Date(), nullable=True),
        sa.Column("applied_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("title", sa.LargeBinary(), nullable=True),
        sa.Column("competent_body", sa.LargeBinary(), nullable=True),
        sa.Column("notes", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "documents_available IN ('yes', 'no', 'partly')",
            name=op.f("ck_qualifications_documents_available"),
        ),
        sa.CheckConstraint(
            "kind IN ('school', 'vocational', 'academic')", name=op.f("ck_qualifications_kind")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_qualifications_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualifications")),
    )
    op.create_index(
        op.f("ix_qualifications_client_id"), "qualifications", ["client_id"], unique=False
    )
    op.create_index(
        op.f("ix_qualifications_kldb_code"), "qualifications", ["kldb_code"], unique=False
    )
    op.create_index(
        op.f("ix_qualifications_recognition_status"),
        "qualifications",
        ["recognition_status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("qualifications")
    op.drop_table("competence_assessments")
    op.drop_table("checklists")
