"""/analytics in real Chromium: for a seeded set of calls every count on the page equals
the number of seeded calls its review-list link selects (decided from the rows), the
service figures equal those computed from the rows, each table's CSV equals the table,
the charts draw their bars, and clicking a bar opens the review list with exactly the
calls behind it."""

from __future__ import annotations

import csv as csv_module
import io
from datetime import timedelta
from urllib.parse import parse_qsl, unquote, urlsplit

from playwright.sync_api import Page, expect

from tests.helpers.accounts import add_user
from tests.helpers.analytics_data import START, expected_service, matching, seed_calls
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.waiting import NotYet, page_pause, wait_until

SECTIONS = ["category", "decision", "week", "carrier", "sku", "country", "channel", "agent"]
TABLES = [*SECTIONS, "sku-rate", "carrier-rate"]

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


def test_every_figure_and_chart_stands_for_exactly_its_calls(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    app = live_server.app
    agents = [add_user(app, f"a{i}@shop.test", "agent", f"Agent {i}") for i in range(3)]
    add_user(app, "sup@shop.test", "supervisor", "Sue Supervisor")
    seeded = seed_calls(app, agents, 160, start=START)
    page = open_participant("supervisor", timezone_id="UTC").page
    sign_in(page, "sup@shop.test", landing="/review")
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
    decided = [c for c in seeded if c.decision]
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

    for name in SECTIONS:
        canvas = page.locator(f'canvas[data-testid="analytics-chart"][data-chart="{name}"]')
        drawn = page.evaluate(CHART_JS, canvas.element_handle())
        assert drawn["painted"] > 1000, name
        rows = page.locator(f'[data-testid="analytics-table"][data-table="{name}"] tbody tr')
        assert all(n == rows.count() for n in drawn["bars"]), (name, drawn["bars"])

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
