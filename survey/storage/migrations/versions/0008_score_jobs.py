"""score jobs: scoring runs taken by workers, and the job that wrote each snapshot

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_TIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "score_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _TEXT(length=16), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("model_name", _TEXT(length=64), nullable=True),
        sa.Column("bootstrap", sa.Integer(), nullable=False),
        sa.Column("actor", _TEXT(length=64), nullable=False),
        sa.Column("status", _TEXT(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("lease_token", _TEXT(length=32), nullable=True),
        sa.Column("lease_expires_at", _TIME(), nullable=True),
        sa.Column("stage", _TEXT(length=32), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=True),
        sa.Column("error", _TEXT(length=2000), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("started_at", _TIME(), nullable=True),
        sa.Column("finished_at", _TIME(), nullable=True),
        sa.ForeignKeyConstraint(["snapshot_id"], ["score_snapshot.id"]),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("score_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_job_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_score_job_wave_id"), ["wave_id"], unique=False)
    with op.batch_alter_table("score_snapshot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_score_snapshot_job_id"), ["job_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("score_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_snapshot_job_id"))
        batch_op.drop_column("job_id")
    with op.batch_alter_table("score_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_job_wave_id"))
        batch_op.drop_index(batch_op.f("ix_score_job_status"))
    op.drop_table("score_job")
