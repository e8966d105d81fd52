"""actions (整改事项) of communities and streets, with dated progress notes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_level", _TEXT(length=16), nullable=False),
        sa.Column("scope_code", _TEXT(length=32), nullable=False),
        sa.Column("title", _TEXT(length=200), nullable=False),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("owner", _TEXT(length=100), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", _TEXT(length=16), nullable=False),
        sa.Column("completed_at", _TIME(), nullable=True),
        sa.Column("budget", sa.Float(), nullable=True),
        sa.Column("theme", _TEXT(length=64), nullable=False),
        sa.Column("wave_code", _TEXT(length=32), nullable=False),
        sa.Column("created_by", _TEXT(length=64), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("updated_at", _TIME(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_scope_code"), ["scope_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_status"), ["status"], unique=False)
    op.create_table(
        "action_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("note", _TEXT(length=2000), nullable=False),
        sa.Column("status_after", _TEXT(length=16), nullable=False),
        sa.Column("author", _TEXT(length=64), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("action_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_note_action_id"), ["action_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("action_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_note_action_id"))
    op.drop_table("action_note")
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_status"))
        batch_op.drop_index(batch_op.f("ix_action_scope_code"))
    op.drop_table("action")
