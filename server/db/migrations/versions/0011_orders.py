"""orders on links: the order a link is about, copied to each call made from it, with
the keys the review list filters on (carrier, channel, buyer's country, SKUs)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("link") as batch:
        batch.add_column(sa.Column("order", sa.JSON(), nullable=True))
    with op.batch_alter_table("call") as batch:
        batch.add_column(sa.Column("order", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("carrier_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("channel_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("buyer_country", sa.String(2), nullable=True))
    op.create_index("ix_call_carrier_created", "call", ["carrier_key", "created_at"])
    op.create_index("ix_call_channel_created", "call", ["channel_key", "created_at"])
    op.create_index("ix_call_country_created", "call", ["buyer_country", "created_at"])
    # counts per outcome under an order filter come from the index alone
    op.create_index("ix_call_carrier_outcome", "call", ["carrier_key", "outcome"])
    op.create_index("ix_call_channel_outcome", "call", ["channel_key", "outcome"])
    op.create_index("ix_call_country_outcome", "call", ["buyer_country", "outcome"])
    op.create_table(
        "call_sku",
        sa.Column("call_id", sa.String(64), sa.ForeignKey("call.id"), primary_key=True),
        sa.Column("sku_key", sa.String(64), primary_key=True),
    )
    op.create_index("ix_call_sku_sku_key", "call_sku", ["sku_key"])


def downgrade() -> None:
    op.drop_index("ix_call_sku_sku_key", table_name="call_sku")
    op.drop_table("call_sku")
    for name in ("ix_call_country_outcome", "ix_call_channel_outcome", "ix_call_carrier_outcome"):
        op.drop_index(name, table_name="call")
    op.drop_index("ix_call_country_created", table_name="call")
    op.drop_index("ix_call_channel_created", table_name="call")
    op.drop_index("ix_call_carrier_created", table_name="call")
    with op.batch_alter_table("call") as batch:
        batch.drop_column("buyer_country")
        batch.drop_column("channel_key")
        batch.drop_column("carrier_key")
        batch.drop_column("order")
    with op.batch_alter_table("link") as batch:
        batch.drop_column("order")
