"""evidence and outcomes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("call_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("at", server.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_user_id"), ["user_id"], unique=False)

    op.create_table(
        "outcome_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("by_user_id", sa.Integer(), nullable=False),
        sa.Column("at", server.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_user_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outcome_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outcome_change_call_id"), ["call_id"], unique=False)

    op.create_table(
        "photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("storage_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("t_ms", sa.Integer(), nullable=False),
        sa.Column("caption", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", server.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photo_call_id"), ["call_id"], unique=False)

    op.create_table(
        "recording",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("track", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.Column("storage_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("codec", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("start_offset_ms", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", server.db.UTCDateTime(), nullable=False),
        sa.Column("finished_at", server.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recording_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recording_state"), ["state"], unique=False)

    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("outcome_note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True)
        )
        batch_op.add_column(sa.Column("outcome_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("outcome_at", server.db.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("review_state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.create_index("ix_call_agent_created", ["agent_id", "created_at"], unique=False)
        batch_op.create_index("ix_call_outcome_created", ["outcome", "created_at"], unique=False)
        batch_op.create_index("ix_call_purpose_created", ["purpose", "created_at"], unique=False)
        batch_op.create_foreign_key(
            "fk_call_outcome_by_user_id", "user", ["outcome_by_user_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_constraint("fk_call_outcome_by_user_id", type_="foreignkey")
        batch_op.drop_index("ix_call_purpose_created")
        batch_op.drop_index("ix_call_outcome_created")
        batch_op.drop_index("ix_call_agent_created")
        batch_op.drop_column("review_state")
        batch_op.drop_column("outcome_at")
        batch_op.drop_column("outcome_by_user_id")
        batch_op.drop_column("outcome_note")
        batch_op.drop_column("decision")
        batch_op.drop_column("outcome")

    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recording_state"))
        batch_op.drop_index(batch_op.f("ix_recording_call_id"))

    op.drop_table("recording")
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photo_call_id"))

    op.drop_table("photo")
    with op.batch_alter_table("outcome_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_change_call_id"))

    op.drop_table("outcome_change")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_user_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_call_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))

    op.drop_table("audit_entry")
