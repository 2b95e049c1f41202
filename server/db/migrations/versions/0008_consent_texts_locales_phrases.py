"""consent texts per purpose, locale and version; the call's consent and buyer time zone;
staff locale and time zone; quick phrases

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

import server.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the shipped quick phrases are stored once, here; from then on they are the shop's
PHRASES_FILE = Path(server.db.__file__).parent.parent / "phrases" / "defaults.json"


def upgrade() -> None:
    op.create_table(
        "consent_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("paragraphs", sa.JSON(), nullable=False),
        sa.Column("recorded_note", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", server.db.UTCDateTime(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("purpose", "locale", "version", name="uq_consent_text_version"),
    )
    phrases = op.create_table(
        "quick_phrase",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("created_at", server.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", server.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    now = datetime.now(UTC)
    shipped = json.loads(PHRASES_FILE.read_text(encoding="utf-8"))
    op.bulk_insert(
        phrases,
        [
            {"position": i, "active": True, "texts": texts, "created_at": now, "updated_at": now}
            for i, texts in enumerate(shipped)
        ],
    )
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_decision", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("consent_at", server.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("consent_locale", sa.String(length=35), nullable=True))
        batch_op.add_column(sa.Column("consent_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("buyer_timezone", sa.String(length=64), nullable=True))
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locale", sa.String(length=35), nullable=False, server_default="en")
        )
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("timezone")
        batch_op.drop_column("locale")
    with op.batch_alter_table("call", schema=None) as batch_op:
        for column in (
            "buyer_timezone",
            "consent_version",
            "consent_locale",
            "consent_at",
            "consent_decision",
        ):
            batch_op.drop_column(column)
    op.drop_table("quick_phrase")
    op.drop_table("consent_text")
