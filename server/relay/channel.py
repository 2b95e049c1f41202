"""The local channel between the control plane and a relay worker: one JSON object per
line over a Unix socket pair (the worker's end is passed as an inherited descriptor).

Control plane to worker: ``{"id": n, "op": name, "args": {...}}``; the first message is
``{"op": "configure", "config": {...}}`` and the last may be ``{"op": "shutdown"}`` (no
ids). Worker to control plane: ``{"id": n, "result": x}`` or ``{"id": n, "error":
{"type": "unknown"|"refused", "message"}}`` for a request (``unknown``: no such
participant), ``{"event": {...}}`` for a relay event (interface.py, plane.py),
``{"log": {"name", "level", "message"}}`` for a log record, ``{"ready": pid}`` once
started and ``{"closed": true}`` once its legs and recordings are closed.

A message over ``MAX_MESSAGE_BYTES`` ends the channel: nothing legitimate is that large
(an SDP is a few kilobytes). End of file means the other side is gone.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

MAX_MESSAGE_BYTES = 4 * 1024 * 1024


class ChannelClosed(Exception):
    """The other side closed the channel (or broke it)."""


async def open_channel(sock: socket.socket) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Stream reader and writer on a connected Unix socket."""
    return await asyncio.open_unix_connection(sock=sock, limit=MAX_MESSAGE_BYTES)


def send(writer: asyncio.StreamWriter, message: dict[str, Any]) -> None:
    """Queue one message (buffered; no await). Raises ``ChannelClosed`` once closed."""
    if writer.is_closing():
        raise ChannelClosed("the channel is closed")
    writer.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")


async def receive(reader: asyncio.StreamReader) -> dict[str, Any]:
    """The next message. Raises ``ChannelClosed`` at end of file, on an oversized
    message or on one that is not a JSON object."""
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        raise ChannelClosed(f"end of file ({len(exc.partial)} bytes unread)") from None
    except (asyncio.LimitOverrunError, ConnectionError) as exc:
        raise ChannelClosed(str(exc)) from None
    try:
        message = json.loads(line)
    except ValueError:
        raise ChannelClosed("a message is not JSON") from None
    if not isinstance(message, dict):
        raise ChannelClosed("a message is not a JSON object")
    return message
