"""``MediaPlane``: one process's share of the media: a ``LocalRelay`` and the recorder of
its calls. A relay worker (worker.py) runs one; the control plane reaches it through
``WorkerPool`` (pool.py).

It is the ``Relay`` interface (interface.py) plus ``record_call``: from then on every
answered leg of that call is recorded (server/recording/recorder.py), and
``close_call`` ends its recording. Besides the relay's leg events it emits:

- ``{"type": "recording_row", "call_id", "change": RowChange}``: a track file's row
  changed (server/recording/rows.py); the control plane stores it, in order.
- ``{"type": "call_recorded", "call_id"}``: every track file of the call is final.
"""

from __future__ import annotations

import logging
from typing import Any

from server.recording.recorder import Recorder, RowChange
from server.relay.interface import AGENT_CAMERA, CandidateInit, EventCallback
from server.relay.local import LocalRelay
from server.storage import Storage

log = logging.getLogger(__name__)

RECORDING_CLOSE_TIMEOUT_S = 10.0  # how long ``aclose`` waits for recordings to be final


class MediaPlane:
    """A relay and its recorder in this process (see the module docstring)."""

    def __init__(
        self,
        on_event: EventCallback,
        storage: Storage,
        *,
        ice_servers: list[dict[str, Any]],
        video_codecs: list[str] | tuple[str, ...],
        connect_timeout_s: float,
        max_bitrate_kbps: int = 2500,
        start_bitrate_kbps: int = 1000,
        forwarding: str = "frames",
        video_fec: bool = False,
    ) -> None:
        self._on_event = on_event
        self.relay = LocalRelay(
            on_event,
            ice_servers=ice_servers,
            video_codecs=video_codecs,
            connect_timeout_s=connect_timeout_s,
            max_bitrate_bps=max_bitrate_kbps * 1000,
            start_bitrate_bps=start_bitrate_kbps * 1000,
            forwarding=forwarding,
            video_fec=video_fec,
        )
        self.recorder = Recorder(
            self.relay,
            storage,
            self._report_row,
            on_call_recorded=self._call_recorded,
        )

    # -- the Relay interface -------------------------------------------------------

    async def open(
        self,
        call_id: str,
        participant_id: str,
        role: str,
        ice_servers: list[dict[str, Any]] | None = None,
    ) -> None:
        await self.relay.open(call_id, participant_id, role, ice_servers)

    async def answer(self, participant_id: str, offer_sdp: str) -> str:
        """The relay's answer; the answered leg is recorded if its call is."""
        answer = await self.relay.answer(participant_id, offer_sdp)
        call_id, role = self.relay.leg_of(participant_id)  # open: answer just returned
        self.recorder.leg_answered(call_id, recorded_side(role), participant_id)
        return answer

    async def add_candidate(self, participant_id: str, candidate: CandidateInit | None) -> None:
        await self.relay.add_candidate(participant_id, candidate)

    async def close(self, participant_id: str) -> None:
        await self.relay.close(participant_id)

    async def close_call(self, call_id: str) -> None:
        await self.relay.close_call(call_id)
        self.recorder.call_ended(call_id)

    async def aclose(self, timeout_s: float = RECORDING_CLOSE_TIMEOUT_S) -> bool:
        """Close every leg, then finish every recording (bounded by ``timeout_s``).
        Returns False when a recording was still unfinished at the deadline."""
        await self.relay.aclose()
        return await self.recorder.aclose(timeout_s)

    async def silent_legs(self, silence_s: float) -> list[str]:
        return self.relay.silent_legs(silence_s)

    async def record_call(self, call_id: str, created_at: float) -> None:
        """Record the call from now on (its answered legs, and each leg answered later);
        ``created_at`` (epoch seconds) is the zero of the call clock."""
        self.recorder.call_live(call_id, created_at)
        for participant_id, role in self.relay.answered_legs(call_id):
            self.recorder.leg_answered(call_id, recorded_side(role), participant_id)

    def stats(self) -> dict[str, Any]:
        """Figures for monitoring, as JSON-ready data: ``legs`` ``[[role, state, n]]``,
        ``totals`` ``[[counter, kind, consumer, n]]`` (LocalRelay.stats) and the recorder's
        ``recording`` figures."""
        stats = self.relay.stats()
        return {
            "legs": [[*key, n] for key, n in stats["legs"].items()],
            "totals": [[*key, n] for key, n in stats["totals"].items()],
            "recording": {
                "written_bytes": self.recorder.bytes_written,
                "frames_dropped": self.recorder.frames_dropped,
                "calls": self.recorder.calls_recording,
                "writer_backlog": self.recorder.writer_backlog,
            },
        }

    def forwarding_delays(self, kind: str, from_role: str | None = None) -> list[float]:
        return self.relay.forwarding_delays(kind, from_role)

    def clear_forwarding_delays(self) -> None:
        self.relay.clear_forwarding_delays()

    # -- internals -----------------------------------------------------------------

    def _report_row(self, change: RowChange) -> None:
        self._emit({"type": "recording_row", "call_id": change["call_id"], "change": change})

    def _call_recorded(self, call_id: str) -> None:
        self._emit({"type": "call_recorded", "call_id": call_id})

    def _emit(self, event: dict[str, Any]) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("media event handler failed for %s", event.get("type"))


def recorded_side(role: str) -> str:
    """The side a leg's tracks are recorded as: the agent's phone as the camera records
    as the agent (``agent_video``, the next segment)."""
    return "agent" if role == AGENT_CAMERA else role
