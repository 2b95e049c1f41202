"""The media relay's interface, as the control plane sees it.

Message-shaped on purpose (plain strings and dicts in and out) so that the same
calls can later cross a process or machine boundary to a relay worker.

Events (``on_event(event: dict)``; every event has ``type``, ``call_id`` and
``participant_id``):

- ``{"type": "track", "kind": "audio"|"video"}``: the participant's offer sends
  this kind of media (emitted while answering).
- ``{"type": "connected"}``: ICE and DTLS are up.
- ``{"type": "first_frame", "kind": ...}``: the first whole encoded frame of that
  kind arrived from the participant.
- ``{"type": "video_codec", "codec": "VP8"|"H264"}``: the participant's offer was
  answered with video in that codec, the call's (emitted while answering).
- ``{"type": "no_common_codec", "video_codec": ... | None, "offered": [...]}``: the
  participant's offer has no video codec the call can use (``video_codec``: the call's,
  None when the call has none yet; ``offered``: the offer's codec names); its video is
  answered ``inactive``, its audio flows (emitted while answering).
- ``{"type": "media_stopped", "role", "silent_ms"}``: a connected leg that had sent
  media delivered no frame of any kind for ``silent_ms`` (at least 0.6 s): its page's
  network (or the page) has stopped sending. ``{"type": "media_resumed", "role",
  "stall_ms"}``: its next frame arrived, ``stall_ms`` after the last one before the stop.
- ``{"type": "leg_quality", "role", "packets_expected", "packets_lost", "rtt_ms",
  "rtt_samples", "stalls", "worst_stall_ms"}``: what an answered leg's connection was
  like, emitted once as it closes, before ``closed`` (``local.leg_quality``).
- ``{"type": "failed", "reason": "connection_failed"|"connection_lost"}``: the leg
  did not come up before the deadline (or ICE/DTLS failed), or it failed after
  having been connected. A ``closed`` event follows.
- ``{"type": "closed", "reason": ...}``: the leg is gone; ``reason`` is ``closed``
  (``close``), ``call_closed`` (``close_call``), ``relay_closed`` (``aclose``),
  ``peer_closed`` (the browser closed its connection), or the ``failed`` reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol

Role = Literal["buyer", "agent", "agent_camera"]
ROLES: tuple[str, ...] = ("buyer", "agent")
# A leg may also be the agent's phone used as the camera: video only, sent to the buyer
# instead of the agent leg's video and recorded as the agent's (``agent_video``).
AGENT_CAMERA = "agent_camera"
LEG_ROLES: tuple[str, ...] = (*ROLES, AGENT_CAMERA)
VideoCodec = Literal["VP8", "H264"]
VIDEO_CODECS: tuple[str, ...] = ("VP8", "H264")

Event = dict[str, Any]
EventCallback = Callable[[Event], None]

CandidateInit = dict[str, Any]
"""A browser's RTCIceCandidateInit: ``{"candidate", "sdpMid", "sdpMLineIndex"}``."""


class RelayError(Exception):
    """A request the relay refused; the message quotes the state it refused."""


class UnknownParticipantError(RelayError):
    """No open leg has this participant id."""


class Relay(Protocol):
    """One peer connection per participant; media forwarded within a call.

    - ``open`` registers a leg; a participant id is unique across the relay. Its
      ``ice_servers`` (RTCIceServer dicts, e.g. TURN with the leg's own credential)
      replace the relay's configured ones for that leg; None keeps them.
    - ``answer`` takes the browser's offer and returns the answer SDP, with all of
      the relay's candidates (no trickle from the relay side).
    - ``add_candidate`` takes a trickled browser candidate; ``None`` or an empty
      candidate (end of candidates) and ``.local`` candidates are ignored.
    - ``close`` / ``close_call`` / ``aclose`` are idempotent; each closed leg
      emits one ``closed`` event.
    - ``silent_legs`` names the connected legs that send media but delivered no frame
      for ``silence_s`` seconds.
    - ``record_call`` records the call's answered legs from now on, until ``close_call``
      (``MediaPlane``; events ``recording_row`` and ``call_recorded``, plane.py).

    ``MediaPlane`` (plane.py) implements it in this process, ``WorkerPool`` (pool.py) in
    relay worker processes; a worker that dies emits ``relay_failed`` for each call it
    held (``{"type": "relay_failed", "call_id", "participant_id": ""}``).
    """

    async def open(
        self,
        call_id: str,
        participant_id: str,
        role: Role,
        ice_servers: list[dict[str, Any]] | None = None,
    ) -> None: ...

    async def answer(self, participant_id: str, offer_sdp: str) -> str: ...

    async def add_candidate(self, participant_id: str, candidate: CandidateInit | None) -> None: ...

    async def close(self, participant_id: str) -> None: ...

    async def close_call(self, call_id: str) -> None: ...

    async def aclose(self) -> None: ...

    async def silent_legs(self, silence_s: float) -> list[str]: ...

    async def record_call(self, call_id: str, created_at: float) -> None: ...
