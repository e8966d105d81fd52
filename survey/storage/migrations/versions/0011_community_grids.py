"""community grids (网格) from the district register

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing communities have no grids: their grid question stays free text.
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grids", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_column("grids")
