"""cluster: the node each call runs on

With several nodes sharing one database, restart recovery may only end the calls of a
node that is gone (its heartbeat expired, or it is the node restarting): ``call.node_id``
names the node whose relay carries the call. Null for calls made before it (one server
per database, where every open call is a dead process's).

Revision ID: 0024_cluster
Revises: 0023
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_cluster"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("call", sa.Column("node_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # ALTER TABLE DROP COLUMN (SQLite 3.35+ too): a batch copy of the table would trip
    # the foreign keys of the rows that point at the calls
    op.drop_column("call", "node_id")
