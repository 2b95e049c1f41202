"""cases: what a buyer records without a live agent (submissions, files), replies

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString
T = server.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("outcome", S(length=32), nullable=True),
        sa.Column("decision", S(length=32), nullable=True),
        sa.Column("outcome_note", S(length=1000), nullable=True),
        sa.Column("outcome_by_user_id", sa.Integer(), nullable=True),
        sa.Column("outcome_at", T(), nullable=True),
        sa.ForeignKeyConstraint(["link_id"], ["link.id"]),
        sa.ForeignKeyConstraint(["outcome_by_user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case") as batch_op:
        batch_op.create_index(batch_op.f("ix_case_link_id"), ["link_id"], unique=True)
    op.create_table(
        "case_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("note", S(length=2000), nullable=True),
        sa.Column("locale", S(length=35), nullable=True),
        sa.Column("submitted_at", T(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_submission") as batch_op:
        batch_op.create_index(batch_op.f("ix_case_submission_case_id"), ["case_id"], unique=False)
    op.create_table(
        "case_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("upload_id", S(length=64), nullable=False),
        sa.Column("storage_key", S(length=255), nullable=False),
        sa.Column("step", S(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("state", S(length=16), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("offset", sa.Integer(), nullable=False),
        sa.Column("content_type", S(length=64), nullable=True),
        sa.Column("container", S(length=32), nullable=True),
        sa.Column("codecs", S(length=64), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("sha256", S(length=64), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("created_at", T(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["case_submission.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_file") as batch_op:
        batch_op.create_index(batch_op.f("ix_case_file_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_file_upload_id"), ["upload_id"], unique=True)
    op.create_table(
        "case_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("text", S(length=1000), nullable=True),
        sa.Column("phrase_key", S(length=64), nullable=True),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("at", T(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["by_user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_reply") as batch_op:
        batch_op.create_index(batch_op.f("ix_case_reply_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    for table in ("case_reply", "case_file", "case_submission", "case"):
        op.drop_table(table)
