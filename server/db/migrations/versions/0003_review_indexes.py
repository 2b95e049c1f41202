"""review indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.create_index("ix_call_agent_outcome", ["agent_id", "outcome"], unique=False)
        batch_op.create_index("ix_call_decision_created", ["decision", "created_at"], unique=False)
        batch_op.create_index("ix_call_purpose_outcome", ["purpose", "outcome"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_index("ix_call_purpose_outcome")
        batch_op.drop_index("ix_call_decision_created")
        batch_op.drop_index("ix_call_agent_outcome")
