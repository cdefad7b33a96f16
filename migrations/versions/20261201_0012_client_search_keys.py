"""client_search_keys: blind indexes for search by first name + last name + birth year
and for the tolerant (folded, phonetic) match of names

Revision ID: 0012
Revises: 0017
Create Date: 2026-12-01

Three nullable, indexed columns on ``clients`` (keyed HMACs, 8 hex characters; see
``mgz.clients.name_keys`` and docs/architecture.md, "Search keys"):
``name_year_index`` (folded first and last name + birth year),
``phonetic_year_index`` (Cologne phonetics of both names + birth year) and
``phonetic_birth_index`` (Cologne phonetics of the last name + birth date).

Filling them needs the data keys and the index key, which a migration does not get:
after this revision the existing files are found by case number and by the exact
last name + birth date as before, but not yet by the new searches. Run
``mgz keys reindex`` once after ``mgz db upgrade`` (it decrypts the names in batches,
with a progress bar, and commits per batch; docs/operations.md, "Set-up", step 2).
Until then ``mgz keys status`` counts the rows still without them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("name_year_index", "phonetic_year_index", "phonetic_birth_index")


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=8), nullable=True))
    for name in COLUMNS:
        op.create_index(op.f(f"ix_clients_{name}"), "clients", [name], unique=False)


def downgrade() -> None:
    for name in COLUMNS:
        op.drop_index(op.f(f"ix_clients_{name}"), table_name="clients")
    with op.batch_alter_table("clients") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
