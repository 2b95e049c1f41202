"""outcome taxonomy: codes in return-reason categories, the shipped codes mapped onto them

Existing calls, cases and verdict histories keep their codes: each of the five codes
shipped so far becomes a row of ``outcome_code`` in its default category, so every stored
outcome is a code of the shop's taxonomy. The analytics read a period's calls from one
covering index.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.db import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATEGORIES = [
    ("product", "Product"),
    ("logistics", "Logistics"),
    ("buyer", "Buyer"),
    ("no_fault_found", "No fault found"),
    ("inconclusive", "Inconclusive"),
]
# the five codes shipped before this revision keep their labels; the rest are new defaults
CODES = [
    ("damage", "Damaged in transit", "logistics"),
    ("defect", "Manufacturing or quality defect", "product"),
    ("misuse", "Caused by the buyer", "buyer"),
    ("no_fault_found", "No fault found", "no_fault_found"),
    ("inconclusive", "Inconclusive", "inconclusive"),
    ("not_as_described", "Not as described", "product"),
    ("wrong_size", "Wrong size or fit", "product"),
    ("missing_parts", "Missing parts", "product"),
    ("wrong_item", "Wrong item shipped", "logistics"),
    ("lost_in_transit", "Lost in transit", "logistics"),
    ("changed_mind", "Changed their mind", "buyer"),
]

ANALYTICS_COLUMNS = [
    "created_at",
    "outcome",
    "decision",
    "answered_at",
    "ended_at",
    "end_reason",
    "agent_id",
    "carrier_key",
    "channel_key",
    "buyer_country",
    "purpose",
    "id",
]


def upgrade() -> None:
    category = op.create_table(
        "outcome_category",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("label", sa.String(80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
    )
    code = op.create_table(
        "outcome_code",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("label", sa.String(80), nullable=False),
        sa.Column(
            "category", sa.String(32), sa.ForeignKey("outcome_category.code"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
    )
    op.bulk_insert(
        category,
        [{"code": c, "label": lbl, "position": n} for n, (c, lbl) in enumerate(CATEGORIES)],
    )
    op.bulk_insert(
        code,
        [
            {"code": c, "label": lbl, "category": cat, "position": n}
            for n, (c, lbl, cat) in enumerate(CODES)
        ],
    )
    # a code some earlier data holds that is not a default (none should be) still gets a
    # row, in "inconclusive", so that every stored outcome stays a known code
    known = {c for c, _, _ in CODES}
    conn = op.get_bind()
    stored = set()
    for table in ("call", "outcome_change", "case"):
        column = sa.table(table, sa.column("outcome")).c.outcome
        rows = conn.execute(sa.select(column).distinct()).all()
        stored |= {r[0] for r in rows if r[0] is not None}
    extra = sorted(stored - known)
    if extra:
        op.bulk_insert(
            code,
            [
                {
                    "code": c,
                    "label": c.replace("_", " "),
                    "category": "inconclusive",
                    "position": len(CODES) + n,
                }
                for n, c in enumerate(extra)
            ],
        )
    # the analytics: a period's calls with every column its figures read, from the index
    # alone (no lookup of each call's row)
    op.create_index("ix_call_analytics", "call", ANALYTICS_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_call_analytics", table_name="call")
    op.drop_table("outcome_code")
    op.drop_table("outcome_category")
