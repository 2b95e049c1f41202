"""A shop's own recording steps on both sides, and the invitation that matters, in real
Chromium against a real server: the console and the review name a case's steps by the
shop's English titles (a step since removed by its code); a buyer who switches language
mid-recording reads the prompts and buttons in the new language, and an upload for a step
the shop removed meanwhile is refused with a sentence in that language and nothing kept;
the reopened link shows only the invitation sent last, not one whose time is past, with
one primary button on the screen."""

from __future__ import annotations

from datetime import datetime, timedelta

from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from server.evidence import case_steps, cases, uploads
from server.models.case import CaseFile, CaseReply
from server.models.link import Link
from signaling.vocabulary import Purpose
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.images import image_bytes
from tests.helpers.links import make_link
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer

PLATE = {
    "key": "plate",
    "prompts": {"en": "The serial number plate", "de": "Das Typenschild"},
    "clip": False,
    "photos": True,
}
SEAL = {
    "key": "seal",
    "prompts": {"en": "The seal on the lid", "de": "Das Siegel am Deckel"},
    "clip": False,
    "photos": True,
}


def set_steps(app, steps: list[dict]) -> None:
    with Session(app.state.engine) as db:
        case_steps.set_steps(
            db, Purpose.DAMAGE_VERIFICATION, steps, app.state.clock.now(), by_user_id=None
        )
        db.commit()


def link_row(app, order_ref: str) -> Link:
    with Session(app.state.engine) as db:
        return db.exec(select(Link).where(Link.order_ref == order_ref)).one()


def case_with_photos(app, link: Link, steps: list[str]) -> int:
    """A submitted case with one photo per step of ``steps`` (stored as the tus routes
    do): its id."""
    storage, now = app.state.storage, app.state.clock.now()
    with Session(app.state.engine) as db:
        case = uploads.case_for_link(db, link.id, now)
        shop_steps = case_steps.steps_for(db, link.purpose)
        for step in steps:
            data = image_bytes("mjpeg", 160, 120)
            row = uploads.create_upload(
                db,
                storage,
                case,
                length=len(data),
                step=step,
                kind="photo",
                max_bytes=50_000_000,
                max_files=20,
                now=now,
                steps=shop_steps,
            )
            uploads.write_at(storage.path_for_writing(row.storage_key), 0, data)
            row.offset = len(data)
            uploads.finish(db, storage, row)
        cases.submit(db, case, note="Plate and seal.", locale="en", now=now)
        assert case.id is not None
        return case.id


def primary_buttons(page: Page) -> list[str]:
    return page.locator("button.primary:visible").evaluate_all(
        "(buttons) => buttons.map((b) => b.dataset.testid)"
    )


def test_staff_read_the_shops_step_titles_and_a_removed_steps_code(
    live_server: LiveServer, open_participant: OpenParticipant
):
    app = live_server.app
    set_steps(app, [PLATE, SEAL])
    _, _url = make_link(app, "ORD-TITLES")
    case_id = case_with_photos(app, link_row(app, "ORD-TITLES"), ["plate", "seal"])
    set_steps(app, [PLATE])  # the seal step is removed after the buyer sent it
    add_user(app, "ann@shop.test", "agent", "Ann Agent")
    agent = open_participant("agent")
    sign_in(agent.page, "ann@shop.test")
    console = agent.page
    console.locator(f'[data-testid="queue-item"][data-case-id="{case_id}"]').get_by_test_id(
        "case-open"
    ).click()
    expect(console.locator('.case-file[data-kind="photo"] figcaption')).to_have_text(
        ["The serial number plate", "seal"]
    )
    shoot(console, "case-console-shop-step-titles")
    agent.assert_clean()

    add_user(app, "sue@shop.test", "supervisor", "Sue Supervisor")
    supervisor = open_participant("supervisor")
    review = supervisor.page
    sign_in(review, "sue@shop.test", landing="/review")
    row = review.locator(f'[data-testid="case-row"][data-case-id="{case_id}"]')
    row.get_by_test_id("case-row-open").click()
    expect(review.get_by_test_id("case-timeline").locator("figcaption")).to_have_text(
        ["The serial number plate", "seal"]
    )
    shoot(review, "case-review-shop-step-titles")
    supervisor.assert_clean()


def test_a_language_switch_mid_recording_relabels_the_steps_and_a_removed_step_is_refused(
    live_server: LiveServer, open_participant: OpenParticipant
):
    app = live_server.app
    set_steps(app, [PLATE, SEAL])
    _, url = make_link(app, "ORD-SWITCH", locale="en")
    buyer = open_participant("buyer", phone=True, locale="en-GB")
    page = buyer.page
    page.goto(url)
    page.get_by_test_id("record-instead").click()
    prompts = page.locator('[data-testid="record-step"] .record-prompt')
    expect(prompts).to_have_text(["The serial number plate", "The seal on the lid"])
    plate = page.locator('[data-testid="record-step"][data-step="plate"]')
    plate.get_by_test_id("step-photo").click()
    expect(plate.locator("img.step-photo-thumb")).to_have_count(1)

    page.get_by_test_id("language-switch").select_option("de")
    expect(prompts).to_have_text(["Das Typenschild", "Das Siegel am Deckel"])
    expect(plate.get_by_test_id("step-photo")).to_have_text("Foto machen")
    expect(plate.locator("img.step-photo-thumb")).to_have_count(1)  # still recorded
    shoot(page, "case-buyer-steps-after-language-switch")

    # the shop drops the plate step while the buyer records: the upload is refused
    set_steps(app, [SEAL])
    page.get_by_test_id("async-submit").click()
    notice = page.get_by_test_id("notice")
    expect(notice).to_contain_text("Der Shop hat die Schritte geändert", timeout=30_000)
    shoot(page, "case-buyer-steps-changed")
    with Session(app.state.engine) as db:
        assert db.exec(select(CaseFile)).all() == []
    refused = [p for p in buyer.problems if "422" in p and "/api/uploads" in p]
    assert refused and len(refused) == len(buyer.problems), buyer.problems


def add_invite(app, link: Link, *, sent: datetime, at: datetime, text: str) -> None:
    with Session(app.state.engine) as db:
        case = uploads.case_for_link(db, link.id, sent)
        db.add(CaseReply(case_id=case.id or 0, text=text, invite_at=at, at=sent))
        db.commit()


def test_the_reopened_link_shows_the_invitation_sent_last_with_one_primary_button(
    live_server: LiveServer, open_participant: OpenParticipant
):
    app = live_server.app
    _, url = make_link(app, "ORD-INVITES", locale="en", ttl_s=3 * 24 * 3600)
    link = link_row(app, "ORD-INVITES")
    now = app.state.clock.now()
    soon, tomorrow = now + timedelta(minutes=2), now + timedelta(days=1)
    add_invite(app, link, sent=now - timedelta(hours=2), at=soon, text="Soon.")
    add_invite(app, link, sent=now - timedelta(hours=1), at=tomorrow, text="Tomorrow instead.")
    buyer = open_participant("buyer", phone=True, locale="en-GB")
    page = buyer.page
    page.goto(url)
    invite = page.get_by_test_id("case-invite")
    # the later invitation supersedes the earlier, though the earlier's time comes first
    expect(invite).to_have_attribute("data-state", "early")
    expect(page.get_by_test_id("case-invite-text")).to_have_text("Tomorrow instead.")
    expect(page.get_by_test_id("record-instead")).to_be_visible()
    assert primary_buttons(page) == ["record-instead"]  # the invitation cannot be joined yet
    shoot(page, "case-buyer-invite-early-one-primary")

    add_invite(app, link, sent=now, at=soon, text="Now, after all.")
    page.goto(url)
    expect(invite).to_have_attribute("data-state", "open")
    expect(page.get_by_test_id("case-invite-text")).to_have_text("Now, after all.")
    expect(page.get_by_test_id("case-invite-join")).to_be_enabled()
    expect(page.get_by_test_id("record-instead")).to_be_visible()
    assert primary_buttons(page) == ["case-invite-join"]
    shoot(page, "case-buyer-invite-open-one-primary")

    # the newest invitation's time is long past: none is shown (the earlier are superseded)
    with Session(app.state.engine) as db:
        db.add(
            CaseReply(
                case_id=cases.case_of_link(db, link.id).id,
                text="Yesterday.",
                invite_at=now - timedelta(hours=3),
                at=now + timedelta(seconds=1),
            )
        )
        db.commit()
    page.goto(url)
    expect(page.get_by_test_id("consent")).to_be_visible()
    expect(page.get_by_test_id("record-instead")).to_be_visible()
    expect(invite).to_be_hidden()
    assert primary_buttons(page) == ["record-instead"]
    buyer.assert_clean()
