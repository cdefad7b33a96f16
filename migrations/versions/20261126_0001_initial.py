"""initial: start of the revision history

Revision ID: 0001
Revises:
Create Date: 2026-11-26

The foundation has no tables of its own; each area adds its tables in its own
revision. This revision exists so that `mgz db upgrade` on an empty database and
the health check's "at head" have a defined starting point.
"""

from collections.abc import Sequence

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
