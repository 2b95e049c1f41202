"""Calls through a real coturn (tests/helpers/turn.py) with TURN credentials the server
mints: both pages on TURN only still show the buyer's picture, and a credential coturn
refuses is told to the buyer (in their language) and the agent at once, and logged
without the credential."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect

from server.infra.clock import Clock
from tests.helpers.accounts import add_user
from tests.helpers.browser_steps import agent_sees_bars, go_available, sign_in
from tests.helpers.chromium import OpenParticipant, Participant
from tests.helpers.ice_paths import connected_path, ms_since_ice_error, record_peer_connections
from tests.helpers.impairment import Impairment, ImpairmentProxy
from tests.helpers.links import make_link
from tests.helpers.screens import shoot
from tests.helpers.servers import LiveServer
from tests.helpers.turn import Coturn
from tests.helpers.waiting import NotYet, wait_until

ROOT = Path(__file__).resolve().parents[2]
BUYER_WORDS = {
    locale: json.loads((ROOT / "web" / "i18n" / f"{locale}.json").read_text(encoding="utf-8"))
    for locale in ("en", "de")
}
STAFF_WORDS = json.loads((ROOT / "web" / "i18n" / "staff" / "en.json").read_text("utf-8"))


class BehindClock(Clock):
    """The server's clock running ``behind`` late: every credential it mints has run out
    by the real time coturn reads."""

    def __init__(self, behind: timedelta) -> None:
        self.behind = behind

    def now(self) -> datetime:
        return datetime.now(UTC) - self.behind


def _turn_settings(turn: Coturn, policy: str = "relay") -> dict[str, object]:
    return {"turn_urls": turn.urls, "turn_secret": turn.secret, "ice_transport_policy": policy}


@pytest.fixture
def live_server(
    server_factory: Callable[..., LiveServer],
    coturn_server: Coturn,
    request: pytest.FixtureRequest,
) -> LiveServer:
    """The server the pages open: TURN only, with credentials for ``coturn_server``. A
    test may say (indirect parametrize, a dict) ``behind``: the server's clock that late,
    and ``policy``: another ICE transport policy."""
    params = getattr(request, "param", {})
    behind = params.get("behind")
    clock = BehindClock(behind) if behind else None
    policy = params.get("policy", "relay")
    return server_factory(clock=clock, **_turn_settings(coturn_server, policy))


def _rtc_configs(frames: list[str]) -> list[dict]:
    configs = []
    for frame in frames:
        try:
            message = json.loads(frame)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("type") == "rtc_config":
            configs.append(message)
    return configs


def _watch_frames(page: Page) -> list[str]:
    frames: list[str] = []

    def on_socket(ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: frames.append(str(payload)))
        ws.on("framesent", lambda payload: frames.append(str(payload)))

    page.on("websocket", on_socket)
    return frames


def _agent(
    live_server: LiveServer,
    open_participant: OpenParticipant,
    proxy: ImpairmentProxy | None = None,
) -> tuple[Participant, list[str]]:
    """An available agent whose peer connections and socket frames are recorded (and
    whose media goes through ``proxy``, if given)."""
    add_user(live_server.app, "agent@shop.test", "agent", "Aggie Agent")
    agent = open_participant("agent")
    record_peer_connections(agent.context)
    if proxy:
        proxy.attach(agent.page)
    frames = _watch_frames(agent.page)
    sign_in(agent.page, "agent@shop.test")
    go_available(agent.page)
    return agent, frames


def _buyer_waits(
    live_server: LiveServer,
    open_: Callable[[], Participant],
    order_ref: str,
    link_ttl: timedelta = timedelta(hours=1),
    proxy: ImpairmentProxy | None = None,
) -> tuple[Participant, list[str]]:
    """A buyer waiting in a call, whose peer connections and socket frames are recorded
    (and whose media goes through ``proxy``, if given)."""
    ttl_s = int(link_ttl.total_seconds())
    _, link_url = make_link(live_server.app, order_ref, "damage_verification", ttl_s=ttl_s)
    buyer = open_()
    record_peer_connections(buyer.context)
    if proxy:
        proxy.attach(buyer.page)
    frames = _watch_frames(buyer.page)
    buyer.page.goto(link_url)
    buyer.page.get_by_test_id("consent-accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "waiting")
    return buyer, frames


def _connected_paths(people: tuple[Participant, ...], policy: str) -> list[dict]:
    """Each person's connected path (``connected_path``), under ``policy``."""
    paths = []
    for person in people:
        path = wait_until(lambda p=person: connected_path(p.page), 10, f"{person.name} connected")
        assert path["policy"] == policy, path
        paths.append(path)
    return paths


def test_a_call_with_both_pages_on_turn_only_shows_the_buyers_picture_at_the_agent(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    agent, agent_frames = _agent(live_server, open_participant)
    buyer, _ = _buyer_waits(
        live_server,
        lambda: open_participant("buyer", phone=True, on=camera_browser),
        "ORD-TURN-1",
    )
    agent.page.get_by_test_id("accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    agent_sees_bars(agent, timeout_s=15)
    for path in _connected_paths((buyer, agent), "relay"):
        assert path["selected"][0] == "relay", path  # the page's own end is coturn's relay
        assert set(path["localTypes"]) == {"relay"}, path  # no own address was offered
    # the agent's connection used the credential minted for this call, not the console's
    [welcome_config, call_config] = _rtc_configs(agent_frames)[:2]
    assert ":staff-" in welcome_config["ice_servers"][-1]["username"]
    assert call_config["ice_servers"][-1]["username"].endswith("-agent")
    assert call_config["ice_transport_policy"] == "relay"
    shoot(agent.page, "console-call-through-turn")
    shoot(buyer.page, "buyer-call-through-turn")
    agent.assert_clean()
    buyer.assert_clean()


PC_STATE_JS = "() => (window.__peerConnections || []).map((pc) => pc.connectionState)"


LATE = timedelta(hours=6)  # more than a credential's lifetime (2.5 h by default)


@pytest.mark.parametrize("live_server", [{"behind": LATE}], indirect=True)
def test_an_expired_turn_credential_is_told_to_buyer_and_agent_at_once_and_logged_without_it(
    live_server: LiveServer,
    open_participant: OpenParticipant,
    camera_browser: Browser,
    coturn_server: Coturn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="showdesk.turn")
    agent, agent_frames = _agent(live_server, open_participant)
    buyer, buyer_frames = _buyer_waits(
        live_server,
        lambda: open_participant("buyer", phone=True, on=camera_browser, locale="de-DE"),
        "ORD-TURN-2",
        link_ttl=2 * LATE,  # the link itself is valid by the real time
    )
    # coturn refuses the credential (401): the buyer is told in German, long before the
    # server's 15 s connect deadline, while the connection has not come up
    notice = buyer.page.get_by_test_id("notice")
    expect(notice).to_contain_text(BUYER_WORDS["de"]["problem.turn_refused"])
    expect(notice).to_have_attribute("data-kind", "error")  # not a passing remark
    # and the waiting screen no longer promises that the agent will see the camera
    expect(buyer.page.get_by_test_id("waiting-hint")).to_be_hidden()
    assert buyer.page.evaluate(PC_STATE_JS)[-1] in ("new", "connecting"), "it connected?"
    shoot(buyer.page, "buyer-turn-refused")

    agent.page.get_by_test_id("accept").click()
    expect(agent.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
    agent_notice = agent.page.get_by_test_id("notice")
    expect(agent_notice).to_contain_text(STAFF_WORDS["console.media.turn_refused"])
    expect(agent_notice).to_have_attribute("data-kind", "error")
    assert agent.page.evaluate(PC_STATE_JS)[-1] in ("new", "connecting")
    # nothing of the buyer's arrives: the console says it is connecting, not "good", and
    # says so on the black picture
    quality = agent.page.get_by_test_id("connection-quality")
    expect(quality).to_have_attribute("data-quality", "connecting")
    expect(quality).to_contain_text(STAFF_WORDS["console.quality.connecting"])
    expect(agent.page.get_by_test_id("connecting-overlay")).to_be_visible()
    expect(buyer.page.get_by_test_id("connection-quality")).to_have_attribute(
        "data-quality", "connecting"
    )
    shoot(agent.page, "console-turn-refused")
    shoot(buyer.page, "buyer-turn-refused-live")

    def refusals_logged() -> list[str] | NotYet:
        lines = [
            r.getMessage()
            for r in caplog.records
            if r.name == "showdesk.turn" and "(401)" in r.getMessage()
        ]
        pages = {side for side in ("buyer page", "agent page") if any(side in x for x in lines)}
        return lines if len(pages) == 2 else NotYet(f"logged so far: {lines}")

    lines = wait_until(refusals_logged, 10, "the server to log both pages' refused credential")
    assert all(f"turn:127.0.0.1:{coturn_server.port}" in line for line in lines)
    secrets = {
        value
        for config in _rtc_configs(agent_frames) + _rtc_configs(buyer_frames)
        for server in config["ice_servers"]
        for key, value in server.items()
        if key in ("username", "credential")
    }
    assert len(secrets) >= 4  # both pages: a username and a credential each, at least
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not [value for value in secrets if value in logged]
    assert "static-auth-secret" in lines[0]  # it says what to check


OTHER_WAY_S = 3.0  # web/js/ice_errors.js: under "all", how long a direct path may take


def _refused_long_enough_ago(page: Page) -> bool | NotYet:
    """True once the page's first 401 from the TURN server is more than the time the
    page gives a direct path (``OTHER_WAY_S``, plus a margin) in the past."""
    since_ms = ms_since_ice_error(page, 401)
    if since_ms is None:
        return NotYet("no 401 from the TURN server yet")
    if since_ms < (OTHER_WAY_S + 1) * 1000:
        return NotYet(f"the refusal was {since_ms:.0f} ms ago")
    return True


# Each page's direct path through a proxy with this delay each way: its first check is
# answered after two of them, while coturn (on loopback, not behind the proxy) refuses the
# credential within milliseconds. On a direct path with no delay, Chromium may find it
# writable before its TURN phase starts, stop gathering, and never ask coturn at all.
DIRECT_PATH_DELAY_MS = 120


@pytest.mark.parametrize("live_server", [{"behind": LATE, "policy": "all"}], indirect=True)
def test_a_refused_turn_credential_alarms_nobody_when_a_direct_path_connects(
    live_server: LiveServer, open_participant: OpenParticipant, camera_browser: Browser
) -> None:
    slow = Impairment(delay_ms=DIRECT_PATH_DELAY_MS)
    with ImpairmentProxy(seed=3) as agent_link, ImpairmentProxy(seed=4) as buyer_link:
        agent_link.set(slow)
        buyer_link.set(slow)
        agent, _ = _agent(live_server, open_participant, proxy=agent_link)
        buyer, _ = _buyer_waits(
            live_server,
            lambda: open_participant("buyer", phone=True, on=camera_browser),
            "ORD-TURN-3",
            link_ttl=2 * LATE,
            proxy=buyer_link,
        )
        agent.page.get_by_test_id("accept").click()
        expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")
        agent_sees_bars(agent, timeout_s=15)
        people = (buyer, agent)
        for person, path in zip(people, _connected_paths(people, "all"), strict=True):
            assert path["selected"][0] != "relay", path  # the direct path, not coturn's
            # coturn did refuse the credential, and the page's time for another way passed
            wait_until(lambda p=person: _refused_long_enough_ago(p.page), 20, "the refusal")
        _nobody_alarmed(agent, buyer)


def _nobody_alarmed(agent: Participant, buyer: Participant) -> None:
    """Neither page tells of the refusal, and both show a good connection."""
    for person, refused in (
        (buyer, BUYER_WORDS["en"]["problem.turn_refused"]),
        (agent, STAFF_WORDS["console.media.turn_refused"]),
    ):
        expect(person.page.get_by_test_id("notice")).not_to_contain_text(refused)
        expect(person.page.get_by_test_id("connection-quality")).to_have_attribute(
            "data-quality", "good"
        )
    expect(agent.page.get_by_test_id("connecting-overlay")).to_be_hidden()
    shoot(agent.page, "console-turn-refused-direct-path")
    agent.assert_clean()
    buyer.assert_clean()
