"""``LocalRelay``: the relay in this process, one ``RTCPeerConnection`` per participant.

How a call is wired: each leg answers its browser's offer. For every m-line the
offer can receive on, the relay pre-creates a sending ``ForwardingTrack`` (aiortc
cannot renegotiate from the server side, so it must exist at answer time); for
every m-line the offer sends on, it taps the receiver into a ``TrackSource``.
Whenever legs of a call are answered or closed, ``_rewire`` attaches the i-th
source of each kind of the newest leg of the other role to the i-th sink of that
kind: buyer -> agent and agent -> buyer. A buyer may be answered long before any
agent exists; the agent's sinks attach to the running sources and request a
keyframe at once.

The agent's phone as the camera: a leg of role ``agent_camera`` (video only, sendonly)
replaces the agent leg's video towards the buyer from its first video frame on; the agent leg's
audio still goes to the buyer. When it closes, the agent leg's video is attached again.

Video codec, per call (codecs.py): the first leg answered fixes the call's codec, the
first of ``video_codecs`` its offer can take; later legs are answered in it. A leg whose
offer lacks it (or, first, has none of ``video_codecs``) is answered with its video
``inactive`` and its audio as usual: the whole offer is never refused for video alone.
Each answer emits ``video_codec`` or ``no_common_codec`` (interface.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceCandidate,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpCodecCapability,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc import sdp as aiortc_sdp
from aiortc.codecs import CODECS, is_rtx
from aiortc.rtcpeerconnection import find_common_codecs
from aiortc.rtp import RtpPacket
from aiortc.sdp import candidate_from_sdp

from .bandwidth import (
    DEFAULT_MAX_BITRATE_BPS,
    DEFAULT_START_BITRATE_BPS,
    ReceiveBandwidth,
    announce_video_bitrates,
    follow_receiver_estimate,
    lowest_receiver_estimate,
)
from .codecs import leg_video_codec
from .far_round_trip import report_far_round_trip
from .fec import accept_video_fec, receive_red
from .forwarding import (
    DelayRecord,
    EncodedFrame,
    ForwardingTrack,
    TrackSource,
    route_keyframe_requests,
)
from .ice_checks import ice_connections, retrigger_in_progress_checks
from .interface import (
    AGENT_CAMERA,
    LEG_ROLES,
    ROLES,
    VIDEO_CODECS,
    CandidateInit,
    EventCallback,
    RelayError,
    UnknownParticipantError,
)
from .jitter import MAX_FRAME_WAIT_S, RECORDER_FRAME_WAIT_S
from .packet_forwarding import PacketForwarder
from .receiver_tap import EncodedFrameTap
from .sdp_cleanup import clean_offer_sdp, is_mdns_candidate
from .ulpfec import RedReceiver

logger = logging.getLogger(__name__)

# Closing a peer connection takes milliseconds; a close that takes longer than
# this at shutdown is abandoned rather than holding the process.
ACLOSE_TIMEOUT_S = 5.0
# How many forwarding delays are kept per kind and sending role: a minute of Opus.
FORWARDING_DELAY_SAMPLES = 3000
# A leg whose page sent media and then nothing (no frame of any kind) this long has
# stopped: ``media_stopped`` is emitted (the call's pages are told within the 2 s goal).
MEDIA_STOPPED_S = 0.6
# A gap this long between two frames of a leg (any kind) counts as a stall of its media.
STALL_MIN_S = 0.5
MEDIA_WATCH_INTERVAL_S = 0.2  # how often legs are checked for stopped media
RTT_SAMPLE_INTERVAL_S = 1.0  # how often each leg's round-trip time is read
RTT_SAMPLES = 600  # the last ten minutes of round-trip times per leg
# "foundation component transport priority address port typ type": 8 fields minimum.
_CANDIDATE_MIN_FIELDS = 8
FORWARDING_MODES = ("frames", "packets")  # how video goes on to the other leg (LocalRelay)
# Answer direction for an offered m-line, keyed by (offer sends, offer receives).
_ANSWER_DIRECTION = {
    (True, True): "sendrecv",
    (True, False): "recvonly",
    (False, True): "sendonly",
    (False, False): "inactive",
}


def offered_video_codecs(media: aiortc_sdp.MediaDescription) -> list[str]:
    """The video codecs of an offer's section that aiortc can negotiate, in the offer's
    order, by name (``VP8``, ``H264``; an H.264 profile aiortc lacks is left out)."""
    names: list[str] = []
    for codec in find_common_codecs(CODECS["video"], media.rtp.codecs):
        name = codec.mimeType.split("/", 1)[1].upper()
        if not is_rtx(codec) and name not in names:
            names.append(name)
    return names


def codec_preferences(kind: str, video_codec: str) -> list[RTCRtpCodecCapability]:
    """The only codec the relay negotiates for ``kind`` (plus RTX for video).

    Both legs of a call must use the same codec for frames to pass through.
    """
    if kind == "video" and video_codec not in VIDEO_CODECS:
        raise ValueError(f'video codec must be one of {VIDEO_CODECS}, not "{video_codec}"')
    capabilities = RTCRtpSender.getCapabilities(kind).codecs
    wanted = f"video/{video_codec}".lower() if kind == "video" else "audio/opus"
    chosen = [c for c in capabilities if c.mimeType.lower() == wanted]
    rtx = [c for c in capabilities if c.mimeType.lower() == f"{kind}/rtx"]
    return chosen + rtx


@dataclass(eq=False)
class _Leg:
    call_id: str
    participant_id: str
    role: str
    pc: RTCPeerConnection
    sources: list[TrackSource] = field(default_factory=list)
    sinks: list[ForwardingTrack] = field(default_factory=list)
    subscriptions: list[ForwardingTrack] = field(default_factory=list)
    taps: list[EncodedFrameTap] = field(default_factory=list)
    packet_forwarders: list[PacketForwarder] = field(default_factory=list)
    pending_candidates: list[RTCIceCandidate] = field(default_factory=list)
    offer_received: bool = False
    remote_description_set: bool = False
    answered_at: float | None = None
    connected: bool = False
    closing: bool = False
    deadline: asyncio.Task[None] | None = None
    last_media_at: float | None = None  # monotonic time of the latest frame received
    video_codec: str | None = None  # what its video is answered in; None: no video
    video_off_mids: set[str] = field(default_factory=set)  # video answered inactive
    stopped_since: float | None = None  # media stopped (``media_stopped`` emitted) since then
    stalls: int = 0  # gaps of at least STALL_MIN_S between frames (closed legs: stopped included)
    worst_stall_s: float = 0.0
    rtt_samples: deque[float] = field(default_factory=lambda: deque(maxlen=RTT_SAMPLES))
    red: RedReceiver | None = None  # its video's RED and FEC, when accepted (fec.py)

    def event(self, type_: str, **fields: Any) -> dict[str, Any]:
        return {
            "type": type_,
            "call_id": self.call_id,
            "participant_id": self.participant_id,
            **fields,
        }


class LocalRelay:
    """The ``Relay`` interface (interface.py) implemented in this process.

    Settings: ``ice_servers`` in the RTCIceServer dict shape (``urls``,
    ``username``, ``credential``), empty by default: aiortc's own default is a
    public STUN server, which is never used. ``connect_timeout_s``: a leg whose
    ICE/DTLS is not up this long after its answer fails with
    ``connection_failed`` and is closed. ``video_codecs``: the video codecs a call may
    use, most preferred first (see the module docstring). ``release_complete_frames``:
    forward a video frame once its last packet is in and audio without aiortc's
    prefetch (lower latency); False keeps aiortc's jitter buffers. ``max_bitrate_bps``:
    the most a sending browser is told it may use for video (bandwidth.py; it is also told
    no more than the receiving browsers' own estimates); ``start_bitrate_bps``: what it is
    told to start at (its REMB, and the answer's ``x-google-start-bitrate``).
    ``forwarding``: ``"frames"`` (this class's default; the server's setting defaults to
    ``packets``) sends video on as whole frames through aiortc's sender; ``"packets"``
    passes each video RTP packet on as it arrives and answers the receiving browser's
    NACKs itself (packet_forwarding.py). Audio and recordings use frames either way.

    ``forwarding_delays`` tells how long recent frames spent inside the relay.

    The relay owns every peer connection and task it creates; ``aclose`` ends them.
    """

    def __init__(
        self,
        on_event: EventCallback,
        *,
        ice_servers: list[dict[str, Any]],
        connect_timeout_s: float,
        video_codecs: Sequence[str],
        release_complete_frames: bool = True,
        max_bitrate_bps: int = DEFAULT_MAX_BITRATE_BPS,
        start_bitrate_bps: int = DEFAULT_START_BITRATE_BPS,
        forwarding: str = "frames",
        video_fec: bool = False,
    ) -> None:
        if forwarding not in FORWARDING_MODES:
            raise ValueError(f"forwarding must be one of {FORWARDING_MODES}, not {forwarding!r}")
        unknown = [codec for codec in video_codecs if codec not in VIDEO_CODECS]
        if unknown or not video_codecs:
            raise ValueError(
                f"video_codecs must be some of {VIDEO_CODECS}, not {list(video_codecs)}"
            )
        if connect_timeout_s <= 0:
            raise ValueError(f"connect_timeout_s must be positive, not {connect_timeout_s}")
        self._on_event = on_event
        self._ice_servers = [RTCIceServer(**server) for server in ice_servers or []]
        self._connect_timeout_s = connect_timeout_s
        self._video_codecs = tuple(video_codecs)
        self._audio_preferences = codec_preferences("audio", "")
        self._call_codecs: dict[str, str] = {}  # call id -> the video codec it fixed
        self._release_complete_frames = release_complete_frames
        self._max_bitrate_bps = max_bitrate_bps
        self._start_bitrate_bps = start_bitrate_bps
        self._forward_packets = forwarding == "packets"
        self._video_fec = video_fec
        self._packet_forwarders: dict[ForwardingTrack, PacketForwarder] = {}
        self._delays: dict[tuple[str, str], DelayRecord] = {
            (kind, role): deque(maxlen=FORWARDING_DELAY_SAMPLES)
            for kind in ("audio", "video")
            for role in ROLES
        }
        self._legs: dict[str, _Leg] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._watcher: asyncio.Task[None] | None = None
        self._closed = False
        # What closed legs had counted (see ``stats``), so that totals never go backwards.
        self._closed_leg_totals: Counter[tuple[str, str, str]] = Counter()

    # -- the Relay interface -------------------------------------------------------

    async def open(
        self,
        call_id: str,
        participant_id: str,
        role: str,
        ice_servers: list[dict[str, Any]] | None = None,
    ) -> None:
        """Register a leg (with ``ice_servers`` instead of the relay's, when given).
        Raises ``RelayError`` for a duplicate id or unknown role."""
        if self._closed:
            raise RelayError("relay is closed")
        if role not in LEG_ROLES:
            raise RelayError(f'role must be one of {LEG_ROLES}, not "{role}"')
        if participant_id in self._legs:
            raise RelayError(f'participant "{participant_id}" is already open')
        servers = (
            list(self._ice_servers)
            if ice_servers is None
            else [RTCIceServer(**server) for server in ice_servers]
        )
        pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
        leg = _Leg(call_id=call_id, participant_id=participant_id, role=role, pc=pc)
        pc.on("connectionstatechange", lambda: self._on_connection_state(leg))
        self._legs[participant_id] = leg

    async def answer(self, participant_id: str, offer_sdp: str) -> str:
        """Answer the browser's offer; returns the answer SDP with all candidates.

        The offer is cleaned first (sdp_cleanup.py). Video is answered in the call's
        codec, or ``inactive`` when the offer lacks it (see the module docstring); an
        event ``video_codec`` or ``no_common_codec`` tells which before this returns.
        Raises ``RelayError`` for an offer aiortc cannot take (aiortc's reason goes to
        the log in full), a second offer, or a leg closed meanwhile; the leg then stays
        open until the caller closes it.
        """
        leg = self._leg(participant_id)
        if leg.offer_received:
            raise RelayError(f'participant "{participant_id}" has already been answered')
        leg.offer_received = True
        sdp = clean_offer_sdp(offer_sdp)
        try:
            offer = aiortc_sdp.SessionDescription.parse(sdp)
        except Exception as exc:  # aiortc's parser raises many types, StopIteration included
            raise RelayError(f"offer is not valid SDP ({type(exc).__name__})") from None
        _check_offer(offer)
        codec_event = self._choose_video_codec(leg, offer)
        self._add_transceivers(leg, offer)
        try:
            await leg.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as exc:  # aiortc raises several types for a bad offer
            logger.warning(
                'aiortc refused the offer of "%s": %s: %s',
                participant_id,
                type(exc).__name__,
                exc,
            )
            self._check_still_open(leg)
            raise RelayError(f"offer refused ({type(exc).__name__})") from None
        self._check_still_open(leg)
        self._tap_receivers(leg)
        for connection in ice_connections(leg.pc):  # a check through TURN: at once (ice_checks)
            retrigger_in_progress_checks(connection)
        leg.remote_description_set = True
        try:
            while leg.pending_candidates:
                await leg.pc.addIceCandidate(leg.pending_candidates.pop(0))
            await leg.pc.setLocalDescription(await leg.pc.createAnswer())
        except Exception as exc:
            self._check_still_open(leg)
            raise RelayError(f"answer failed: {exc}") from exc
        self._check_still_open(leg)
        leg.answered_at = time.monotonic()
        leg.deadline = self._spawn(self._connect_deadline(leg))
        if self._watcher is None:
            self._watcher = self._spawn(self._watch_media())
        self._rewire(leg.call_id)
        if codec_event is not None:
            self._emit(codec_event)
        answer = leg.pc.localDescription.sdp
        if self._video_fec:
            answer = self._accept_fec(leg, sdp, answer)
        return announce_video_bitrates(
            answer,
            start_bps=self._start_bitrate_bps,
            max_bps=self._max_bitrate_bps,
        )

    async def add_candidate(self, participant_id: str, candidate: CandidateInit | None) -> None:
        """Add a trickled browser candidate; end-of-candidates and ``.local`` are ignored.

        A candidate that arrives before the offer is kept until the offer is set.
        """
        leg = self._leg(participant_id)
        if not candidate or not candidate.get("candidate"):
            return
        text = str(candidate["candidate"])
        if is_mdns_candidate(text):
            return
        ice = _parse_candidate(text)
        ice.sdpMid = candidate.get("sdpMid")
        ice.sdpMLineIndex = candidate.get("sdpMLineIndex")
        if ice.sdpMid is None and ice.sdpMLineIndex is None:
            raise RelayError("candidate has neither sdpMid nor sdpMLineIndex")
        if not leg.remote_description_set:
            leg.pending_candidates.append(ice)
            return
        await leg.pc.addIceCandidate(ice)

    async def close(self, participant_id: str) -> None:
        """Close one leg (no-op if it is not open)."""
        leg = self._legs.get(participant_id)
        if leg is not None:
            await self._close_leg(leg, "closed")

    async def close_call(self, call_id: str) -> None:
        """Close every leg of a call (and forget its video codec)."""
        self._call_codecs.pop(call_id, None)
        legs = [leg for leg in self._legs.values() if leg.call_id == call_id]
        await asyncio.gather(*(self._close_leg(leg, "call_closed") for leg in legs))

    async def aclose(self) -> None:
        """Close every leg and task; the relay refuses new legs afterwards."""
        self._closed = True
        if self._watcher is not None:
            self._watcher.cancel()
        legs = list(self._legs.values())
        await asyncio.gather(*(self._close_leg(leg, "relay_closed") for leg in legs))
        # What is left are legs closing on their own (failed, closed by the peer):
        # let them finish, they emit their events; cancel only what overruns.
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        if tasks:
            _, overrun = await asyncio.wait(tasks, timeout=ACLOSE_TIMEOUT_S)
            for task in overrun:
                task.cancel()
            await asyncio.gather(*overrun, return_exceptions=True)

    # -- in-process extras (recorder, tests) --------------------------------------

    def subscribe(
        self, participant_id: str, kind: str, index: int = 0, max_queued_frames: int | None = None
    ) -> ForwardingTrack:
        """A bounded track of the participant's ``index``-th incoming ``kind`` track.

        For an in-process consumer such as a recorder: ``recv()`` yields
        ``av.Packet``; the track ends (``MediaStreamError``) when the leg closes.
        """
        leg = self._leg(participant_id)
        sources = [source for source in leg.sources if source.kind == kind]
        if index >= len(sources):
            raise RelayError(
                f'participant "{participant_id}" sends {len(sources)} {kind} track(s), '
                f"no index {index}"
            )
        track = ForwardingTrack(kind, max_queued_frames=max_queued_frames)
        track.attach(sources[index])
        leg.subscriptions.append(track)
        return track

    def forwarding_delays(self, kind: str, from_role: str | None = None) -> list[float]:
        """Seconds that recent ``kind`` frames spent inside the relay (per role, oldest first).

        Each is the time from the receiver tap delivering the whole frame to the
        forwarding track handing it to the other participant's RTP sender (queueing
        plus event-loop scheduling). ``from_role`` keeps only frames sent by that
        role ("buyer": what agents got). The last ``FORWARDING_DELAY_SAMPLES`` per
        kind and role are kept, across calls; legs closing do not clear them.
        """
        if kind not in ("audio", "video"):
            raise ValueError(f'kind must be "audio" or "video", not "{kind}"')
        if from_role is not None and from_role not in ROLES:
            raise ValueError(f'from_role must be one of {ROLES}, not "{from_role}"')
        roles = ROLES if from_role is None else (from_role,)
        return [delay for role in roles for delay in self._delays[(kind, role)]]

    def clear_forwarding_delays(self) -> None:
        """Forget the recorded forwarding delays."""
        for record in self._delays.values():
            record.clear()

    def silent_legs(self, silence_s: float) -> list[str]:
        """Participants whose connected leg delivered media and then none for ``silence_s``
        seconds: their page has gone (a page that never sent anything, e.g. with camera
        and microphone refused, is not counted)."""
        now = time.monotonic()
        return [
            leg.participant_id
            for leg in self._legs.values()
            if leg.connected
            and not leg.closing
            and leg.sources
            and leg.last_media_at is not None
            and now - leg.last_media_at > silence_s
        ]

    def stats(self) -> dict[str, Any]:
        """Figures for monitoring (server/metrics.py), as plain data.

        ``legs``: open legs by ``(role, "connected"|"connecting")``. ``totals``: counts
        since the relay started, closed legs included, by ``(counter, kind, consumer)``:
        ``frames_received`` (consumer ""), ``frames_forwarded`` and ``frames_dropped``
        (consumer ``participant``: the other side's sender; ``subscriber``: an in-process
        reader such as the recorder), ``keyframe_requests_received`` (PLI/FIR from a
        receiving participant), ``keyframe_requests_sent`` (PLIs to a sender, ""),
        ``packets_received`` (RTP packets from participants, ""), ``packets_sent``
        (RTP packets to participants, ``participant``), ``frames_lost`` (video frames
        given up after packets were lost for good, ""), ``nacks_repeated`` (NACKs sent
        again for packets still missing, ""), ``fec_packets_received`` and
        ``packets_recovered`` (video FEC packets, and media packets rebuilt from them, "";
        fec.py). The relay drops whole frames,
        never single packets: drops are counted in frames.
        """
        legs: Counter[tuple[str, str]] = Counter()
        totals = Counter(self._closed_leg_totals)
        for leg in self._legs.values():
            legs[(leg.role, "connected" if leg.connected else "connecting")] += 1
            totals.update(_leg_counts(leg))
        return {"legs": dict(legs), "totals": dict(totals)}

    def leg_of(self, participant_id: str) -> tuple[str, str]:
        """``(call id, role)`` of an open leg; ``UnknownParticipantError`` otherwise."""
        leg = self._leg(participant_id)
        return leg.call_id, leg.role

    def answered_legs(self, call_id: str) -> list[tuple[str, str]]:
        """``(participant id, role)`` of the call's open legs whose offer was answered."""
        return [(leg.participant_id, leg.role) for leg in self._answered(call_id)]

    def video_codec_of(self, participant_id: str) -> str | None:
        """The video codec the participant's leg was answered in (None: no video)."""
        return self._leg(participant_id).video_codec

    def call_video_codec(self, call_id: str) -> str | None:
        """The video codec the call's first answered leg fixed, if any."""
        return self._call_codecs.get(call_id)

    def sources(self, participant_id: str) -> list[TrackSource]:
        """The participant's incoming tracks, in m-line order."""
        return list(self._leg(participant_id).sources)

    def sinks(self, participant_id: str) -> list[ForwardingTrack]:
        """The tracks the relay sends to the participant, in m-line order."""
        return list(self._leg(participant_id).sinks)

    # -- internals -----------------------------------------------------------------

    def _leg(self, participant_id: str) -> _Leg:
        leg = self._legs.get(participant_id)
        if leg is None:
            raise UnknownParticipantError(f'participant "{participant_id}" is not open')
        return leg

    def _check_still_open(self, leg: _Leg) -> None:
        if leg.closing:
            raise RelayError(f'participant "{leg.participant_id}" was closed while answering')

    def _choose_video_codec(
        self, leg: _Leg, offer: aiortc_sdp.SessionDescription
    ) -> dict[str, Any] | None:
        """Set the leg's video codec (and the call's, for its first leg) from the offer;
        the event that tells it (None for an offer without video). Raises
        ``RelayError`` for a video section without any codec aiortc knows: aiortc
        cannot answer it even without video (no browser offers neither VP8 nor H.264,
        both mandatory in WebRTC, RFC 7742)."""
        sections = [m for m in offer.media if m.kind == "video"]
        if not sections:
            return None
        offered = offered_video_codecs(sections[0])
        call_codec = self._call_codecs.get(leg.call_id)
        codec = leg_video_codec(offered, self._video_codecs, call_codec)
        if codec is None:
            names = list(dict.fromkeys(c.mimeType.split("/", 1)[1] for c in sections[0].rtp.codecs))
            logger.info(
                'offer of "%s" has no video codec of the call (%s): offered %s',
                leg.participant_id,
                call_codec or "/".join(self._video_codecs),
                ",".join(names),
            )
            event = leg.event("no_common_codec", video_codec=call_codec, offered=names)
            if not all(offered_video_codecs(m) for m in sections):
                self._emit(event)
                raise RelayError("offer has no video codec the server can take")
            leg.video_off_mids = {str(m.rtp.muxId) for m in sections}
            return event
        if call_codec is None:
            self._call_codecs[leg.call_id] = codec
        leg.video_codec = codec
        return leg.event("video_codec", codec=codec)

    def _add_transceivers(self, leg: _Leg, offer: aiortc_sdp.SessionDescription) -> None:
        """Pre-create one transceiver per offered m-line, in order.

        aiortc's ``setRemoteDescription`` reuses them (same kind, no mid yet) and
        computes the common codecs with their preferences; preferences set after
        it would be ignored. A video section the leg gets no video on is answered
        ``inactive`` in any codec aiortc shares with it (no media flows either way).
        """
        for media in offer.media:
            if media.kind not in ("audio", "video"):
                continue
            if media.kind == "video" and str(media.rtp.muxId) in leg.video_off_mids:
                leg.pc.addTransceiver("video", direction="inactive")
                continue
            direction = media.direction or "sendrecv"
            offer_sends = direction in ("sendrecv", "sendonly")
            offer_receives = direction in ("sendrecv", "recvonly")
            # This leg's sinks always carry the other role's media (_rewire).
            sender_role = "agent" if leg.role == "buyer" else "buyer"  # a phone sends only
            track = (
                ForwardingTrack(media.kind, delay_record=self._delays[(media.kind, sender_role)])
                if offer_receives
                else None
            )
            transceiver = leg.pc.addTransceiver(
                track or media.kind, direction=_ANSWER_DIRECTION[(offer_sends, offer_receives)]
            )
            transceiver.setCodecPreferences(
                codec_preferences("video", leg.video_codec or "")
                if media.kind == "video"
                else self._audio_preferences
            )
            if track is not None:
                leg.sinks.append(track)
                route_keyframe_requests(transceiver.sender, track)
                follow_receiver_estimate(transceiver.sender, track)
                if self._forward_packets and media.kind == "video":
                    forwarder = PacketForwarder(transceiver.sender, track)
                    leg.packet_forwarders.append(forwarder)
                    self._packet_forwarders[track] = forwarder

    def _accept_fec(self, leg: _Leg, offer_sdp: str, answer_sdp: str) -> str:
        """``answer_sdp`` accepting the offer's video FEC, with the leg's transport made to
        unwrap it where the relay receives video (fec.py); unchanged when the offer has
        none to accept."""
        answer, types = accept_video_fec(offer_sdp, answer_sdp)
        transport = next(
            (t.receiver.transport for t in leg.pc.getTransceivers() if t.kind == "video"), None
        )
        if types is None:
            return answer  # FEC announced only where the relay sends, or none at all
        if transport is None:
            return answer_sdp
        bandwidth = next((tap.bandwidth for tap in leg.taps if tap.bandwidth is not None), None)
        leg.red = receive_red(
            transport, types, on_fec_bytes=bandwidth.fec_bytes if bandwidth else None
        )
        return answer

    def _tap_receivers(self, leg: _Leg) -> None:
        for transceiver in leg.pc.getTransceivers():
            receiver = transceiver.receiver
            if receiver.track is None or transceiver.direction == "inactive":
                continue
            kind = transceiver.kind
            source = TrackSource(kind)
            bandwidth = ReceiveBandwidth(
                max_bitrate_bps=self._max_bitrate_bps,
                start_bitrate_bps=self._start_bitrate_bps,
                downstream=lambda s=source: lowest_receiver_estimate(s),
            )
            tap = EncodedFrameTap(
                receiver,
                kind,
                on_frame=lambda frame, s=source: self._on_frame(leg, s, frame),
                release_complete_frames=self._release_complete_frames,
                bandwidth=bandwidth if kind == "video" else None,
                on_packet=(
                    (lambda packet, s=source: self._on_packet(s, packet))
                    if self._forward_packets and kind == "video"
                    else None
                ),
                max_frame_wait_s=(
                    RECORDER_FRAME_WAIT_S if self._forward_packets else MAX_FRAME_WAIT_S
                ),
                picture_ids=leg.video_codec == "VP8",
            )
            source.keyframe_requester = tap.request_keyframe
            report_far_round_trip(receiver, lambda: self._far_round_trip_s(leg))
            leg.taps.append(tap)
            leg.sources.append(source)
            self._emit(leg.event("track", kind=kind))

    def _far_round_trip_s(self, leg: _Leg) -> float:
        """The longest round trip (seconds) the relay has measured to the other legs of
        ``leg``'s call; 0 while none is known. Added to what ``leg``'s browser measures
        (far_round_trip.py), so that it sees the round trip to the far end."""
        return max(
            (
                rtt
                for other in self._legs.values()
                if other is not leg and other.call_id == leg.call_id and not other.closing
                if (rtt := _round_trip_s(other)) is not None
            ),
            default=0.0,
        )

    def _on_frame(self, leg: _Leg, source: TrackSource, frame: EncodedFrame) -> None:
        now = time.monotonic()
        if leg.last_media_at is not None:
            _count_stall(leg, now - leg.last_media_at)
        leg.last_media_at = now
        if leg.stopped_since is not None:
            stall_ms = round((now - leg.stopped_since) * 1000)
            leg.stopped_since = None
            self._emit(leg.event("media_resumed", role=leg.role, stall_ms=stall_ms))
        first = source.frames_received == 0
        if first:
            self._emit(leg.event("first_frame", kind=source.kind))
        source.push(frame)
        if first and leg.role == AGENT_CAMERA:
            self._rewire(leg.call_id)  # the phone's picture goes to the buyer from now on

    def _on_packet(self, source: TrackSource, packet: RtpPacket) -> None:
        """A video packet in: on to every leg forwarded ``source`` by packets."""
        for sink in source.sinks:
            forwarder = self._packet_forwarders.get(sink)
            if forwarder is not None:
                forwarder.forward(packet)

    def _rewire(self, call_id: str) -> None:
        """Attach sinks to the sources of the newest answered leg of the other role; a
        buyer's video comes from the newest agent camera leg that sends video, if any."""
        legs = self._answered(call_id)

        def newest(role: str, kind: str | None = None) -> _Leg | None:
            found = [
                leg
                for leg in legs
                if leg.role == role
                and (kind is None or any(s.kind == kind and s.frames_received for s in leg.sources))
            ]
            return max(found, key=lambda leg: leg.answered_at or 0.0, default=None)

        for leg in legs:
            for kind in ("audio", "video"):
                if leg.role == AGENT_CAMERA:
                    provider = None  # the phone only sends
                elif leg.role == "agent":
                    provider = newest("buyer")
                else:
                    provider = (newest(AGENT_CAMERA, kind) if kind == "video" else None) or newest(
                        "agent"
                    )
                sources = [s for s in provider.sources if s.kind == kind] if provider else []
                sinks = [s for s in leg.sinks if s.kind == kind]
                for index, sink in enumerate(sinks):
                    sink.attach(sources[index] if index < len(sources) else None)

    def _answered(self, call_id: str) -> list[_Leg]:
        """The call's open legs whose offer was answered."""
        return [
            leg
            for leg in self._legs.values()
            if leg.call_id == call_id and leg.answered_at is not None and not leg.closing
        ]

    def _on_connection_state(self, leg: _Leg) -> None:
        if leg.closing:
            return
        state = leg.pc.connectionState
        if state == "connected" and not leg.connected:
            leg.connected = True
            if leg.deadline is not None:
                leg.deadline.cancel()
            self._emit(leg.event("connected"))
        elif state == "failed":
            reason = "connection_lost" if leg.connected else "connection_failed"
            self._spawn(self._fail(leg, reason))
        elif state == "closed":
            self._spawn(self._close_leg(leg, "peer_closed"))

    async def _watch_media(self) -> None:
        """Tell when a connected leg's media stops (``media_stopped``), and sample each
        leg's round-trip time, until the relay closes."""
        last_rtt = 0.0
        while True:
            await asyncio.sleep(MEDIA_WATCH_INTERVAL_S)
            now = time.monotonic()
            sample_rtt = now - last_rtt >= RTT_SAMPLE_INTERVAL_S
            if sample_rtt:
                last_rtt = now
            for leg in list(self._legs.values()):
                if not leg.connected or leg.closing:
                    continue
                if sample_rtt:
                    rtt = _round_trip_s(leg)
                    if rtt is not None:
                        leg.rtt_samples.append(rtt)
                silent_s = now - leg.last_media_at if leg.last_media_at is not None else 0.0
                if leg.stopped_since is None and leg.sources and silent_s >= MEDIA_STOPPED_S:
                    leg.stopped_since = leg.last_media_at
                    silent_ms = round(silent_s * 1000)
                    self._emit(leg.event("media_stopped", role=leg.role, silent_ms=silent_ms))

    async def _connect_deadline(self, leg: _Leg) -> None:
        await asyncio.sleep(self._connect_timeout_s)
        if not leg.connected:
            await self._fail(leg, "connection_failed")

    async def _fail(self, leg: _Leg, reason: str) -> None:
        if leg.closing:
            return
        self._emit(leg.event("failed", reason=reason))
        await self._close_leg(leg, reason)

    async def _close_leg(self, leg: _Leg, reason: str) -> None:
        if leg.closing:
            return
        leg.closing = True
        if self._legs.get(leg.participant_id) is leg:
            del self._legs[leg.participant_id]
        if leg.deadline is not None and leg.deadline is not asyncio.current_task():
            leg.deadline.cancel()
        for tap in leg.taps:
            tap.close()
        for forwarder in leg.packet_forwarders:
            forwarder.close()
            self._packet_forwarders.pop(forwarder.track, None)
        for source in leg.sources:
            source.close()
        for track in leg.sinks + leg.subscriptions:
            track.stop()
        self._closed_leg_totals.update(_leg_counts(leg))  # stopped: its counts are final
        if leg.answered_at is not None:
            if leg.last_media_at is not None and leg.stopped_since is not None:
                _count_stall(leg, time.monotonic() - leg.last_media_at)  # stopped until the end
            self._emit(leg.event("leg_quality", role=leg.role, **leg_quality(leg)))
        self._rewire(leg.call_id)
        try:
            # Shielded: cancelling this task must not cancel aiortc's own close,
            # which another task may be running (a peer-initiated close).
            await asyncio.shield(leg.pc.close())
        except Exception:
            logger.exception('closing the peer connection of "%s" failed', leg.participant_id)
        self._emit(leg.event("closed", reason=reason))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("relay task failed", exc_info=task.exception())

    def _emit(self, event: dict[str, Any]) -> None:
        try:
            self._on_event(event)
        except Exception:
            logger.exception("relay event handler failed for %s", event.get("type"))


def _leg_counts(leg: _Leg) -> Counter[tuple[str, str, str]]:
    """One leg's counters, keyed as in ``LocalRelay.stats``."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for source in leg.sources:
        counts[("frames_received", source.kind, "")] += source.frames_received
    for consumer, tracks in (("participant", leg.sinks), ("subscriber", leg.subscriptions)):
        for track in tracks:
            counts[("frames_forwarded", track.kind, consumer)] += track.frames_forwarded
            counts[("frames_dropped", track.kind, consumer)] += track.frames_dropped
            counts[("keyframe_requests_received", track.kind, consumer)] += (
                track.keyframe_requests_received
            )
    for tap in leg.taps:
        counts[("keyframe_requests_sent", tap.kind, "")] += tap.keyframe_requests_sent
        counts[("packets_received", tap.kind, "")] += tap.packets_received
        counts[("frames_lost", tap.kind, "")] += tap.frames_lost
        counts[("nacks_repeated", tap.kind, "")] += tap.nacks_repeated
    if leg.red is not None:
        counts[("fec_packets_received", "video", "")] += leg.red.fec_packets
        counts[("packets_recovered", "video", "")] += leg.red.recovered
    for transceiver in leg.pc.getTransceivers():
        if transceiver.sender.track is not None:
            counts[("packets_sent", transceiver.kind, "participant")] += packets_sent(
                transceiver.sender
            )
    return counts


def _count_stall(leg: _Leg, gap_s: float) -> None:
    if gap_s >= STALL_MIN_S:
        leg.stalls += 1
        leg.worst_stall_s = max(leg.worst_stall_s, gap_s)


def leg_quality(leg: _Leg) -> dict[str, Any]:
    """What a leg's connection was like, as plain data (the ``leg_quality`` event):
    ``packets_expected`` and ``packets_lost`` of its incoming media (audio and video, as
    first sent: retransmissions are not counted as received), ``rtt_ms`` (the median of
    the round-trip times sampled once a second, None without any), ``rtt_samples``,
    ``stalls`` (gaps of at least ``STALL_MIN_S`` between two of its frames, a stop that
    lasted to the end included) and ``worst_stall_ms``."""
    expected = lost = 0
    for transceiver in leg.pc.getTransceivers():
        expected_here, lost_here = _received_packets(transceiver.receiver)
        expected += expected_here
        lost += lost_here
    samples = sorted(leg.rtt_samples)
    rtt_ms = round(samples[len(samples) // 2] * 1000) if samples else None
    return {
        "packets_expected": expected,
        "packets_lost": lost,
        "rtt_ms": rtt_ms,
        "rtt_samples": len(samples),
        "stalls": leg.stalls,
        "worst_stall_ms": round(leg.worst_stall_s * 1000),
    }


def _received_packets(receiver: Any) -> tuple[int, int]:
    """``(expected, lost)`` RTP packets of a receiver's media streams (its RTX streams
    left out). aiortc keeps the per-stream counts (for its RTCP receiver reports) in private
    attributes, and its async ``getStats`` reports only one stream per receiver; (0, 0)
    if an aiortc upgrade moved them (test_call_quality then fails)."""
    streams = getattr(receiver, "_RTCRtpReceiver__remote_streams", {})
    rtx = set(getattr(receiver, "_RTCRtpReceiver__rtx_ssrc", {}))
    expected = lost = 0
    for ssrc, stream in list(streams.items()):
        if ssrc in rtx:
            continue
        expected += stream.packets_expected
        lost += max(0, stream.packets_lost)
    return expected, lost


def _round_trip_s(leg: _Leg) -> float | None:
    """The leg's round-trip time (seconds) as its RTP senders last measured it from the
    browser's receiver reports (aiortc keeps it privately; None before any report)."""
    for transceiver in leg.pc.getTransceivers():
        rtt = getattr(transceiver.sender, "_RTCRtpSender__rtt", None)
        if isinstance(rtt, int | float) and rtt >= 0:
            return float(rtt)
    return None


def packets_sent(sender: RTCRtpSender) -> int:
    """RTP packets ``sender`` has sent. aiortc keeps the count (for its RTCP sender
    reports) in a private attribute and offers it only through the async ``getStats``;
    0 if an aiortc upgrade moved it (test_metrics then fails)."""
    return int(getattr(sender, "_RTCRtpSender__packet_count", 0))


def _check_offer(offer: aiortc_sdp.SessionDescription) -> None:
    """Refuse offers aiortc would accept but then fail on inside its own tasks: every audio
    and video section needs ICE credentials, a DTLS fingerprint and setup role, a mid and a
    codec, mids are unique and groups (BUNDLE) name only existing mids (a browser's offer
    always satisfies this)."""
    sections = [m for m in offer.media if m.kind in ("audio", "video")]
    if not sections:
        raise RelayError("offer has no audio or video to send or receive")
    for index, media in enumerate(sections):
        where = f"{media.kind} section {index}"
        if media.ice is None or not media.ice.usernameFragment or not media.ice.password:
            raise RelayError(f"offer's {where} has no ICE credentials")
        if media.dtls is None or not media.dtls.fingerprints or media.dtls.role is None:
            raise RelayError(f"offer's {where} has no DTLS fingerprint or setup role")
        if not media.rtp.muxId:
            raise RelayError(f"offer's {where} has no mid")
        if not media.rtp.codecs:
            raise RelayError(f"offer's {where} has no codec")
    mids = [str(m.rtp.muxId) for m in offer.media if m.rtp.muxId]
    if len(mids) != len(set(mids)):
        raise RelayError("offer repeats a mid")
    for group in offer.group:
        missing = {str(item) for item in group.items} - set(mids)
        if missing:
            raise RelayError(f"offer's {group.semantic} group names unknown mids")


def _parse_candidate(text: str) -> RTCIceCandidate:
    """Parse "candidate:..." (with or without "a=") into an aiortc candidate."""
    body = text.strip().removeprefix("a=").removeprefix("candidate:")
    if len(body.split()) < _CANDIDATE_MIN_FIELDS:
        raise RelayError(f'candidate is malformed: "{text}"')
    try:
        return candidate_from_sdp(body)
    except (ValueError, IndexError) as exc:
        raise RelayError(f'candidate is malformed: "{text}"') from exc
