"""token_roles, break-glass reason codes: scoped API tokens; a coded reason per break glass

Revision ID: 0011
Revises: 0014
Create Date: 2026-12-01

``api_token_roles`` holds the roles each API token may use. Tokens that exist before
this revision get their user's roles that see no personal data (statistician,
auditor, admin), never ``adviser``: a token of an adviser issued by an operator
before would otherwise go on reading client files. A token left without any role
is refused from now on; a new one is made under the rules of mgz.auth.service.tokens. Roles that
need a second factor are refused at every request anyway.

``break_glass_accesses.reason_code`` is the code (list ``break_glass_reason``) of
why a file was opened; older rows, which have only free text, get ``other``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_token_roles",
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.CheckConstraint(
            "role IN ('adviser', 'statistician', 'auditor', 'admin')",
            name="ck_api_token_roles_role_known",
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_tokens.id"],
            name="fk_api_token_roles_token_id_api_tokens",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", "role", name="pk_api_token_roles"),
    )
    op.execute(
        "INSERT INTO api_token_roles (token_id, role) "
        "SELECT t.id, r.role FROM api_tokens t JOIN user_roles r ON r.user_id = t.user_id "
        "WHERE r.role IN ('statistician', 'auditor', 'admin')"
    )
    with op.batch_alter_table("break_glass_accesses") as batch:
        batch.add_column(sa.Column("reason_code", sa.String(32), nullable=True))
    op.execute("UPDATE break_glass_accesses SET reason_code = 'other'")
    with op.batch_alter_table("break_glass_accesses") as batch:
        batch.alter_column("reason_code", existing_type=sa.String(32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("break_glass_accesses") as batch:
        batch.drop_column("reason_code")
    op.drop_table("api_token_roles")
