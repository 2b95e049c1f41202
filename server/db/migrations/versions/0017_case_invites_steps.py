"""cases: invitations to a call, the buyer's time zone, media retention; shop steps

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.db

revision: str = "0017"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString
T = server.db.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("case_reply") as batch_op:
        batch_op.add_column(sa.Column("invite_at", T(), nullable=True))
    with op.batch_alter_table("case_submission") as batch_op:
        batch_op.add_column(sa.Column("timezone", S(length=64), nullable=True))
    with op.batch_alter_table("case") as batch_op:
        batch_op.add_column(sa.Column("media_deleted_at", T(), nullable=True))
    op.create_table(
        "case_steps",
        sa.Column("purpose", S(length=32), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("updated_at", T(), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("purpose"),
    )


def downgrade() -> None:
    op.drop_table("case_steps")
    with op.batch_alter_table("case") as batch_op:
        batch_op.drop_column("media_deleted_at")
    with op.batch_alter_table("case_submission") as batch_op:
        batch_op.drop_column("timezone")
    with op.batch_alter_table("case_reply") as batch_op:
        batch_op.drop_column("invite_at")
