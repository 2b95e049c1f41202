"""analytics roll-up: calls pre-counted per UTC hour, day and month

A whole year's figures are then read from at most a few thousand pre-counted rows
instead of every call of the year. ``call_rollup`` (server/models/rollup.py) is built here
from the existing calls and kept up to date in the transaction that writes a call;
``call.answer_us`` / ``handle_us`` (indexed with created_at) let a percentile be read
exactly inside the whole second the roll-up's histogram names.

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the analytics under an agent, carrier, channel or country filter read these indexes
# alone (server.models.call.FILTERED_FIGURES); the review list uses their first columns
FILTER_INDEXES = {
    "ix_call_agent_created": "agent_id",
    "ix_call_carrier_created": "carrier_key",
    "ix_call_channel_created": "channel_key",
    "ix_call_country_created": "buyer_country",
}
FILTERED_FIGURES = [
    "purpose",
    "outcome",
    "decision",
    "answered_at",
    "ended_at",
    "end_reason",
    "answer_us",
    "handle_us",
    "agent_id",
    "carrier_key",
    "channel_key",
    "buyer_country",
    "id",
]


def upgrade() -> None:
    from server.models.rollup import rebuild

    with op.batch_alter_table("call") as batch:
        batch.add_column(sa.Column("answer_us", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("handle_us", sa.BigInteger(), nullable=True))
    op.create_index("ix_call_answer_us", "call", ["answer_us", "created_at"])
    op.create_index("ix_call_handle_us", "call", ["handle_us", "created_at"])
    for name, column in FILTER_INDEXES.items():
        op.drop_index(name, table_name="call")
        rest = [c for c in FILTERED_FIGURES if c != column]
        op.create_index(name, "call", [column, "created_at", *rest])
    op.create_table(
        "call_rollup",
        sa.Column("dim", sa.String(16), nullable=False),
        sa.Column("level", sa.String(1), nullable=False),
        sa.Column("bucket", sa.DateTime(), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("gkey", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(1), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("dim", "level", "bucket", "purpose", "gkey", "kind", "value"),
        sqlite_with_rowid=False,
    )
    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("call_rollup")
    for name, column in FILTER_INDEXES.items():
        op.drop_index(name, table_name="call")
        op.create_index(name, "call", [column, "created_at"])
    op.drop_index("ix_call_handle_us", table_name="call")
    op.drop_index("ix_call_answer_us", table_name="call")
    # ALTER TABLE DROP COLUMN (SQLite 3.35+ too): a batch copy of the table would trip
    # the foreign keys of the rows that point at the calls
    op.drop_column("call", "handle_us")
    op.drop_column("call", "answer_us")
