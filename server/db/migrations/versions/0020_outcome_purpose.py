"""outcome categories of a purpose: a product demo's results apart from return reasons

Every category gets the purpose whose verdicts its codes are; the existing ones are a
damage check's (a remote inspection shares them). A product demo gets a category of its
own with five codes (purchased, will decide later, not interested, question answered,
referred), so a demo is never tagged, nor counted, as a complaint.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEMO = "product_demo"
DEMO_CATEGORY = ("demo_result", "Demo result")
DEMO_CODES = [
    ("purchased", "Purchased"),
    ("decide_later", "Will decide later"),
    ("not_interested", "Not interested"),
    ("question_answered", "Question answered"),
    ("referred", "Referred"),
]


def upgrade() -> None:
    op.add_column(
        "outcome_category",
        sa.Column("purpose", sa.String(32), nullable=False, server_default="damage_verification"),
    )
    conn = op.get_bind()
    category = sa.table(
        "outcome_category",
        sa.column("code"),
        sa.column("label"),
        sa.column("position"),
        sa.column("purpose"),
    )
    code = sa.table(
        "outcome_code",
        sa.column("code"),
        sa.column("label"),
        sa.column("category"),
        sa.column("position"),
    )
    taken = {r[0] for r in conn.execute(sa.select(code.c.code)).all()}
    if conn.execute(sa.select(category.c.code).where(category.c.code == DEMO_CATEGORY[0])).first():
        return  # a shop made one of that name itself: leave its taxonomy as it is
    top = conn.execute(sa.select(sa.func.max(category.c.position))).scalar() or 0
    conn.execute(
        category.insert().values(
            code=DEMO_CATEGORY[0], label=DEMO_CATEGORY[1], position=top + 1, purpose=DEMO
        )
    )
    last = conn.execute(sa.select(sa.func.max(code.c.position))).scalar() or 0
    rows = [
        {"code": c, "label": lbl, "category": DEMO_CATEGORY[0], "position": last + 1 + n}
        for n, (c, lbl) in enumerate(DEMO_CODES)
        if c not in taken
    ]
    if rows:
        conn.execute(code.insert(), rows)
    # a demo code already there (kept by a downgrade of this revision) is a demo's again
    again = [c for c, _ in DEMO_CODES if c in taken]
    if again:
        conn.execute(code.update().where(code.c.code.in_(again)).values(category=DEMO_CATEGORY[0]))


def downgrade() -> None:
    conn = op.get_bind()
    code = sa.table("outcome_code", sa.column("code"), sa.column("category"))
    category = sa.table("outcome_category", sa.column("code"), sa.column("purpose"))
    demo = sa.select(category.c.code).where(category.c.purpose != "damage_verification")
    # the demo codes move to the first damage category rather than vanish from old calls
    first = conn.execute(
        sa.select(category.c.code).where(category.c.purpose == "damage_verification").limit(1)
    ).scalar()
    if first is not None:
        conn.execute(code.update().where(code.c.category.in_(demo)).values(category=first))
        conn.execute(category.delete().where(category.c.purpose != "damage_verification"))
    # a plain ALTER TABLE (SQLite >= 3.35 has DROP COLUMN): a batch copy would drop the
    # table the codes' foreign key points at
    op.drop_column("outcome_category", "purpose")
