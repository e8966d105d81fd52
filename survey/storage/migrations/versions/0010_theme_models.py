"""theme models (急难愁盼 themes), versioned like weight models

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "theme_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _TEXT(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("author", _TEXT(length=64), nullable=False),
        sa.Column("status", _TEXT(length=16), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "version"),
    )
    with op.batch_alter_table("theme_model", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_theme_model_name"), ["name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("theme_model", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_theme_model_name"))
    op.drop_table("theme_model")
