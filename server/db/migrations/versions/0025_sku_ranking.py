"""analytics roll-up: the SKUs' calls and outcomes side by side, for their ranking

``/analytics`` asks for the top SKUs only (by calls, or by a category's share of their
calls). Two roll-up dimensions answer that without reading every SKU's outcome and
decision rows: ``sku_calls`` (calls per SKU) and ``sku_outcome`` (per outcome, its SKUs);
server/models/rollup.py describes them. Built here from the existing calls.

On PostgreSQL the primary key also carries ``n`` (``INCLUDE``), so a sum is read from the
index alone (an index-only scan) instead of one heap page per row: the roll-up's rows of
one dimension and month lie scattered over the table, and a year's SKU ranking read
tens of thousands of heap pages. SQLite's table is its primary key already (WITHOUT
ROWID). Autovacuum visits the table after 1% of its rows changed (not 20%), which keeps
those scans from falling back to the heap for long.

Revision ID: 0025_sku_ranking
Revises: 0024_cluster
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_sku_ranking"
down_revision: str | None = "0024_cluster"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMS = ("sku_calls", "sku_outcome")
KEY = "dim, level, bucket, purpose, gkey, kind, value"


# every call written updates dozens of roll-up rows, and an index-only scan reads the heap
# for each page changed since the last vacuum: vacuum after 1% of the rows changed, not 20%
VACUUM_OFTEN = (
    "autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01,"
    " autovacuum_analyze_scale_factor = 0.02"
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    from server.models.rollup import rebuild

    if _postgres():
        op.execute(
            "ALTER TABLE call_rollup DROP CONSTRAINT call_rollup_pkey,"
            f" ADD CONSTRAINT call_rollup_pkey PRIMARY KEY ({KEY}) INCLUDE (n)"
        )
        op.execute(f"ALTER TABLE call_rollup SET ({VACUUM_OFTEN})")
    rebuild(op.get_bind(), dims=DIMS)


def downgrade() -> None:
    table = sa.table("call_rollup", sa.column("dim"))
    op.execute(sa.delete(table).where(table.c.dim.in_(DIMS)))
    if _postgres():
        op.execute(
            "ALTER TABLE call_rollup RESET (autovacuum_vacuum_scale_factor,"
            " autovacuum_vacuum_insert_scale_factor, autovacuum_analyze_scale_factor)"
        )
        op.execute(
            "ALTER TABLE call_rollup DROP CONSTRAINT call_rollup_pkey,"
            f" ADD CONSTRAINT call_rollup_pkey PRIMARY KEY ({KEY})"
        )
