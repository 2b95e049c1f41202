"""api_key scopes, expires_at, last_used_at; audit_entry.api_key_id

Existing keys get the scopes they could use before: links:write links:read calls:read.
An audit entry is a staff member's view (user_id) or an API key's (api_key_id).

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
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("api_key_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_entry_api_key_id"), ["api_key_id"])
        batch_op.create_foreign_key(
            "fk_audit_entry_api_key_id_api_key", "api_key", ["api_key_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_constraint("fk_audit_entry_api_key_id_api_key", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_audit_entry_api_key_id"))
        batch_op.drop_column("api_key_id")
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scopes")
