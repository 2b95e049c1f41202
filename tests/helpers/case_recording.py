"""The buyer page's guided recording as a test drives it in Chromium: a step's clip
recorded for a while (and a photo), and the page's upload throttled or cut through the
DevTools protocol."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers.waiting import NotYet, page_pause, wait_until

UPLOAD_BYTES_PER_S = 120 * 1024  # slow enough that the cut lands mid-upload
CLIP_MS = 2500


def network(cdp, *, offline: bool) -> None:
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": offline,
            "latency": 20,
            "downloadThroughput": -1,
            "uploadThroughput": UPLOAD_BYTES_PER_S,
        },
    )


def record_step(page, step: str, *, photo: bool = False) -> None:
    node = page.locator(f'[data-testid="record-step"][data-step="{step}"]')
    node.get_by_test_id("record-start").click()
    expect(node).to_have_attribute("data-recording", "true")
    started = page.evaluate("performance.now()")

    def clip_long_enough() -> bool | NotYet:
        ran = page.evaluate("performance.now()") - started
        return ran >= CLIP_MS or NotYet(f"recording for {ran:.0f} of {CLIP_MS} ms")

    wait_until(clip_long_enough, CLIP_MS / 1000 + 10, "the clip's length", page_pause(page))
    node.get_by_test_id("record-stop").click()
    expect(node).to_have_attribute("data-recorded", "true")
    expect(node.get_by_test_id("step-preview")).to_be_visible()
    if photo:
        node.get_by_test_id("step-photo").click()
        expect(node.locator("img.step-photo-thumb")).to_have_count(1)
        wait_until(
            lambda: node.get_attribute("data-photo-sha256"),
            10,
            "the photo's sha256",
            page_pause(page),
        )
