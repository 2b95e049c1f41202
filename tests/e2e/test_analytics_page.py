"""/analytics in real Chromium: for a seeded set of calls every count on the page equals
the number of seeded calls its review-list link selects (decided from the rows), the
service figures equal those computed from the rows, each table's CSV equals the table,
the charts draw their bars, and clicking a bar opens the review list with exactly the
calls behind it."""

from __future__ import annotations

import csv as csv_module
import io
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect
from sqlmodel import Session

from server.models.qa import QaScore
from tests.helpers.accounts import add_user
from tests.helpers.analytics_data import (
    DEMO,
    DEMO_CODES,
    RETURN_PURPOSES,
    START,
    Seeded,
    category_of,
    expected_rows,
    expected_service,
    matching,
    seed_calls,
)
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import NotYet, page_pause, wait_until

INDIA = ZoneInfo("Asia/Kolkata")
SECTIONS = ["category", "decision", "week", "carrier", "sku", "country", "channel", "agent"]
RETURN_TABLES = [*SECTIONS, "sku-rate", "carrier-rate"]
TABLES = [*RETURN_TABLES, "demo"]
DEMO_WORDS = "Demo result"  # the demo category's label (migration 0020)
# every word a chart shows: its labels and its datasets' (the legend's)
WORDS_JS = """(canvas) => {
  const chart = Chart.getChart(canvas);
  return [...chart.data.labels.map(String), ...chart.data.datasets.map((d) => d.label)];
}"""

# every count link on the page: (its number, its review-list parameters)
LINKS_JS = """() => [...document.querySelectorAll('[data-testid="analytics-count"]')].map((a) => {
  const cell = a.closest('[data-value]');
  return [cell ? cell.dataset.value : a.textContent, a.getAttribute('href')];
})"""
TABLE_JS = """(table) => [...table.rows].map((tr) => [...tr.cells].map(
  (cell) => cell.dataset.value ?? cell.textContent.trim()))"""
CHART_JS = """(canvas) => {
  const chart = Chart.getChart(canvas);
  const bars = chart.data.datasets.map((_, i) => chart.getDatasetMeta(i).data.length);
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  const values = chart.data.datasets.map((d) => d.data);
  return { bars, painted, values };
}"""
BAR_JS = """([canvas, dataset, index]) => {
  const point = Chart.getChart(canvas).getDatasetMeta(dataset).data[index].getCenterPoint();
  return { x: point.x, y: point.y };
}"""


LOADS_JS = "() => Number(document.body.dataset.loaded || 0)"


def _loaded(page: Page, before: int) -> int:
    """Wait until the page has drawn its figures more than ``before`` times."""
    return wait_until(
        lambda: (n := page.evaluate(LOADS_JS)) > before and n,
        20,
        "the analytics to load",
        pause=page_pause(page),
    )


def _show_period(page: Page) -> None:
    page.get_by_test_id("analytics-period").select_option("custom")
    page.get_by_test_id("analytics-since").fill(START.date().isoformat())
    page.get_by_test_id("analytics-until").fill((START + timedelta(days=27)).date().isoformat())
    page.get_by_test_id("analytics-apply").click()
    want = {"since": "2026-11-02T00:00:00.000Z", "until": "2026-11-30T00:00:00.000Z"}

    def shown() -> bool | NotYet:
        link = page.get_by_test_id("analytics-figure").first.get_by_test_id("analytics-count")
        href = link.get_attribute("href") if link.count() else None
        got = dict(parse_qsl(urlsplit(href).query)) if href else {}
        return got == want or NotYet(str(got))

    wait_until(shown, 20, "the chosen period's figures", pause=page_pause(page))


# every table's last column can be brought into view inside its card: the table fits its
# scroll box, or the box scrolls that far; the box itself stays inside the card
REACH_JS = """() => {
  const out = [];
  for (const table of document.querySelectorAll('[data-testid="analytics-table"]')) {
    const box = table.closest('.table-scroll');
    const card = table.closest('.panel');
    if (!box || !card) { out.push([table.dataset.table, 'no scroll box']); continue; }
    box.scrollLeft = box.scrollWidth;
    const cells = table.querySelectorAll('thead th');
    const last = cells[cells.length - 1].getBoundingClientRect();
    const b = box.getBoundingClientRect();
    const c = card.getBoundingClientRect();
    if (last.right > b.right + 1 || b.right > c.right + 1) {
      out.push([table.dataset.table, last.right, b.right, c.right]);
    }
    box.scrollLeft = 0;
  }
  return out;
}"""


def _table(page: Page, name: str) -> list[list[str]]:
    table = page.locator(f'[data-testid="analytics-table"][data-table="{name}"]')
    return page.evaluate(TABLE_JS, table.element_handle())


def _expect_rate_rankings(page: Page, seeded: list[Seeded]) -> None:
    """The fault-rate tables list the keys the server ranked first: by the category's
    share of their calls, then by those calls, then by key, decided here from the rows."""
    for name, group, category in (
        ("sku-rate", "sku", "product"),
        ("carrier-rate", "carrier", "logistics"),
    ):
        whole = expected_rows(seeded, group)

        def faults(key: str, rows: dict = whole, cat: str = category) -> int:
            return sum(n for code, n in rows[key]["by_outcome"].items() if category_of(code) == cat)

        keys = [k for k in whole if k is not None]
        keys.sort(key=lambda k: (-Fraction(faults(k), whole[k]["calls"]), -faults(k), k))
        assert [row[0] for row in _table(page, name)[1:]] == keys[:10], name


def _expect_demo_results(page: Page, seeded: list[Seeded], params: dict[str, str]) -> None:
    """The demo section's table: calls per demo result of the period and ``params``,
    counted here from the rows."""
    period = {"since": START.isoformat(), "until": (START + timedelta(days=28)).isoformat()}
    cells = _table(page, "demo")
    shown = {row[0]: int(row[1]) for row in cells[1:]}
    want = {
        code: len(matching(seeded, {**period, **params, "purpose": DEMO, "outcome": code}))
        for code in DEMO_CODES
    }
    labels = {
        "purchased": "Purchased",
        "decide_later": "Will decide later",
        "not_interested": "Not interested",
        "question_answered": "Question answered",
        "referred": "Referred",
    }
    assert shown == {labels[code]: n for code, n in want.items()}
    assert sum(want.values()) > 10


def test_every_figure_and_chart_stands_for_exactly_its_calls(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    app = live_server.app
    agents = [add_user(app, f"a{i}@shop.test", "agent", f"Agent {i}") for i in range(3)]
    add_user(app, "sup@shop.test", "supervisor", "Sue Supervisor")
    seeded = seed_calls(app, agents, 160, start=START, demos=40)
    page = open_participant("supervisor", timezone_id="UTC").page
    sign_in(page, "sup@shop.test", landing="/review")
    outcome_requests: list[str] = []
    page.on(
        "request",
        lambda r: "/api/analytics/outcomes" in r.url and outcome_requests.append(r.url),
    )
    page.goto("/analytics")
    _loaded(page, 0)
    _show_period(page)

    links = page.evaluate(LINKS_JS)
    assert len(links) > 100
    for value, href in links:
        params = dict(parse_qsl(urlsplit(href).query))
        assert urlsplit(href).path == "/review"
        assert float(value) == len(matching(seeded, params)), (href, value)

    service = expected_service(seeded)
    figures = {
        f.get_attribute("data-figure"): f.get_attribute("data-value")
        for f in page.get_by_test_id("analytics-figure").all()
    }
    for name, key in [
        ("calls", "calls"),
        ("answered", "answered"),
        ("answer_p50", "answer_p50_s"),
        ("answer_p90", "answer_p90_s"),
        ("handle_p50", "handle_p50_s"),
        ("handle_mean", "handle_mean_s"),
        ("left_queue", "left_queue"),
        ("untagged", "untagged"),
        ("not_reached", "not_reached"),
    ]:
        assert float(figures[name]) == service[key], name
    decided = [c for c in seeded if c.decision and c.purpose in RETURN_PURPOSES]
    settled = sum(c.decision != "refund" for c in decided) / len(decided)
    assert float(figures["settled"]) == round(settled, 4)

    for name in TABLES:
        table = page.locator(f'[data-testid="analytics-table"][data-table="{name}"]')
        cells = page.evaluate(TABLE_JS, table.element_handle())
        href = page.locator(f'[data-testid="analytics-export"][data-table="{name}"]').get_attribute(
            "href"
        )
        assert href.startswith("data:text/csv;charset=utf-8,")
        text = unquote(href.split(",", 1)[1])
        lines = list(csv_module.reader(io.StringIO(text, newline="")))
        assert lines == cells, name
        assert len(cells) > 1, name

    for name in [*SECTIONS, "demo"]:
        canvas = page.locator(f'canvas[data-testid="analytics-chart"][data-chart="{name}"]')
        drawn = page.evaluate(CHART_JS, canvas.element_handle())
        assert drawn["painted"] > 1000, name
        rows = page.locator(f'[data-testid="analytics-table"][data-table="{name}"] tbody tr')
        assert all(n == rows.count() for n in drawn["bars"]), (name, drawn["bars"])
    # a demo's results are no return reason: in no return-reason chart, legend or table
    for name in SECTIONS:
        canvas = page.locator(f'canvas[data-testid="analytics-chart"][data-chart="{name}"]')
        words = page.evaluate(WORDS_JS, canvas.element_handle())
        assert DEMO_WORDS not in words, (name, words)
    for name in RETURN_TABLES:
        table = page.locator(f'[data-testid="analytics-table"][data-table="{name}"]')
        expect(table).not_to_contain_text(DEMO_WORDS)
    _expect_demo_results(page, seeded, {})
    _expect_rate_rankings(page, seeded)
    # the page asks the server for the top SKUs, never for every SKU
    asked = [dict(parse_qsl(urlsplit(u).query)) for u in outcome_requests]
    skus = [q for q in asked if q.get("group_by") == "sku"]
    assert {(q.get("limit"), q.get("rank_by")) for q in skus} == {("12", None), ("10", "product")}

    for size in ({"width": 390, "height": 844}, {"width": 1366, "height": 768}):
        page.set_viewport_size(size)
        hidden = page.evaluate(REACH_JS)
        assert hidden == [], (size, hidden)
    shoot(page, "analytics", laptop=True)

    # a bar of the carrier chart: the first carrier's logistics calls
    canvas = page.locator('canvas[data-testid="analytics-chart"][data-chart="carrier"]')
    first_carrier = page.locator(
        '[data-testid="analytics-table"][data-table="carrier"] tbody tr th'
    ).first.text_content()
    logistics = 1  # the categories' order: product, logistics, ...
    point = page.evaluate(BAR_JS, [canvas.element_handle(), logistics, 0])
    behind = matching(
        seeded,
        {
            "since": START.isoformat(),
            "until": (START + timedelta(days=28)).isoformat(),
            "carrier": first_carrier,
            "category": "logistics",
        },
    )
    assert 0 < len(behind) <= 25
    canvas.click(position=point)
    page.wait_for_url("**/review?**")
    rows = page.get_by_test_id("session-row")
    expect(rows).to_have_count(len(behind))
    shown = {r.get_attribute("data-session-id") for r in rows.all()}
    assert shown == {c.id for c in behind}
    expect(page.get_by_test_id("linked-filters")).to_be_visible()
    expect(page.get_by_test_id("linked-filters")).to_contain_text("return reasons only")
    expect(page.get_by_test_id("filter-carrier")).to_have_value(first_carrier)
    shoot(page, "analytics-review-list")


def test_the_page_is_for_supervisors_and_admins(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    add_user(live_server.app, "ana@shop.test", "agent", "Ana")
    page = open_participant("agent").page
    sign_in(page, "ana@shop.test")
    answer = page.goto("/analytics")
    assert answer is not None and answer.status == 403


def _qa_table(page: Page) -> dict[str, tuple[int, float]]:
    """The QA card's agents: name -> (scores, mean total)."""
    return {row[0]: (int(row[1]), float(row[2])) for row in _table(page, "qa")[1:]}


def _expected_qa(
    scored: list[tuple[Seeded, float]], names: dict[int, str], keep
) -> dict[str, tuple[int, float]]:
    found: dict[str, list[float]] = {}
    for call, total in scored:
        if keep(call):
            found.setdefault(names[call.agent_id or 0], []).append(total)
    return {k: (len(v), round(sum(v) / len(v), 1)) for k, v in found.items()}


def test_a_demo_purpose_shows_only_demo_results_and_the_qa_card_follows_the_filters(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    app = live_server.app
    agents = [add_user(app, f"a{i}@shop.test", "agent", f"Agent {i}") for i in range(3)]
    names = {agent: f"Agent {i}" for i, agent in enumerate(agents)}
    sue = add_user(app, "sup@shop.test", "supervisor", "Sue Supervisor")
    seeded = seed_calls(app, agents, 160, start=START, demos=40)
    # a QA score on every fourth answered call, demos among them
    answered = [c for c in seeded if c.agent_id is not None]
    scored = [(c, float(40 + (n * 7) % 60)) for n, c in enumerate(answered) if n % 4 == 0]
    assert {c.purpose for c, _ in scored} >= {DEMO, "damage_verification"}
    with Session(app.state.engine) as db:
        for call, total in scored:
            db.add(
                QaScore(
                    call_id=call.id,
                    reviewer_id=sue,
                    agent_id=call.agent_id,
                    total_pct=total,
                    created_at=call.ended_at,
                    updated_at=call.ended_at,
                )
            )
        db.commit()
    page = open_participant("supervisor", timezone_id="UTC").page
    sign_in(page, "sup@shop.test", landing="/review")
    page.goto("/analytics")
    _loaded(page, 0)
    _show_period(page)
    assert _qa_table(page) == _expected_qa(scored, names, lambda c: True)

    before = page.evaluate(LOADS_JS)
    page.get_by_test_id("analytics-filter-purpose").select_option(DEMO)
    _loaded(page, before)
    for name in RETURN_TABLES:  # no return reason counted: every count 0 (no link)
        section = page.locator(f'[data-testid="analytics-section"][data-section="{name}"]')
        expect(section.get_by_test_id("analytics-note")).to_contain_text("no return reasons")
        expect(section.get_by_test_id("analytics-chart")).to_have_count(0)
        table = page.locator(f'[data-testid="analytics-table"][data-table="{name}"]')
        expect(table.get_by_test_id("analytics-count")).to_have_count(0)
        assert all(
            float(cell) == 0 for row in _table(page, name)[1:] for cell in row[1:] if cell
        ), name
    _expect_demo_results(page, seeded, {})
    assert _qa_table(page) == _expected_qa(scored, names, lambda c: c.purpose == DEMO)
    links = page.evaluate(LINKS_JS)
    assert links, "the demo results link to the review list"
    for value, href in links:
        params = dict(parse_qsl(urlsplit(href).query))
        assert float(value) == len(matching(seeded, params)), (href, value)
    shoot(page, "analytics-demo", laptop=True)

    # a return purpose: its return reasons, no demo results, its calls' QA scores
    before = page.evaluate(LOADS_JS)
    page.get_by_test_id("analytics-filter-purpose").select_option("damage_verification")
    _loaded(page, before)
    expect(
        page.locator('[data-testid="analytics-section"][data-section="demo"]')
    ).to_have_attribute("data-rows", str(len(DEMO_CODES)))
    assert all(int(row[1]) == 0 for row in _table(page, "demo")[1:])
    demo_section = page.locator('[data-testid="analytics-section"][data-section="demo"]')
    expect(demo_section.get_by_test_id("analytics-note")).to_be_visible()
    expect(
        page.locator('[data-testid="analytics-section"][data-section="category"]')
    ).not_to_contain_text("no return reasons")
    assert _qa_table(page) == _expected_qa(
        scored, names, lambda c: c.purpose == "damage_verification"
    )
    # and an agent as well
    agent = agents[1]
    before = page.evaluate(LOADS_JS)
    page.get_by_test_id("analytics-filter-agent").select_option(str(agent))
    _loaded(page, before)
    assert _qa_table(page) == _expected_qa(
        scored, names, lambda c: c.purpose == "damage_verification" and c.agent_id == agent
    )


def test_a_viewer_in_india_counts_weeks_from_their_monday_and_each_week_opens_its_calls(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    # Monday 00:00 in Asia/Kolkata (+5:30) is Sunday 18:30 UTC: calls either side of it
    app = live_server.app
    agents = [add_user(app, "a@shop.test", "agent", "Agent A")]
    add_user(app, "sup@shop.test", "supervisor", "Sue Supervisor")
    mondays = [datetime(2026, 11, d, tzinfo=INDIA).astimezone(UTC) for d in (9, 16, 23)]
    near = [m + timedelta(seconds=s) for m in mondays for s in (-1500, -60, 0, 60, 1500)]
    seeded = seed_calls(app, agents, 90, start=START, at=near)
    page = open_participant("supervisor", timezone_id="Asia/Kolkata").page
    sign_in(page, "sup@shop.test", landing="/review")
    page.goto("/analytics")
    _loaded(page, 0)
    page.get_by_test_id("analytics-period").select_option("custom")
    page.get_by_test_id("analytics-since").fill("2026-11-02")
    page.get_by_test_id("analytics-until").fill("2026-11-29")
    page.get_by_test_id("analytics-filter-carrier").fill("UPS")
    before = page.evaluate(LOADS_JS)
    page.get_by_test_id("analytics-apply").click()
    since = datetime(2026, 11, 2, tzinfo=INDIA).astimezone(UTC)

    until = datetime(2026, 11, 30, tzinfo=INDIA).astimezone(UTC)
    period = [at.isoformat().replace("+00:00", ".000Z") for at in (since, until)]

    def shown() -> bool | NotYet:  # every count from the last load: its period and carrier
        found = [dict(parse_qsl(urlsplit(href).query)) for _, href in page.evaluate(LINKS_JS)]
        stale = [q for q in found if q.get("carrier", "").lower() != "ups"]
        if not found or stale or [found[0]["since"], found[0]["until"]] != period:
            return NotYet(str((stale or found)[:1]))
        return True

    _loaded(page, before)
    wait_until(shown, 20, "the viewer's period", pause=page_pause(page))
    ups = [c for c in seeded if c.carrier == "ups" and c.purpose in RETURN_PURPOSES]
    weeks = _table(page, "week")
    # each Monday's calls before 00:00 in the week before, the rest in its own week
    want: dict = {}
    tagged: dict = {}  # the chart stacks the calls with an outcome
    for c in ups:
        local = c.created_at.astimezone(INDIA)
        monday = (local - timedelta(days=local.weekday())).date()
        want[monday] = want.get(monday, 0) + 1
        tagged[monday] = tagged.get(monday, 0) + (c.outcome is not None)
    assert len(weeks) - 1 == len(want) == 4
    assert [int(row[1]) for row in weeks[1:]] == [want[m] for m in sorted(want)]
    links = page.evaluate(LINKS_JS)
    assert len(links) > 20
    for value, href in links:
        params = dict(parse_qsl(urlsplit(href).query))
        assert params.get("carrier", "").lower() == "ups", href
        assert float(value) == len(matching(seeded, params)), (href, value)
    shoot(page, "analytics-india-week", laptop=True)
    answered = page.locator('[data-figure="answered"] [data-testid="analytics-count"]')
    answered_href = answered.get_attribute("href")
    answered_calls = matching(seeded, dict(parse_qsl(urlsplit(answered_href).query)))
    assert int(answered.text_content()) == len(answered_calls) > 0

    # the week of 16 November's bar: exactly the calls of that Indian week
    canvas = page.locator('canvas[data-testid="analytics-chart"][data-chart="week"]')
    drawn = page.evaluate(CHART_JS, canvas.element_handle())
    totals = [sum(values[i] or 0 for values in drawn["values"]) for i in range(4)]
    assert totals == [tagged[m] for m in sorted(want)]
    dataset = next(i for i, values in enumerate(drawn["values"]) if values[2])
    point = page.evaluate(BAR_JS, [canvas.element_handle(), dataset, 2])
    canvas.click(position=point)
    page.wait_for_url("**/review?**")
    params = dict(parse_qsl(urlsplit(page.url).query))
    assert (params["since"], params["until"], params["carrier"].lower()) == (
        mondays[1].isoformat().replace("+00:00", ".000Z"),
        mondays[2].isoformat().replace("+00:00", ".000Z"),
        "ups",
    )
    behind = matching(seeded, params)
    assert behind and all(mondays[1] <= c.created_at < mondays[2] for c in behind)
    rows = page.get_by_test_id("session-row")
    expect(rows).to_have_count(len(behind))
    assert {r.get_attribute("data-session-id") for r in rows.all()} == {c.id for c in behind}

    # the answered calls' figure: the review list says it shows those calls only
    page.goto(answered_href)
    expect(page.get_by_test_id("linked-filters")).to_contain_text("answered calls only")
    expect(page.get_by_test_id("page-info")).to_contain_text(f"{len(answered_calls)} calls")
    shoot(page, "analytics-answered-review-list")
