"""trustworthy intake: enumerators, server start times, source hashes, exclusion policies,
suspect batches and shared rate-limit counters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("exclusion_policy", sa.JSON(), nullable=False, server_default="{}")
        )
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("client_started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("enumerator_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "source_hash",
                sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=False,
                server_default="",
            )
        )
        batch_op.create_index(
            batch_op.f("ix_response_enumerator_id"), ["enumerator_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_response_enumerator_id_staff_user", "staff_user", ["enumerator_id"], ["id"]
        )
    op.create_table(
        "suspect_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("first_response_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("response_ids", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("found_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wave_id", "community_id", "first_response_id"),
    )
    with op.batch_alter_table("suspect_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_suspect_batch_wave_id"), ["wave_id"], unique=False)
    op.create_table(
        "rate_counter",
        sa.Column("bucket", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "window"),
    )


def downgrade() -> None:
    op.drop_table("rate_counter")
    with op.batch_alter_table("suspect_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suspect_batch_wave_id"))
    op.drop_table("suspect_batch")
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_constraint("fk_response_enumerator_id_staff_user", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_response_enumerator_id"))
        batch_op.drop_column("source_hash")
        batch_op.drop_column("enumerator_id")
        batch_op.drop_column("client_started_at")
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.drop_column("exclusion_policy")
