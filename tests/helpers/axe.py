"""axe-core (the npm package in ``node_modules``, installed by ``tests/run.sh``) run in a
real page: any violation of impact serious or critical fails the test, listed by rule,
impact and the elements it found.

The pages' Content-Security-Policy allows no inline script, and it stays as it is: the
script's source is evaluated through the browser's debugging protocol
(``page.evaluate``), which a page's CSP does not govern."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")

RUN_AXE_JS = """async () => {
  const results = await window.axe.run(document, { resultTypes: ["violations"] });
  return results.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


@cache
def _axe_source() -> str:
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `npm ci` (tests/run.sh does)")
    return AXE_JS.read_text()


def violations(page: Page) -> list[dict]:
    """Every axe-core violation on ``page`` as it is now: rule, impact, help, targets."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(_axe_source())
    return page.evaluate(RUN_AXE_JS)


def assert_no_serious_violations(page: Page, state: str) -> None:
    """Fail if axe-core finds a serious or critical violation on ``page``; ``state``
    names what the page showed (it heads the failure's list)."""
    found = [v for v in violations(page) if v["impact"] in FAILING_IMPACTS]
    lines = [
        f"  {v['rule']} ({v['impact']}): {v['help']}; at {', '.join(v['targets'][:5])}"
        for v in found
    ]
    assert not found, f"axe-core on {state} ({page.url}):\n" + "\n".join(lines)
