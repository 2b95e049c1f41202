"""Both sides are told when the buyer's network fails, and the call keeps what it was like:
a buyer on a degraded link (tests/helpers/impairment.py) in a call with an agent, both in
real Chromium; the review page shows the stored summary next to the recording."""

from __future__ import annotations

import logging
import time

from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from server.models import Call
from tests.helpers.accounts import add_user
from tests.helpers.axe import assert_no_serious_violations
from tests.helpers.browser_steps import (
    SAMPLE_VIDEO_JS,
    agent_sees_bars,
    available_agent,
    bar_points,
    remote_video,
    sign_in,
)
from tests.helpers.chromium import OpenParticipant, Participant
from tests.helpers.impairment import Impairment, ImpairmentProxy
from tests.helpers.links import make_link
from tests.helpers.screens import CALL_MUST_SEE, assert_call_fits, shoot
from tests.helpers.servers import LiveServer
from tests.helpers.stored_calls import store_call
from tests.helpers.waiting import NotYet, page_pause, wait_until

log = logging.getLogger("showdesk.tests.quality")

BLACKOUT_S = 5.0
TOLD_WITHIN_S = 15  # a generous deadline; the goal (2 s) is a figure, printed, not asserted


def _call_through(
    proxy: ImpairmentProxy,
    live_server: LiveServer,
    open_participant: OpenParticipant,
    camera_browser: Browser,
    order_ref: str,
) -> tuple[Participant, Participant]:
    """A live damage check whose buyer (colour bars) reaches the server only through
    ``proxy``; returns the agent and the buyer once the agent sees the bars."""
    _, link_url = make_link(live_server.app, order_ref, "damage_verification")
    agent = available_agent(live_server, open_participant, f"a-{order_ref}@shop.test", "Aggie")
    buyer = open_participant("buyer", phone=True, on=camera_browser)
    proxy.attach(buyer.page)
    buyer.page.goto(link_url)
    buyer.page.get_by_test_id("consent-accept").click()
    agent.page.get_by_test_id("accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    agent_sees_bars(agent, timeout_s=30)
    return agent, buyer


def _picture_moves(page: Page, timeout_s: float) -> None:
    """The remote picture on ``page`` changes between samples (a frozen frame fails)."""
    selector = remote_video(page)
    seen: set[int] = set()

    def moving() -> bool | NotYet:
        sample = page.evaluate(SAMPLE_VIDEO_JS, [selector, bar_points()])
        if sample:
            seen.add(sample["checksum"])
        return len(seen) >= 3 or NotYet(f"{len(seen)} different pictures")

    wait_until(moving, timeout_s, "a moving picture at the agent", page_pause(page))


def _quality(page: Page) -> str:
    return page.get_by_test_id("connection-quality").get_attribute("data-quality") or ""


def _stored_quality(live_server: LiveServer, agent: Participant, order_ref: str) -> dict:
    """``GET /api/sessions/{id}``'s quality of the ended call, as the call's agent reads it."""
    with Session(live_server.app.state.engine) as db:
        call_id = db.exec(select(Call.id).where(Call.order_ref == order_ref)).one()

    def stored() -> dict | NotYet:
        answer = agent.page.request.get(f"/api/sessions/{call_id}")
        assert answer.ok, answer.text()
        quality = answer.json()["quality"]
        return quality or NotYet("no quality yet")

    return wait_until(stored, 10, "the stored quality summary", page_pause(agent.page))


def test_a_5_s_blackout_shows_connection_unstable_on_both_pages_and_the_picture_comes_back(
    live_server: LiveServer,
    open_participant: OpenParticipant,
    camera_browser: Browser,
    record_property,
) -> None:
    with ImpairmentProxy(seed=5) as proxy:
        agent, buyer = _call_through(
            proxy, live_server, open_participant, camera_browser, "ORD-Q-BLACK"
        )
        for page in (agent.page, buyer.page):
            wait_until(
                lambda page=page: _quality(page) == "good" or NotYet(_quality(page)),
                15,
                "a good connection",
                page_pause(page),
            )
            expect(page.get_by_test_id("connection-unstable")).to_be_hidden()
        expect(agent.page.get_by_test_id("connection-quality")).to_contain_text("Connection good")
        expect(buyer.page.get_by_test_id("connection-quality")).to_contain_text("Good connection")
        shoot(buyer.page, "buyer-connection-good")
        shoot(agent.page, "console-connection-good")
        assert_call_fits(agent.page, "a good connection", (*CALL_MUST_SEE, "connection-quality"))

        proxy.blackout(BLACKOUT_S)
        cut_at = time.monotonic()
        told: dict[str, float] = {}

        def both_told() -> bool | NotYet:
            for name, page in (("agent", agent.page), ("buyer", buyer.page)):
                if name not in told and page.get_by_test_id("connection-unstable").is_visible():
                    told[name] = time.monotonic() - cut_at
            return len(told) == 2 or NotYet(f"told so far: {told}")

        wait_until(both_told, TOLD_WITHIN_S, "connection unstable on both pages", time.sleep)
        for name, seconds in told.items():
            record_property(f"unstable_shown_{name}_s", round(seconds, 2))
            log.warning("blackout: %s page showed connection unstable after %.2f s", name, seconds)
            print(f"blackout: the {name}'s page showed connection unstable after {seconds:.2f} s")
        assert _quality(agent.page) == "lost" and _quality(buyer.page) == "lost"
        overlay = agent.page.get_by_test_id("connection-unstable")
        expect(overlay).to_have_attribute("data-whose", "peer")  # the buyer's network, not ours
        expect(overlay).to_contain_text("Buyer's connection lost")
        expect(agent.page.get_by_test_id("call-timer")).to_have_attribute("data-unstable", "true")
        expect(buyer.page.get_by_test_id("connection-unstable")).to_contain_text(
            "Your connection is unstable"
        )
        expect(buyer.page.get_by_test_id("connection-unstable")).to_have_attribute(
            "data-whose", "own"
        )
        shoot(buyer.page, "buyer-connection-unstable")
        shoot(agent.page, "console-connection-unstable")
        must_see = tuple(t for t in CALL_MUST_SEE if t != "remote-video")  # the overlay is on it
        assert_call_fits(agent.page, "connection unstable", (*must_see, "connection-unstable"))
        assert_no_serious_violations(agent.page, "the console, connection unstable")
        assert_no_serious_violations(buyer.page, "the buyer's call, connection unstable")

        # after the blackout: the unstable state clears on both pages and the picture moves
        for page in (agent.page, buyer.page):
            expect(page.get_by_test_id("connection-unstable")).to_be_hidden(
                timeout=(BLACKOUT_S + TOLD_WITHIN_S) * 1000
            )
            assert _quality(page) != "lost"
        back_after_s = time.monotonic() - cut_at
        print(f"blackout of {BLACKOUT_S} s: both pages stable {back_after_s:.1f} s after it began")
        expect(agent.page.get_by_test_id("call-timer")).to_have_attribute("data-unstable", "false")
        _picture_moves(agent.page, 20)
        agent.page.get_by_test_id("end-call").click()
        expect(buyer.page.get_by_test_id("call-ended")).to_be_visible()
    quality = _stored_quality(live_server, agent, "ORD-Q-BLACK")
    assert quality["freezes"] >= 1
    assert quality["worst_stall_ms"] >= BLACKOUT_S * 1000 * 0.8
    assert quality["poor"] is True
    agent.assert_clean()
    buyer.assert_clean()


def test_a_call_through_250_ms_and_1_percent_loss_ends_moving_with_the_loss_in_its_summary(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    with ImpairmentProxy(seed=7) as proxy:
        proxy.set(Impairment(delay_ms=125, loss=0.01))  # each way: a 250 ms round trip
        agent, buyer = _call_through(
            proxy, live_server, open_participant, camera_browser, "ORD-Q-LOSSY"
        )
        _picture_moves(agent.page, 20)

        def enough_sent() -> bool | NotYet:
            stats = proxy.stats()["to_server"]
            return stats.lost >= 20 or NotYet(f"{stats.lost} lost of {stats.forwarded}")

        wait_until(enough_sent, 60, "20 of the buyer's packets lost", page_pause(agent.page))
        _picture_moves(agent.page, 20)  # still moving at the end
        expect(agent.page.get_by_test_id("connection-unstable")).to_be_hidden()
        agent.page.get_by_test_id("end-call").click()
        expect(buyer.page.get_by_test_id("call-ended")).to_be_visible()
    quality = _stored_quality(live_server, agent, "ORD-Q-LOSSY")
    print(f"250 ms / 1% loss: stored quality {quality}")
    assert quality["loss_pct"] is not None and 0 < quality["loss_pct"] < 5
    # at least the link's round trip; the relay's own loop adds to it on a busy machine
    # (253 ms measured on a quiet one, 413 ms with five test runs sharing two cores)
    assert quality["rtt_ms"] is not None and 240 <= quality["rtt_ms"] <= 650
    agent.assert_clean()
    buyer.assert_clean()


def _opener(page: Page):
    """Open a call of the review list by its order (back to the list first if need be)."""

    def open_call(order_ref: str) -> None:
        if page.get_by_test_id("session-view").is_visible():
            page.get_by_test_id("session-close").click()
        page.get_by_test_id("session-row-open").filter(has_text=order_ref).click()
        expect(page.get_by_test_id("session-order")).to_have_text(order_ref)

    return open_call


def test_the_review_page_shows_the_buyers_network_next_to_the_recording(
    live_server: LiveServer, open_participant: OpenParticipant
) -> None:
    agent_id = add_user(live_server.app, "agent-net@shop.test", "agent", "Aggie")
    add_user(live_server.app, "sup-net@shop.test", "supervisor", "Sue")
    store_call(
        live_server.app,
        "ORD-NET-1",
        agent_id=agent_id,
        quality={
            "freezes": 3,
            "worst_stall_ms": 1200,
            "loss_pct": 1.4,
            "rtt_ms": 260,
            "poor": True,
        },
    )
    store_call(
        live_server.app,
        "ORD-NET-2",
        agent_id=agent_id,
        quality={"freezes": 0, "worst_stall_ms": 0, "loss_pct": 0.0, "rtt_ms": 40, "poor": False},
    )
    store_call(live_server.app, "ORD-NET-3", agent_id=agent_id)
    sup = open_participant("supervisor")
    sign_in(sup.page, "sup-net@shop.test", landing="/review")

    open_call = _opener(sup.page)
    open_call("ORD-NET-1")
    network = sup.page.get_by_test_id("network-quality")
    expect(network).to_be_visible()
    expect(sup.page.get_by_test_id("network-summary")).to_have_text(
        "Network: 3 freezes, longest 1.2 s, 1.4% loss, 260 ms round trip"
    )
    expect(network).to_have_attribute("data-poor", "true")
    expect(sup.page.get_by_test_id("network-poor")).to_be_visible()
    shoot(sup.page, "review-network-poor")
    assert_no_serious_violations(sup.page, "review with a poor network")

    open_call("ORD-NET-2")
    expect(sup.page.get_by_test_id("network-summary")).to_have_text(
        "Network: no freezes, 0% loss, 40 ms round trip"
    )
    expect(network).to_have_attribute("data-poor", "false")
    expect(sup.page.get_by_test_id("network-poor")).to_be_hidden()

    open_call("ORD-NET-3")
    expect(network).to_be_hidden()
    sup.assert_clean()
