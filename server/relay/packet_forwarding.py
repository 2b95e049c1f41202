"""Forwarding video RTP packets to a leg as they arrive (``forwarding="packets"``).

Why this reaches into aiortc (1.16): its ``RTCRtpSender`` only sends what it packetizes
itself from whole frames, with its own numbering, and answers NACKs from that. A relay
that passes each packet on as it arrives, so that a packet lost on the way in is a gap
the receiving browser sees and NACKs, needs three private seams, all per instance (other
senders in the process are untouched) and all here:

- ``RTCRtpSender._run_rtp`` (started by ``send()`` with the leg's negotiated codec) is
  shadowed by a loop that only drains the sender's ``ForwardingTrack``: the track stays
  attached to its source, so keyframe requests (PLI/FIR, ``route_keyframe_requests``),
  the receiver's REMB (``follow_receiver_estimate``) and a newcomer's keyframe request at
  attach work as on the frame path, but its frames are not sent;
- ``RTCRtpSender._retransmit`` (called for each sequence number of a generic NACK) is
  shadowed by an answer from the leg's ``PacketHistory`` (rtp_legs.py);
- packets go out through ``RTCDtlsTransport._send_rtp`` (SRTP is done there).

Each incoming packet (already unwrapped from RTX by aiortc's receiver; padding-only RTX
is dropped there) is rebuilt for the leg: the leg's payload type, its header-extension
ids (aiortc's extension map of the leg's sender, so the ids need not match the incoming
leg's; extensions aiortc does not know are dropped), its MID and a fresh
abs-send-time; then ``LegRewriter`` gives it the sender's SSRC and the leg's sequence
numbers and timestamps. The sender's own counters (what its RTCP sender reports and
``getStats`` tell) are kept up to date with the packets sent.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiortc import RTCRtpSender, clock
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import HeaderExtensions, RtpPacket
from aiortc.utils import random16, random32

from .forwarding import ForwardingTrack
from .rtp_legs import LegRewriter, PacketHistory

logger = logging.getLogger(__name__)

_EXTENSIONS_MAP_ATTR = "_RTCRtpSender__rtp_header_extensions_map"
_MID_ATTR = "_RTCRtpSender__mid"
_RTP_STARTED_ATTR = "_RTCRtpSender__rtp_started"
_RTP_EXITED_ATTR = "_RTCRtpSender__rtp_exited"
# What the sender's RTCP sender reports are made of, kept up to date per packet sent.
_NTP_TIMESTAMP_ATTR = "_RTCRtpSender__ntp_timestamp"
_RTP_TIMESTAMP_ATTR = "_RTCRtpSender__rtp_timestamp"
_PACKET_COUNT_ATTR = "_RTCRtpSender__packet_count"
_OCTET_COUNT_ATTR = "_RTCRtpSender__octet_count"
_SENDER_ATTRS = (
    _EXTENSIONS_MAP_ATTR,
    _MID_ATTR,
    _RTP_STARTED_ATTR,
    _RTP_EXITED_ATTR,
    _NTP_TIMESTAMP_ATTR,
    _RTP_TIMESTAMP_ATTR,
    _PACKET_COUNT_ATTR,
    _OCTET_COUNT_ATTR,
)


class SenderSeamError(RuntimeError):
    """aiortc's sender no longer has the private attributes packet forwarding uses."""


def check_sender_seams(sender: RTCRtpSender) -> None:
    """Raise ``SenderSeamError`` unless ``sender`` can forward packets (before it starts)."""
    for name in _SENDER_ATTRS:
        if not hasattr(sender, name):
            raise SenderSeamError(f"RTCRtpSender.{name} is missing")
    for name in ("_run_rtp", "_retransmit"):
        if not callable(getattr(sender, name, None)):
            raise SenderSeamError(f"RTCRtpSender.{name} is missing")


def _abs_send_time() -> int:
    """Now as RTP abs-send-time (6.18 fixed-point seconds, 24 bits), as aiortc's sender."""
    return (clock.current_ntp_time() >> 14) & 0x00FFFFFF


class PacketForwarder:
    """Sends one incoming video stream's packets on one leg's ``sender`` (see module doc).

    Install before the sender starts (right after its transceiver is added); ``track``
    is the sender's ``ForwardingTrack``. ``forward(packet)`` is called on the event loop
    for each incoming packet; it drops packets until the sender has started and while
    the leg's transport is not connected.
    """

    def __init__(self, sender: RTCRtpSender, track: ForwardingTrack) -> None:
        check_sender_seams(sender)
        self._sender = sender
        self._track = track
        self._rewriter = LegRewriter(sender._ssrc, random16(), random32())
        self.history = PacketHistory()
        self._payload_type: int | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self.packets_forwarded = 0
        self.packets_dropped = 0
        self.packets_retransmitted = 0
        self.nacked_missing = 0  # NACKed sequence numbers no longer (or never) held
        sender._run_rtp = self._run_rtp  # type: ignore[method-assign]
        sender._retransmit = self._retransmit  # type: ignore[method-assign]

    @property
    def track(self) -> ForwardingTrack:
        return self._track

    def forward(self, packet: RtpPacket) -> None:
        transport = self._sender.transport
        if self._payload_type is None or transport.state != "connected":
            self.packets_dropped += 1
            return
        extensions = HeaderExtensions()
        extensions.mid = getattr(self._sender, _MID_ATTR)
        extensions.abs_send_time = _abs_send_time()
        out = RtpPacket(
            payload_type=self._payload_type,
            marker=packet.marker,
            sequence_number=packet.sequence_number,
            timestamp=packet.timestamp,
            ssrc=packet.ssrc,
            payload=packet.payload,
        )
        out.extensions = extensions
        data = self._rewriter.rewrite(out.serialize(getattr(self._sender, _EXTENSIONS_MAP_ATTR)))
        self.history.add(data)
        self.packets_forwarded += 1
        sender = self._sender
        setattr(sender, _NTP_TIMESTAMP_ATTR, clock.current_ntp_time())
        setattr(sender, _RTP_TIMESTAMP_ATTR, int.from_bytes(data[4:8], "big"))
        setattr(sender, _PACKET_COUNT_ATTR, getattr(sender, _PACKET_COUNT_ATTR) + 1)
        setattr(sender, _OCTET_COUNT_ATTR, getattr(sender, _OCTET_COUNT_ATTR) + len(packet.payload))
        self._send(data)

    def close(self) -> None:
        for task in list(self._pending):
            task.cancel()

    def _send(self, data: bytes) -> None:
        task = asyncio.get_running_loop().create_task(self._send_now(data))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _send_now(self, data: bytes) -> None:
        try:
            await self._sender.transport._send_rtp(data)
        except ConnectionError:
            self.packets_dropped += 1

    async def _retransmit(self, sequence_number: int) -> None:
        data = self.history.get(sequence_number)
        if data is None:
            self.nacked_missing += 1
            return
        self.packets_retransmitted += 1
        await self._send_now(data)

    async def _run_rtp(self, codec: RTCRtpCodecParameters) -> Any:
        """Stands in for the sender's RTP loop: note the codec, drain the track until it
        ends or ``stop()`` cancels this (which waits for the exited flag: always set)."""
        getattr(self._sender, _RTP_STARTED_ATTR).set()
        self._payload_type = codec.payloadType
        try:
            while True:
                await self._track.recv_frame()
        except MediaStreamError:  # the track stopped
            pass
        finally:
            self._payload_type = None
            getattr(self._sender, _RTP_EXITED_ATTR).set()
