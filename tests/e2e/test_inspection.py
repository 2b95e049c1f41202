"""A remote inspection on the real pages: the agent starts a three-item checklist on the
console and photographs each item with their own camera; the buyer's phone shows the list
and each shot as it arrives, the buyer approves two items, rejects one with a reason and
signs off with their name; the console sees each decision arrive; the report (JSON, the
review page, the PDF read back with pypdf, from the staff side and from the buyer's link)
lists all of it."""

from __future__ import annotations

import io
import json
import zipfile

import pypdf
from playwright.sync_api import Page, expect

from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import answered_call, available_agent, sign_in
from tests.helpers.links import make_link
from tests.helpers.screens import SIZES, shoot
from tests.helpers.waiting import wait_until

ITEMS = ["shipping_label", "serial_number", "accessories"]
LABELS = ["Shipping label and barcode", "Serial number", "Accessories counted"]
REASON = "The serial number sticker is torn"
PHONE = {"phone": SIZES["phone"]}
DESKTOP = {"desktop": SIZES["desktop"]}
PDF_TIMEOUT_MS = 60_000


def item(page: Page, testid: str, key: str):
    return page.locator(f'[data-testid="{testid}"][data-item="{key}"]')


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_a_three_item_inspection_photographed_decided_signed_off_and_reported(
    live_server, open_participant
):
    _, url = make_link(live_server.app, "ORD-INSPECT", "remote_inspection")
    agent = available_agent(live_server, open_participant, "ines@shop.test", "Ines Agent")
    buyer = open_participant("buyer", phone=True)
    answered_call(agent, buyer, url)

    # the agent chooses three of the checklist's items and starts it
    panel = agent.page.get_by_test_id("console-inspection")
    expect(panel).to_be_visible()
    picks = agent.page.get_by_test_id("inspection-pick")
    expect(picks.first).to_be_visible()
    for box in picks.all():
        if box.get_attribute("data-item") not in ITEMS:
            box.uncheck()
    shoot(agent.page, "inspection-console-pick", sizes=DESKTOP)
    agent.page.get_by_test_id("inspection-start").click()
    expect(agent.page.get_by_test_id("inspection-item")).to_have_count(3)

    # the buyer's phone shows the list at once, every item waiting for its photos
    rows = buyer.page.get_by_test_id("checklist-item")
    expect(rows).to_have_count(3)
    expect(buyer.page.get_by_test_id("inspection")).to_be_visible()
    for key in ITEMS:
        expect(item(buyer.page, "checklist-item", key)).to_have_attribute("data-state", "pending")
    shoot(buyer.page, "inspection-buyer-list", sizes=PHONE)

    # the agent photographs each item; the shot shows against it on both sides
    for key in ITEMS:
        item(agent.page, "inspection-item", key).get_by_test_id("inspection-shoot").click()
        expect(item(agent.page, "inspection-item", key)).to_have_attribute("data-state", "shot")
        expect(
            item(agent.page, "inspection-item", key).get_by_test_id("inspection-photo")
        ).to_have_count(1)
        expect(item(buyer.page, "checklist-item", key)).to_have_attribute("data-state", "shot")
        expect(
            item(buyer.page, "checklist-item", key).get_by_test_id("checklist-photo")
        ).to_have_count(1)
    for page, testid in ((agent.page, "inspection-photo"), (buyer.page, "checklist-photo")):
        expect(page.get_by_test_id(testid)).to_have_count(3)
        widths = page.eval_on_selector_all(
            f'[data-testid="{testid}"]',
            "(imgs) => imgs.map((img) => img.complete && img.naturalWidth)",
        )
        assert all(widths), widths  # each photo loaded, not a broken picture
    shoot(agent.page, "inspection-console-shots", sizes=DESKTOP)
    shoot(buyer.page, "inspection-buyer-shots", sizes=PHONE)

    # the buyer approves two and rejects one with a reason; the console sees each arrive
    item(buyer.page, "checklist-item", "shipping_label").get_by_test_id("item-approve").click()
    expect(item(agent.page, "inspection-item", "shipping_label")).to_have_attribute(
        "data-state", "approved"
    )
    serial = item(buyer.page, "checklist-item", "serial_number")
    serial.get_by_test_id("item-reject").click()
    serial.get_by_test_id("item-reason").fill(REASON)
    shoot(buyer.page, "inspection-buyer-rejecting", sizes=PHONE)
    serial.get_by_test_id("item-reject").click()
    expect(serial).to_have_attribute("data-state", "rejected")
    expect(item(agent.page, "inspection-item", "serial_number")).to_have_attribute(
        "data-state", "rejected"
    )
    expect(
        item(agent.page, "inspection-item", "serial_number").get_by_test_id("inspection-reason")
    ).to_contain_text(REASON)
    item(buyer.page, "checklist-item", "accessories").get_by_test_id("item-approve").click()
    expect(item(agent.page, "inspection-item", "accessories")).to_have_attribute(
        "data-state", "approved"
    )

    # then signs the whole inspection off with their name
    # the sheet is drawn again as each decision's echo arrives: wait for the last one
    # (sign-off enabled) and act through locators, which find the newest drawing
    signoff = buyer.page.get_by_test_id("inspection-signoff")
    expect(signoff.get_by_test_id("signoff-approve")).to_be_enabled()
    signoff.get_by_test_id("signoff-name").fill("Bea Buyer")
    shoot(buyer.page, "inspection-buyer-signoff", sizes=PHONE)
    signoff.get_by_test_id("signoff-approve").click()
    expect(signoff).to_have_attribute("data-decision", "approved")
    expect(buyer.page.get_by_test_id("signoff-done")).to_contain_text("Bea Buyer")
    line = agent.page.get_by_test_id("inspection-signoff-line")
    expect(line).to_have_attribute("data-decision", "approved")
    expect(line).to_contain_text("Bea Buyer")
    expect(agent.page.get_by_test_id("inspection-shoot")).to_have_count(0)
    for words in (
        buyer.page.get_by_test_id("inspection"),
        buyer.page.get_by_test_id("inspection-toggle"),
    ):
        assert "null" not in words.inner_text()  # no missing part shown as a word
    shoot(buyer.page, "inspection-buyer-signed", sizes=PHONE)
    shoot(agent.page, "inspection-console-signed", sizes=DESKTOP)

    # the report, as staff read it
    session_id = (
        agent.page.get_by_test_id("console-inspection")
        .evaluate(
            "(node) => node.querySelector('[data-testid=inspection-pdf]').getAttribute('href')"
        )
        .split("/")[3]
    )
    answer = agent.page.request.get(f"/api/sessions/{session_id}/inspection")
    assert answer.ok, answer.text()
    report = answer.json()
    assert [(i["key"], i["state"], i["reason"], len(i["photo_ids"])) for i in report["items"]] == [
        ("shipping_label", "approved", None, 1),
        ("serial_number", "rejected", REASON, 1),
        ("accessories", "approved", None, 1),
    ]
    assert report["signoff"]["decision"] == "approved"
    assert report["signoff"]["name"] == "Bea Buyer" and report["signoff"]["at"]
    # the PDF is made on request (fonts shaped and subset): slow on a busy machine
    staff_pdf = agent.page.request.get(report["pdf_url"], timeout=PDF_TIMEOUT_MS)
    assert staff_pdf.ok and staff_pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(staff_pdf.body())
    for label in LABELS:
        assert label in text
    assert REASON in text and "Bea Buyer" in text and session_id in text

    # the buyer downloads the same report from their link
    href = buyer.page.get_by_test_id("inspection-pdf").get_attribute("href")
    assert href == f"/api/buyer/sessions/{session_id}/inspection.pdf"
    buyer_pdf = buyer.page.request.get(href, timeout=PDF_TIMEOUT_MS)
    assert buyer_pdf.ok and buyer_pdf.headers["content-type"] == "application/pdf"
    buyer_text = pdf_text(buyer_pdf.body())
    assert all(label in buyer_text for label in LABELS) and REASON in buyer_text

    # after the call the buyer's link still shows the signed report
    agent.page.get_by_test_id("end-call").click()
    expect(buyer.page.get_by_test_id("call-ended")).to_be_visible()
    ended = buyer.page.get_by_test_id("call-ended")
    expect(ended.get_by_test_id("checklist-item")).to_have_count(3)
    expect(ended.get_by_test_id("signoff-done")).to_contain_text("Bea Buyer")
    expect(ended.get_by_test_id("item-approve")).to_have_count(0)
    shoot(buyer.page, "inspection-buyer-ended", sizes=PHONE)

    # the review page shows the report of the call
    add_user(live_server.app, "sam@shop.test", "supervisor", "Sam Supervisor")
    supervisor = open_participant("supervisor")
    sign_in(supervisor.page, "sam@shop.test", landing="/review")
    supervisor.page.wait_for_load_state("networkidle")  # the list, before the call's page
    supervisor.page.goto(f"/review?session={session_id}")
    section = supervisor.page.get_by_test_id("review-inspection")
    expect(section).to_be_visible()
    expect(section.get_by_test_id("inspection-item")).to_have_count(3)
    for key, state in zip(ITEMS, ["approved", "rejected", "approved"], strict=True):
        expect(item(supervisor.page, "inspection-item", key)).to_have_attribute("data-state", state)
    expect(section.get_by_test_id("inspection-reason")).to_contain_text(REASON)
    expect(section.get_by_test_id("inspection-signoff-line")).to_contain_text("Bea Buyer")
    expect(section.get_by_test_id("inspection-photo")).to_have_count(3)
    assert section.get_by_test_id("inspection-pdf").get_attribute("href") == report["pdf_url"]

    # once the recording is finished the report names the evidence bundle holding it
    def hashed() -> str | bool:
        found = supervisor.page.request.get(f"/api/sessions/{session_id}/inspection")
        return found.ok and found.json()["evidence_sha256"] or False

    evidence = wait_until(hashed, 60, "the report's evidence hash")
    bundle = supervisor.page.request.get(f"/api/sessions/{session_id}/bundle")
    assert bundle.ok, bundle.text()
    with zipfile.ZipFile(io.BytesIO(bundle.body())) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["media_sha256"] == evidence
    assert len([f for f in manifest["files"] if f["name"].startswith("photos/")]) == 3
    supervisor.page.reload()
    expect(section.get_by_test_id("inspection-evidence-hash")).to_contain_text(evidence)
    signed_pdf = supervisor.page.request.get(report["pdf_url"], timeout=PDF_TIMEOUT_MS)
    assert evidence in pdf_text(signed_pdf.body()).replace("\n", "")
    section.scroll_into_view_if_needed()
    shoot(supervisor.page, "inspection-review", sizes=DESKTOP)
    # (the review's own video requests may be cut short by the player: not checked here)
    for person in (agent, buyer):
        person.assert_clean()
