"""api_key scopes, expires_at, last_used_at

Existing keys get the scopes they could use before: links:write links:read calls:read.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_SCOPES = "links:write links:read calls:read"


def upgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "scopes",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default=DEFAULT_SCOPES,
            )
        )
        batch_op.add_column(sa.Column("expires_at", server.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", server.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scopes")
