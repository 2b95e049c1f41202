"""Screenshots of what people see, at a phone size and a desktop size, checked for
sideways overflow and saved under ``test-artifacts/screenshots/`` (ignored by git)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests.helpers.waiting import NotYet, page_pause, wait_until

OUT = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}
LAPTOP = {"width": 1366, "height": 768}  # the smallest screen the console's call must fit
# the desktop screens the console's whole call fits on, the smallest first
CALL_SCREENS = (LAPTOP, SIZES["desktop"], {"width": 1920, "height": 1080})
CALL_MUST_SEE = (
    "remote-video",
    "end-call",
    "mute",
    "camera-toggle",
    "capture",
    "camera-requests",
    "evidence",  # the photos: their title, the strip and its hint
    "chat-input",
    "quick-phrases",
    "outcome-select",
    "outcome-note",
    "outcome-save",
)

# (testids) -> the testids whose box is not wholly inside the viewport, those covered at
# their centre by something else (what is there instead), and the scroll
OUT_OF_VIEW_JS = """(testids) => {
  const w = window.innerWidth, h = window.innerHeight;
  const out = testids.filter((id) => {
    const node = document.querySelector(`[data-testid="${id}"]`);
    if (!node || !node.getClientRects().length) return true;
    const box = node.getBoundingClientRect();
    return box.top < 0 || box.left < 0 || box.bottom > h || box.right > w;
  });
  const covered = testids.filter((id) => !out.includes(id)).flatMap((id) => {
    const node = document.querySelector(`[data-testid="${id}"]`);
    const box = node.getBoundingClientRect();
    const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    if (top && node.contains(top)) return [];
    const what = top ? `${top.tagName}.${top.className} ${top.dataset.testid || ""}` : "nothing";
    return [`${id} under ${what}`];
  });
  return {
    out,
    covered,
    scrollY: window.scrollY,
    scrollable: document.documentElement.scrollHeight > h,
    height: document.documentElement.scrollHeight,
  };
}"""

OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("body *")].filter((node) => {
    if (!node.getClientRects().length) return false;
    const box = node.getBoundingClientRect();
    return box.right > width + 1 && !node.closest(".panel, .evidence-strip, .chat-log");
  });
  // a button's label wider than the button spills out of it (no box grows with it)
  const spilt = [...document.querySelectorAll("button")].filter(
    (node) => node.getClientRects().length && node.scrollWidth > node.clientWidth + 1,
  );
  const named = (n) => `${n.tagName}.${n.className} ${n.dataset.testid || ""}`;
  return {
    scroll: document.documentElement.scrollWidth,
    width,
    wide: [...wide, ...spilt].slice(0, 5).map(named),
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


def shoot(
    page: Page, name: str, *, laptop: bool = False, sizes: dict[str, dict] | None = None
) -> None:
    """Screenshots of `page` at both sizes (and at 1366x768 with ``laptop``; or at
    ``sizes``, by name), each checked for sideways overflow; the page goes back to its own
    size afterwards. Any page with Playwright's calls used here will do (firefox.py's,
    webkit.py's)."""
    OUT.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    sizes = sizes or ({**SIZES, "laptop": LAPTOP} if laptop else SIZES)
    for size_name, size in sizes.items():
        page.set_viewport_size(size)
        wait_until(
            lambda width=size["width"]: _settled(page, width),
            5,
            f"{name} to lay out at {size_name} size",
            pause=page_pause(page),
        )
        found = page.evaluate(OVERFLOW_JS)
        assert found["scroll"] <= found["width"] and not found["wide"], (name, size_name, found)
        page.screenshot(path=str(OUT / f"{name}-{size_name}.png"), full_page=True)
    if before:
        page.set_viewport_size(before)


def assert_call_fits(page: Page, state: str, must_see: tuple[str, ...] = CALL_MUST_SEE) -> None:
    """At 1366x768, 1440x900 and 1920x1080 every control of the console's call in
    ``must_see`` is wholly in view, is itself what lies at its centre (nothing covers it),
    and nothing scrolls; ``state`` names what the call showed. The page goes back to its
    own size afterwards."""
    before = page.viewport_size
    for size in CALL_SCREENS:
        page.set_viewport_size(size)
        screen = f"{size['width']}x{size['height']}"
        found = wait_until(
            lambda: (
                lambda f: (
                    f
                    if not f["out"] and not f["covered"] and not f["scrollable"]
                    else NotYet(str(f))
                )
            )(page.evaluate(OUT_OF_VIEW_JS, list(must_see))),
            5,
            f"the call ({state}) to fit {screen} with nothing covered",
            pause=page_pause(page),
        )
        assert found["scrollY"] == 0, (screen, found)
    if before:
        page.set_viewport_size(before)
