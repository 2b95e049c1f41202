"""One bounded outbox per signaling socket, each drained by its own writer task.

The call desk never awaits a socket: it puts a :class:`Send` or a :class:`Close` into
the socket's outbox and goes on. A client that falls ``max_messages`` behind is stuck:
its writer is stopped and the socket closed with ``CloseCode.TRY_LATER`` ("not reading").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from signaling.messages import ServerMessage
from signaling.vocabulary import CloseCode

log = logging.getLogger("showdesk.calls")

Sender = Callable[[str], Awaitable[None]]
Closer = Callable[[int, str], Awaitable[None]]


@dataclass(frozen=True)
class Send:
    message: ServerMessage


@dataclass(frozen=True)
class Close:
    code: int
    reason: str


OutboxItem = Send | Close


@dataclass
class _Socket:
    outbox: asyncio.Queue[OutboxItem]
    writer: asyncio.Task[None]
    close: Closer
    staff_session: str | None  # the staff session token the socket signed in with


class Outboxes:
    """The outboxes of every socket attached to this process."""

    def __init__(self, max_messages: int) -> None:
        self._max_messages = max_messages
        self._sockets: dict[str, _Socket] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def attach(
        self, conn_id: str, send: Sender, close: Closer, staff_session: str | None = None
    ) -> None:
        """Register a socket's send and close. A staff socket names its session token."""
        outbox: asyncio.Queue[OutboxItem] = asyncio.Queue(self._max_messages)
        writer = asyncio.create_task(_write_forever(outbox, send, close))
        self._sockets[conn_id] = _Socket(outbox, writer, close, staff_session)

    def detach(self, conn_id: str) -> None:
        """The socket is gone: stop its writer (what was still queued is dropped)."""
        socket = self._sockets.pop(conn_id, None)
        if socket is not None:
            socket.writer.cancel()

    def put(self, conn_id: str, item: OutboxItem) -> None:
        """Queue ``item`` for ``conn_id``; unknown sockets are ignored."""
        socket = self._sockets.get(conn_id)
        if socket is None:
            return
        try:
            socket.outbox.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("connection %s is not reading; closing it", conn_id)
            socket.writer.cancel()
            task = asyncio.ensure_future(socket.close(CloseCode.TRY_LATER, "not reading"))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def staff_sessions(self) -> dict[str, str]:
        """Each open staff socket's session token, by connection id."""
        return {
            conn_id: socket.staff_session
            for conn_id, socket in self._sockets.items()
            if socket.staff_session is not None
        }

    async def drain(self, timeout_s: float) -> None:
        """Wait (at most ``timeout_s``) until every outbox has been written out."""
        drained = [socket.outbox.join() for socket in self._sockets.values()]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*drained), timeout_s)

    async def aclose(self) -> None:
        """Stop every writer and finish the closes of stuck sockets."""
        await asyncio.gather(*list(self._closing), return_exceptions=True)
        for socket in self._sockets.values():
            socket.writer.cancel()
        self._sockets.clear()


async def _write_forever(outbox: asyncio.Queue[OutboxItem], send: Sender, close: Closer) -> None:
    while True:
        item = await outbox.get()
        try:
            if isinstance(item, Send):
                await send(item.message.to_json())
            else:
                await close(item.code, item.reason)
                return
        except Exception:  # noqa: BLE001  (the socket went away; its reader cleans up)
            return
        finally:
            outbox.task_done()
