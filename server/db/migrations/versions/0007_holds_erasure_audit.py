"""legal holds, media deletion, erasure; audit entries of the system and of other actions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("hold_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hold_at", server.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("media_deleted_at", server.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("erased_at", server.db.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key("fk_call_hold_by_user", "user", ["hold_by_user_id"], ["id"])
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.alter_column("call_id", existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column("detail", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_column("detail")
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_constraint("fk_call_hold_by_user", type_="foreignkey")
        for column in (
            "erased_at",
            "media_deleted_at",
            "hold_at",
            "hold_by_user_id",
            "hold_reason",
        ):
            batch_op.drop_column(column)
