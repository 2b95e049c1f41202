"""analytics roll-up: the SKUs' calls and outcomes side by side, for their ranking

``/analytics`` asks for the top SKUs only (by calls, or by a category's share of their
calls). Two roll-up dimensions answer that without reading every SKU's outcome and
decision rows: ``sku_calls`` (calls per SKU) and ``sku_outcome`` (per outcome, its SKUs);
server/models/rollup.py describes them. Built here from the existing calls.

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


def upgrade() -> None:
    from server.models.rollup import rebuild

    rebuild(op.get_bind(), dims=DIMS)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM call_rollup WHERE dim IN ('sku_calls', 'sku_outcome')"))
