"""Screenshots of what people see, at a phone size and a desktop size, checked for
sideways overflow and saved under ``test-artifacts/screenshots/`` (ignored by git)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests.helpers.waiting import NotYet, wait_until

OUT = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}

OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("body *")].filter((node) => {
    if (!node.getClientRects().length) return false;
    const box = node.getBoundingClientRect();
    return box.right > width + 1 && !node.closest(".panel, .evidence-strip, .chat-log");
  });
  return {
    scroll: document.documentElement.scrollWidth,
    width,
    wide: wide.slice(0, 5).map((n) => `${n.tagName}.${n.className} ${n.dataset.testid || ""}`),
  };
}"""


SETTLED_JS = """(width) => {
  if (window.innerWidth !== width) return `the window is ${window.innerWidth} px wide`;
  if (document.fonts.status !== "loaded") return "fonts are still loading";
  const pending = [...document.images].filter((img) => !img.complete).length;
  return pending ? `${pending} images are still loading` : "";
}"""


def _settled(page: Page, width: int) -> bool | NotYet:
    """Laid out at ``width`` with its fonts and images loaded, else why not."""
    reason = page.evaluate(SETTLED_JS, width)
    return NotYet(reason) if reason else True


def shoot(page: Page, name: str) -> None:
    """Screenshots of `page` at both sizes, each checked for sideways overflow; the page
    goes back to its own size afterwards."""
    OUT.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for size_name, size in SIZES.items():
        page.set_viewport_size(size)
        wait_until(
            lambda width=size["width"]: _settled(page, width),
            5,
            f"{name} to lay out at {size_name} size",
            pause=page.wait_for_timeout,
        )
        found = page.evaluate(OVERFLOW_JS)
        assert found["scroll"] <= found["width"] and not found["wide"], (name, size_name, found)
        page.screenshot(path=str(OUT / f"{name}-{size_name}.png"), full_page=True)
    if before:
        page.set_viewport_size(before)
