"""A buyer on the signaling socket alone (no page, no media), for browser tests that
need a buyer whose language and time zone they choose: it opens a link as a phone does,
says hello, consents naming the consent text's locale and version and its time zone, and
reads what the server sends. Blocking (``websockets.sync``), so plain ``def`` tests with
Playwright's sync API can use it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.helpers.links import make_link
from tests.helpers.servers import LiveServer
from tests.helpers.ws import HELLO, ws_url

READ_TIMEOUT_S = 5.0


@dataclass
class SocketBuyer:
    """A buyer's open socket and every message it has read so far."""

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

    def consent(self, *, locale: str, version: int = 1, timezone: str | None = None) -> dict:
        """Accept the consent text ``version`` in ``locale`` from time zone ``timezone``;
        returns the waiting call."""
        message: dict = {"type": "consent", "accept": True, "locale": locale}
        message["consent_version"] = version
        if timezone is not None:
            message["timezone"] = timezone
        self.send(message)
        return self.next("call", lambda m: m["state"] == "waiting")


@contextmanager
def socket_buyer(
    server: LiveServer, order_ref: str, *, link_locale: str | None = None
) -> Iterator[SocketBuyer]:
    """A buyer who opened a fresh link for ``order_ref`` and said hello; closed after."""
    _, url = make_link(server.app, order_ref, locale=link_locale)
    with httpx.Client(base_url=server.url) as http:
        opened = http.get(url.removeprefix(server.url), follow_redirects=False)
        assert opened.status_code == 303, opened.text
        cookie = f"showdesk_call={opened.cookies['showdesk_call']}"
    with connect(ws_url(server, "buyer"), additional_headers={"Cookie": cookie}) as ws:
        buyer = SocketBuyer(ws)
        ws.send(HELLO)
        buyer.next("rtc_config")
        yield buyer
