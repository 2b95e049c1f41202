"""A whole call in real browsers with every log record captured, at every level: no link
token, password, session cookie, CSRF token, API key, ICE password or TURN credential (the
pages' and the relay's own, through a real coturn) appears in any."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect
from sqlmodel import Session

from server.accounts.apikeys import create_api_key
from tests.helpers.accounts import PASSWORD, add_user
from tests.helpers.browser_steps import go_available, sign_in
from tests.helpers.chromium import OpenParticipant
from tests.helpers.servers import LiveServer
from tests.helpers.turn import Coturn
from tests.helpers.waiting import NotYet, page_pause, wait_until

ICE_PWD = re.compile(r"a=ice-pwd:(\S+)")
# a TURN username as Showdesk mints them: "<unix expiry>:<session>-<side>[-relay]"
TURN_USERNAME = re.compile(r"\d{9,12}:[A-Za-z0-9_.-]*(buyer|agent|relay|staff-\d+)")


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001  (a record that cannot format still counts)
            text = f"{record.msg} {record.args}"
        self.lines.append(f"{record.name} {text} {record.exc_text or ''}")


@pytest.fixture
def everything() -> Iterator[Everything]:
    """Every record at DEBUG, from before the server starts (its relay workers log at the
    level set when they start, through the server's own loggers)."""
    handler = Everything()
    watched = [
        logging.getLogger(),
        *(logging.getLogger(n) for n in ("uvicorn", "uvicorn.access", "uvicorn.error")),
    ]
    old_level = logging.getLogger().level
    for logger in watched:
        logger.addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        for logger in watched:
            logger.removeHandler(handler)
        logging.getLogger().setLevel(old_level)


@pytest.fixture
def live_server(server_factory: Callable[..., LiveServer], coturn_server: Coturn) -> LiveServer:
    """The call's server hands its pages TURN credentials for ``coturn_server`` and its
    relay legs their own (a server behind NAT)."""
    return server_factory(
        turn_urls=coturn_server.urls, turn_secret=coturn_server.secret, relay_uses_turn=True
    )


def _turn_credentials(frames: list[str]) -> set[str]:
    """The TURN usernames and credentials of every ``rtc_config`` a page received."""
    found: set[str] = set()
    for frame in frames:
        try:
            message = json.loads(frame)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("type") == "rtc_config":
            for server in message["ice_servers"]:
                found.update(str(server[k]) for k in ("username", "credential") if k in server)
    return found


def _ice_passwords(frames: list[str]) -> set[str]:
    """The ICE passwords of every SDP sent or received over a page's signaling socket."""
    found: set[str] = set()
    for frame in frames:
        try:
            message = json.loads(frame)
        except ValueError:
            continue
        if isinstance(message, dict) and isinstance(message.get("sdp"), str):
            found.update(ICE_PWD.findall(message["sdp"]))
    return found


def test_a_whole_call_logs_no_secret(
    everything: Everything,
    live_server: LiveServer,
    coturn_server: Coturn,
    open_participant: OpenParticipant,
    camera_browser: Browser,
) -> None:
    handler = everything
    frames: list[str] = []

    def watch(page: Page) -> None:
        def on_socket(ws: WebSocket) -> None:
            ws.on("framesent", lambda payload: frames.append(str(payload)))
            ws.on("framereceived", lambda payload: frames.append(str(payload)))

        page.on("websocket", on_socket)

    app = live_server.app
    add_user(app, "agent@shop.test", "agent", "Aggie Agent")
    with Session(app.state.engine, expire_on_commit=False) as db:
        _, api_key = create_api_key(db, "order system", app.state.clock.now())
    made = httpx.post(  # the shop's order system makes the link with its API key
        f"{live_server.url}/api/links",
        json={"order_ref": "ORD-LOG", "purpose": "damage_verification"},
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert made.status_code == 201, made.text
    link_url = made.json()["url"]
    agent = open_participant("agent")
    watch(agent.page)
    sign_in(agent.page, "agent@shop.test")
    go_available(agent.page)
    buyer = open_participant("buyer", phone=True, on=camera_browser)
    watch(buyer.page)
    buyer.page.goto(link_url)
    buyer.page.get_by_test_id("consent-accept").click()
    agent.page.get_by_test_id("accept").click()
    expect(buyer.page.get_by_test_id("call-state")).to_have_attribute("data-state", "live")

    def both_legs_seen() -> set[str] | NotYet:  # both legs' offers and answers
        seen = _ice_passwords(frames)
        return seen if len(seen) >= 4 else NotYet(f"{len(seen)} ICE passwords seen")

    ice_passwords = wait_until(
        both_legs_seen,
        10,
        "both legs' SDP on the signaling sockets",
        pause=page_pause(agent.page),
    )
    buyer.page.get_by_test_id("chat-input").fill("hello")
    buyer.page.get_by_test_id("chat-send").click()
    expect(agent.page.get_by_test_id("chat-log")).to_contain_text("hello")
    agent.page.get_by_test_id("end-call").click()
    expect(buyer.page.get_by_test_id("call-ended")).to_be_visible()
    cookies = {c["name"]: c["value"] for c in agent.context.cookies()}
    cookies.update({c["name"]: c["value"] for c in buyer.context.cookies()})
    token = link_url.rsplit("/j/", 1)[1]
    secrets = {
        "link token": token,
        "password": PASSWORD,
        "api key": api_key,
        "session cookie": cookies["showdesk_session"],
        "csrf token": cookies["csrf_token"],
        "call cookie": cookies["showdesk_call"],
        **{f"ice password {n}": p for n, p in enumerate(sorted(ice_passwords))},
        "turn secret": coturn_server.secret,
        **{f"turn credential {n}": c for n, c in enumerate(sorted(_turn_credentials(frames)))},
    }
    assert len(ice_passwords) >= 4  # both legs, both directions
    assert len(_turn_credentials(frames)) >= 6  # each page: at welcome and for the call
    text = "\n".join(handler.lines)
    assert len(handler.lines) > 20, "the logs were not captured"
    assert any(line.startswith("aiortc.") for line in handler.lines), "no relay worker records"
    # the relay's own legs allocated on coturn with their credentials (aioice's records)
    assert any(line.startswith("aioice.turn TURN allocation created") for line in handler.lines)
    assert not [line for line in handler.lines if TURN_USERNAME.search(line)]
    leaked = [name for name, value in secrets.items() if value in text]
    assert not leaked, leaked
