"""the review list's decision filter: its counts per outcome from one index

Under a decision filter the review list counts the matching calls per outcome; with
(decision, outcome) those counts come from the index alone, as they do under a purpose
or agent filter, instead of reading every matching call's row.

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_call_decision_outcome", "call", ["decision", "outcome"])


def downgrade() -> None:
    op.drop_index("ix_call_decision_outcome", table_name="call")
