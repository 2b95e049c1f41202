"""A webhook receiver as a shop runs one: a small ASGI app under uvicorn on a free
loopback port, in a thread of the test process, that verifies each delivery with the
``standardwebhooks`` library (204 when it verifies, 400 when not) and keeps what came.

``mode``: ``verify`` (as above), ``fail`` (answers 500), ``redirect`` (answers 307 to
``/landed``, which counts its hits in ``landed``) or ``slow`` (verifies, then holds its
answer for ``slow_s`` seconds)."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from standardwebhooks import Webhook, WebhookVerificationError

from tests.helpers.servers import free_port
from tests.helpers.waiting import NotYet, wait_until


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    event: dict[str, Any] | None  # the verified body; None: verification failed
    error: str | None
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    secrets: list[str] = field(default_factory=list)  # any one verifying is enough
    mode: str = "verify"
    received: list[Received] = field(default_factory=list)
    landed: int = 0
    slow_s: float = 5.0
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/showdesk"

    def verified(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """The verified events (of ``event_type``), in the order they came."""
        return [
            r.event
            for r in self.received
            if r.event is not None and (event_type is None or r.event["type"] == event_type)
        ]

    def _verify(self, body: bytes, headers: dict[str, str]) -> tuple[dict | None, str | None]:
        error = "no secret to verify with"
        for secret in self.secrets:
            try:
                return Webhook(secret).verify(body, headers), None
            except WebhookVerificationError as exc:
                error = str(exc)
        return None, error

    async def _app(self, scope: dict, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        path = scope["path"]
        extra: list[tuple[bytes, bytes]] = []
        if path == "/landed":
            self.landed += 1
            status = 204
        elif self.mode == "redirect":
            status, extra = 307, [(b"location", f"http://127.0.0.1:{self.port}/landed".encode())]
            self.received.append(Received(path, headers, body, None, "redirected"))
        elif self.mode == "fail":
            status = 500
            self.received.append(Received(path, headers, body, None, "answered 500"))
        else:
            event, error = self._verify(body, headers)
            self.received.append(Received(path, headers, body, event, error))
            status = 204 if event is not None else 400
            if self.mode == "slow":
                await asyncio.sleep(self.slow_s)
        await send({"type": "http.response.start", "status": status, "headers": extra})
        await send({"type": "http.response.body", "body": b""})

    def start(self) -> Receiver:
        config = uvicorn.Config(
            self._app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            interface="asgi3",
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
        self._thread.start()

        def started() -> bool | NotYet:
            return server.started or NotYet("starting")

        wait_until(started, 10, "the webhook receiver to start")
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None
