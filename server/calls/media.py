"""Media legs of calls: which page's peer connection belongs to which call and side.

``CallMedia`` sits between the signaling adapter and the ``Relay``: a participant's
``offer`` opens a leg (replacing that side's previous one: no renegotiation), trickled
candidates go to that leg, a closed socket closes its leg, an ended call closes all its
legs, and a leg that never comes up is reported so the call ends ``connection_failed``.
The agent's phone as the camera is a leg of its own (side ``agent_camera``); its failure
ends no call. The video codec each leg was answered in, or that it had none of the call's,
is reported too (the switchboard keeps the call's codec and ends a call without one in common).
Recording happens where the media is (the relay's workers record the calls they hold).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from server.relay import AGENT_CAMERA, Relay, RelayError, UnknownParticipantError

log = logging.getLogger("showdesk.media")

LegFailed = Callable[[str], Awaitable[None]]  # called with the session id
# the ICE servers of a new leg (session id, side), or None for the relay's own
LegIceServers = Callable[[str, str], list[dict[str, Any]] | None]
FirstFrame = Callable[[str, str, str], Awaitable[None]]  # session id, side, kind
CodecAgreed = Callable[[str, str, str], Awaitable[None]]  # session id, side, codec
NoCommonCodec = Callable[[str, str, str | None], Awaitable[None]]  # ..., the call's codec
MediaFlow = Callable[[str, str, bool], None]  # session id, side, whether media flows


class MediaRefused(Exception):
    """An offer or candidate the relay could not use; the message is safe to show."""

    code = "media_failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _for_page(exc: Exception, participant_id: str) -> str:
    """The relay's reason, fit for the page: the leg's internal id (call id, side, counter)
    is named "this connection"; the full reason goes to the log."""
    log.info("media refused for %s: %s", participant_id, exc)
    text = str(exc)
    for named in (f'participant "{participant_id}"', f'"{participant_id}"', participant_id):
        text = text.replace(named, "this connection")
    return text


class CallMedia:
    """Owns the mapping of sockets to relay legs; one per control plane."""

    def __init__(self, relay: Relay, leg_ice_servers: LegIceServers | None = None) -> None:
        self.relay = relay
        self._leg_ice_servers = leg_ice_servers
        self._ids = itertools.count(1)
        self._leg_of_conn: dict[str, str] = {}  # socket -> participant id
        self._current: dict[tuple[str, str], str] = {}  # (session, side) -> participant id
        self._session_of_leg: dict[str, tuple[str, str]] = {}
        self.on_leg_failed: LegFailed | None = None
        self.on_first_frame: FirstFrame | None = None
        self.on_codec_agreed: CodecAgreed | None = None
        self.on_no_common_codec: NoCommonCodec | None = None
        self.on_media_flow: MediaFlow | None = None
        self.on_camera_failed: LegFailed | None = None  # the agent's phone camera leg failed
        self._tasks: set[asyncio.Task[None]] = set()

    async def offer(self, conn_id: str, session_id: str, side: str, sdp: str) -> str:
        """Open a leg for ``conn_id`` in ``session_id`` and answer ``sdp``.

        The side's previous leg (an older page, or this page's earlier offer) is closed.
        Raises MediaRefused when the relay refuses the offer.
        """
        previous = self._current.get((session_id, side))
        if previous is not None:
            await self._close(previous)
        old = self._leg_of_conn.get(conn_id)
        if old is not None:
            await self._close(old)
        participant_id = f"{session_id}:{side}:{next(self._ids)}"
        self._leg_of_conn[conn_id] = participant_id
        self._current[(session_id, side)] = participant_id
        self._session_of_leg[participant_id] = (session_id, side)
        try:
            ice_servers = self._leg_ice_servers(session_id, side) if self._leg_ice_servers else None
            if ice_servers is None:
                await self.relay.open(session_id, participant_id, side)
            else:
                await self.relay.open(session_id, participant_id, side, ice_servers=ice_servers)
            answer = await self.relay.answer(participant_id, sdp)
        except RelayError as exc:
            await self._close(participant_id)
            raise MediaRefused(f"the offer was refused: {_for_page(exc, participant_id)}") from None
        return answer

    async def candidate(self, conn_id: str, candidate: dict[str, Any] | None) -> None:
        """Pass a trickled candidate to the socket's leg (ignored when it has none)."""
        participant_id = self._leg_of_conn.get(conn_id)
        if participant_id is None:
            return
        try:
            await self.relay.add_candidate(participant_id, candidate)
        except UnknownParticipantError:
            return
        except (RelayError, ValueError) as exc:
            reason = _for_page(exc, participant_id)
            raise MediaRefused(f"the candidate was refused: {reason}") from None

    async def silent_connections(self, silence_s: float) -> list[str]:
        """Sockets whose page's media stopped arriving ``silence_s`` seconds ago."""
        silent = set(await self.relay.silent_legs(silence_s))
        return [conn for conn, pid in self._leg_of_conn.items() if pid in silent]

    async def connection_gone(self, conn_id: str) -> None:
        """The socket closed: its page's peer connection goes with it."""
        participant_id = self._leg_of_conn.get(conn_id)
        if participant_id is not None:
            await self._close(participant_id)

    async def call_ended(self, session_id: str) -> None:
        for key in [k for k in self._current if k[0] == session_id]:
            self._current.pop(key, None)
        await self.relay.close_call(session_id)

    async def aclose(self) -> None:
        await self.relay.aclose()

    def legs(self) -> dict[tuple[str, str], str]:
        """The current leg of each (session, side)."""
        return dict(self._current)

    async def _close(self, participant_id: str) -> None:
        for conn_id, pid in list(self._leg_of_conn.items()):
            if pid == participant_id:
                del self._leg_of_conn[conn_id]
        key = self._session_of_leg.pop(participant_id, None)
        if key is not None and self._current.get(key) == participant_id:
            del self._current[key]
        await self.relay.close(participant_id)

    def handle_event(self, event: dict) -> None:
        """A leg event from the relay (interface.py): first frames, media stopping and
        resuming, failed legs and each answer's video codec (or none in common) are
        reported; events of replaced legs are ignored."""
        participant_id = event.get("participant_id", "")
        key = self._session_of_leg.get(participant_id)
        if key is None or self._current.get(key) != participant_id:
            return  # an old leg that was replaced: nothing to report
        session_id, side = key
        kind = event.get("type")
        if kind == "first_frame" and self.on_first_frame is not None:
            self._spawn(self.on_first_frame(session_id, side, str(event.get("kind"))))
        elif kind == "video_codec" and self.on_codec_agreed is not None:
            self._spawn(self.on_codec_agreed(session_id, side, str(event.get("codec"))))
        elif kind == "no_common_codec" and self.on_no_common_codec is not None:
            log.info(
                "call %s: the %s's browser offered %s, none of the call's video codecs (%s)",
                session_id,
                side,
                ",".join(str(name) for name in event.get("offered") or []) or "no video codec",
                event.get("video_codec") or "none yet",
            )
            codec = event.get("video_codec")
            self._spawn(self.on_no_common_codec(session_id, side, str(codec) if codec else None))
        elif kind in ("media_stopped", "media_resumed") and self.on_media_flow is not None:
            self.on_media_flow(session_id, side, kind == "media_resumed")
        elif side == AGENT_CAMERA and kind == "failed":
            log.info("the phone camera's connection of call %s failed", session_id)
            if self.on_camera_failed is not None:
                self._spawn(self.on_camera_failed(session_id))
        elif event.get("type") == "failed" and event.get("reason") == "connection_failed":
            log.info("media connection of call %s (%s) did not come up", session_id, side)
            if self.on_leg_failed is not None:
                self._spawn(self.on_leg_failed(session_id))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
