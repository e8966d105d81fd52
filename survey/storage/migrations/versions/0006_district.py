"""district register lineage, questionnaire publication date, wave exclusion policy; the
default questionnaire v1 in every database

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 09:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Existing rows get the migration time: "unchanged since the upgrade" is true of them.
_NOW = datetime(2026, 11, 26, tzinfo=UTC).isoformat(sep=" ")


def upgrade() -> None:
    with op.batch_alter_table("street", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sqlmodel.sql.sqltypes.UTCDateTime(),
                nullable=False,
                server_default=_NOW,
            )
        )
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("predecessors", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("retired_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sqlmodel.sql.sqltypes.UTCDateTime(),
                nullable=False,
                server_default=_NOW,
            )
        )
    with op.batch_alter_table("questionnaire", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    # The server defaults only filled the existing rows; the models set the values from now on.
    with op.batch_alter_table("street", schema=None) as batch_op:
        batch_op.alter_column("updated_at", server_default=None)
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.alter_column("predecessors", server_default=None)
        batch_op.alter_column("updated_at", server_default=None)
    _insert_default_questionnaire()


def _insert_default_questionnaire() -> None:
    """The shipped questionnaire v1, published, unless the database already holds it."""
    from survey.storage.bootstrap import default_questionnaire_row

    bind = op.get_bind()
    table = sa.table(
        "questionnaire",
        sa.column("slug", sa.String),
        sa.column("version", sa.Integer),
        sa.column("definition", sa.JSON),
        sa.column("definition_hash", sa.String),
        sa.column("published", sa.Boolean),
        sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("published_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    row = default_questionnaire_row()
    exists = bind.execute(
        sa.select(sa.func.count())
        .select_from(table)
        .where(table.c.slug == row["slug"], table.c.version == row["version"])
    ).scalar_one()
    if not exists:
        bind.execute(sa.insert(table), [row])


def downgrade() -> None:
    with op.batch_alter_table("questionnaire", schema=None) as batch_op:
        batch_op.drop_column("published_at")
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("retired_at")
        batch_op.drop_column("predecessors")
    with op.batch_alter_table("street", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
