"""a case's verdict history (as a call's), its review state, and stills from its clips

A case's verdict set before this revision becomes the first entry of its history (a
``set`` by whoever set it, at the time it was set).

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.db

revision: str = "0016"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString
T = server.db.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("case") as batch_op:
        batch_op.add_column(sa.Column("review_state", S(length=16), nullable=True))
    with op.batch_alter_table("case_file") as batch_op:
        batch_op.add_column(sa.Column("source_file_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("source_t_ms", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_case_file_source_file_id", "case_file", ["source_file_id"], ["id"]
        )
    op.create_table(
        "case_outcome_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("action", S(length=16), nullable=False),
        sa.Column("outcome", S(length=32), nullable=True),
        sa.Column("decision", S(length=16), nullable=True),
        sa.Column("note", S(length=2000), nullable=True),
        sa.Column("reason", S(length=2000), nullable=True),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("at", T(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["by_user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_outcome_change") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_outcome_change_case_id"), ["case_id"], unique=False
        )
    # every verdict set so far: the first entry of its case's history
    op.execute(
        "INSERT INTO case_outcome_change"
        " (case_id, action, outcome, decision, note, by_user_id, at) "
        "SELECT id, 'set', outcome, decision, outcome_note, outcome_by_user_id, "
        'COALESCE(outcome_at, created_at) FROM "case" WHERE outcome IS NOT NULL'
    )


def downgrade() -> None:
    with op.batch_alter_table("case_outcome_change") as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_outcome_change_case_id"))
    op.drop_table("case_outcome_change")
    with op.batch_alter_table("case_file") as batch_op:
        batch_op.drop_constraint("fk_case_file_source_file_id", type_="foreignkey")
        batch_op.drop_column("source_t_ms")
        batch_op.drop_column("source_file_id")
    # a plain ALTER (SQLite 3.35+, PostgreSQL): rebuilding "case" would break the keys of
    # the rows that name it
    op.execute('ALTER TABLE "case" DROP COLUMN review_state')
