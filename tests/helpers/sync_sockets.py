"""People on the signaling socket alone (no page, no media), for browser tests that need
a buyer whose language and time zone they choose, or an agent beside a supervisor's
page: a buyer opens a link as a phone does, says hello, consents naming the consent
text's locale and version and its time zone; an agent signs in and takes calls. Both read
what the server sends. Blocking (``websockets.sync``), so plain ``def`` tests with
Playwright's sync API can use them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.helpers.accounts import login
from tests.helpers.links import make_link
from tests.helpers.servers import LiveServer
from tests.helpers.ws import HELLO, ws_url

READ_TIMEOUT_S = 5.0


@dataclass
class SocketPerson:
    """A buyer's or a staff member's open socket and every message skipped so far."""

    ws: ClientConnection
    seen: list[dict] = field(default_factory=list)

    def send(self, message: dict) -> None:
        self.ws.send(json.dumps(message))

    def next(
        self,
        wanted: str,
        where: Callable[[dict], bool] = lambda m: True,
        timeout_s: float = READ_TIMEOUT_S,
    ) -> dict:
        """The next message of type ``wanted`` for which ``where`` holds (others are kept
        in ``seen``); an AssertionError listing what came instead after ``timeout_s``."""
        while True:
            try:
                message = json.loads(self.ws.recv(timeout=timeout_s))
            except TimeoutError:
                raise AssertionError(
                    f"no {wanted!r} within {timeout_s} s; saw {self.seen}"
                ) from None
            if message["type"] == wanted and where(message):
                return message
            self.seen.append(message)

    def consent(self, *, locale: str, timezone: str, version: int = 1) -> dict:
        """Accept the consent text ``version`` in ``locale`` from time zone ``timezone``,
        as the buyer page says it; returns the waiting call."""
        self._consent(True, locale, timezone, version)
        return self.next("call", lambda m: m["state"] == "waiting")

    def decline(self, *, locale: str, timezone: str, version: int = 1) -> dict:
        """Decline the consent text ``version`` in ``locale``; returns the ended call."""
        self._consent(False, locale, timezone, version)
        return self.next("call", lambda m: m["state"] == "ended")

    def _consent(self, accept: bool, locale: str, timezone: str, version: int) -> None:
        self.send(
            {
                "type": "consent",
                "accept": accept,
                "locale": locale,
                "consent_version": version,
                "timezone": timezone,
            }
        )

    def answer(self, session_id: str) -> dict:
        """As an agent: go available, accept ``session_id``; returns the live call."""
        self.send({"type": "set_availability", "state": "available"})
        self.send({"type": "accept", "session_id": session_id})
        return self.next("call", lambda m: m["state"] == "live" and m["session_id"] == session_id)


@contextmanager
def socket_buyer(
    server: LiveServer, order_ref: str, *, link_locale: str | None = None
) -> Iterator[SocketPerson]:
    """A buyer who opened a fresh link for ``order_ref`` and said hello; closed after."""
    _, url = make_link(server.app, order_ref, locale=link_locale)
    with httpx.Client(base_url=server.url) as http:
        opened = http.get(url.removeprefix(server.url), follow_redirects=False)
        assert opened.status_code == 303, opened.text
        cookie = f"showdesk_call={opened.cookies['showdesk_call']}"
    with _said_hello(server, "buyer", cookie) as buyer:
        yield buyer


@contextmanager
def socket_agent(server: LiveServer, email: str) -> Iterator[SocketPerson]:
    """An agent account ``email`` already made, signed in on the socket; closed after."""
    with httpx.Client(base_url=server.url) as http:
        login(http, email)
        cookie = f"showdesk_session={http.cookies['showdesk_session']}"
    with _said_hello(server, "staff", cookie) as agent:
        yield agent


@contextmanager
def _said_hello(server: LiveServer, who: str, cookie: str) -> Iterator[SocketPerson]:
    with connect(ws_url(server, who), additional_headers={"Cookie": cookie}) as ws:
        person = SocketPerson(ws)
        ws.send(HELLO)
        person.next("rtc_config")
        yield person
