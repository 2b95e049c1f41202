"""The review list stays fast at 100,000 calls: on SQLite, every common filter is served
by an index (EXPLAIN QUERY PLAN shows SEARCH, never a full table scan) and the newest
page walks the created_at index without sorting. bench/review_query.py times it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import text
from sqlalchemy.dialects import sqlite
from sqlmodel import Session

from server.db.migrate import alembic_config, upgrade
from server.evidence.review_list import (
    CallFilter,
    counts_query,
    not_reached_query,
    page_query,
    total_query,
    untagged_query,
)

DAY = datetime(2026, 3, 1, tzinfo=UTC)
COMMON_FILTERS = {
    "outcome": CallFilter(outcome="damage"),
    "agent": CallFilter(agent_id=7),
    "purpose": CallFilter(purpose="product_demo"),
    "order_ref": CallFilter(order_ref="ORD-1042"),
    "order_ref_prefix": CallFilter(order_ref="ORD-10"),
    "dates": CallFilter(since=DAY, until=DAY.replace(day=8)),
    "untagged": CallFilter(untagged=True),
    "not_reached": CallFilter(not_reached=True),
    "outcome_and_dates": CallFilter(outcome="defect", since=DAY),
    "agent_and_dates": CallFilter(agent_id=7, since=DAY),
    "decision": CallFilter(decision="refund"),
}


def plan(app, query) -> list[str]:
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with Session(app.state.engine) as db:
        return [row[3] for row in db.exec(text("EXPLAIN QUERY PLAN " + sql)).all()]


def full_scans(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("SCAN") and "INDEX" not in line]


@pytest.mark.parametrize("name", list(COMMON_FILTERS))
def test_common_filters_search_an_index(app, name):
    flt = COMMON_FILTERS[name]
    page = plan(app, page_query(flt, page=3, per_page=25))
    assert page[0].startswith("SEARCH call USING INDEX"), page
    assert all("FOR ORDER BY" not in line for line in page) or name.startswith("order_ref"), page
    for query in (total_query(flt), counts_query(flt), untagged_query(flt), not_reached_query(flt)):
        lines = plan(app, query)
        assert not full_scans(lines), (name, lines)
        assert any("INDEX" in line for line in lines), (name, lines)


def test_the_newest_page_walks_the_created_at_index_without_sorting(app):
    flt = CallFilter()
    page = plan(app, page_query(flt, page=1, per_page=25))
    assert page == ["SCAN call USING INDEX ix_call_created_at"], page
    for query in (total_query(flt), counts_query(flt), untagged_query(flt)):
        assert not full_scans(plan(app, query))


def test_a_decision_filters_counts_per_outcome_come_from_the_index_alone(app):
    lines = plan(app, counts_query(CallFilter(decision="refund")))
    assert any("COVERING INDEX ix_call_decision_outcome" in line for line in lines), lines


def test_the_decision_index_migration_goes_down_and_up(app):
    url = app.state.settings.db_url
    app.state.engine.dispose()

    def indexes() -> set[str]:
        engine = sa.create_engine(url)
        try:
            return {ix["name"] for ix in sa.inspect(engine).get_indexes("call")}
        finally:
            engine.dispose()

    assert "ix_call_decision_outcome" in indexes()
    command.downgrade(alembic_config(url), "0015")
    assert "ix_call_decision_outcome" not in indexes()
    upgrade(url)
    assert "ix_call_decision_outcome" in indexes()
