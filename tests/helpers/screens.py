"""Screenshots of what people see, at a phone size and a desktop size, checked for
sideways overflow and saved under ``test-artifacts/screenshots/`` (ignored by git)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

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


def shoot(page: Page, name: str) -> None:
    """Screenshots of `page` at both sizes, each checked for sideways overflow; the page
    goes back to its own size afterwards."""
    OUT.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for size_name, size in SIZES.items():
        page.set_viewport_size(size)
        page.wait_for_timeout(150)  # layout and lazy images settle
        found = page.evaluate(OVERFLOW_JS)
        assert found["scroll"] <= found["width"] and not found["wide"], (name, size_name, found)
        page.screenshot(path=str(OUT / f"{name}-{size_name}.png"), full_page=True)
    if before:
        page.set_viewport_size(before)
