"""QA scores: the shop's rubric, reviewers' scores of calls, comments at video times

The shipped rubric is stored once here (admins change it on /admin afterwards): four
criteria, two on a 1-5 scale and two pass/fail.

Revision ID: 0019
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString
T = server.db.UTCDateTime

# label, hint, scale, points, weight
DEFAULT_RUBRIC = [
    (
        "Asked for the right shots",
        "The agent asked for the views the claim needs: the label, the damage close up, "
        "the packaging.",
        "points",
        5,
        3,
    ),
    (
        "Correct verdict",
        "The outcome and decision match what the recording shows.",
        "pass_fail",
        None,
        4,
    ),
    (
        "Policy followed",
        "Refunds, replacements and returns as the shop's policy says.",
        "pass_fail",
        None,
        3,
    ),
    (
        "Tone with the buyer",
        "Polite, clear, patient; the buyer knows what happens next.",
        "points",
        5,
        2,
    ),
]


def upgrade() -> None:
    criterion = op.create_table(
        "qa_criterion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", S(length=80), nullable=False),
        sa.Column("hint", S(length=300), nullable=True),
        sa.Column("scale", sa.String(16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired_at", T(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "qa_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", S(length=64), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("total_pct", sa.Float(), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("updated_at", T(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"]),
        sa.ForeignKeyConstraint(["reviewer_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["agent_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_id", "reviewer_id", name="uq_qa_score_reviewer"),
    )
    op.create_index("ix_qa_score_call_id", "qa_score", ["call_id"])
    op.create_index("ix_qa_score_agent_id", "qa_score", ["agent_id"])
    op.create_table(
        "qa_score_item",
        sa.Column("score_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("scale", S(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["score_id"], ["qa_score.id"]),
        sa.ForeignKeyConstraint(["criterion_id"], ["qa_criterion.id"]),
        sa.PrimaryKeyConstraint("score_id", "criterion_id"),
    )
    op.create_table(
        "qa_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", S(length=64), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("video_ms", sa.Integer(), nullable=False),
        sa.Column("text", S(length=1000), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_qa_comment_call_id", "qa_comment", ["call_id"])
    op.bulk_insert(
        criterion,
        [
            {
                "label": lbl,
                "hint": hint,
                "scale": scale,
                "points": points,
                "weight": w,
                "position": n,
            }
            for n, (lbl, hint, scale, points, w) in enumerate(DEFAULT_RUBRIC)
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_qa_comment_call_id", table_name="qa_comment")
    op.drop_table("qa_comment")
    op.drop_table("qa_score_item")
    op.drop_index("ix_qa_score_agent_id", table_name="qa_score")
    op.drop_index("ix_qa_score_call_id", table_name="qa_score")
    op.drop_table("qa_score")
    op.drop_table("qa_criterion")
