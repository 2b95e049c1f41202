"""Forwarding raw RTP packets to an outgoing leg: per-leg rewriting and a NACK history.

The pure parts of a packet-forwarding relay (no I/O, no clock): the relay today
reassembles whole frames in order (jitter.py) and re-sends them through aiortc's
sender, so a lost packet freezes the agent's picture until it is retransmitted and the
agent's browser never sees the loss. Forwarding each packet as it arrives needs, per
outgoing leg:

- ``LegRewriter``: the leg's own SSRC, and the incoming sequence numbers and RTP
  timestamps shifted by a fixed per-leg offset, so a packet missing on the way in is a
  gap of the same size on the way out and the receiving browser's jitter buffer sees it
  (and NACKs it itself). ``rebase()`` starts a new incoming stream (a new SSRC after the
  sender restarts) where the leg's numbering left off, so the receiver sees one stream.
  Retransmissions must be unwrapped from RTX first (aiortc's ``unwrap_rtx``): an RTX
  packet's own SSRC would be taken for a new stream.
- ``PacketHistory``: the last packets sent on the leg, by the leg's sequence number,
  to answer the receiving browser's NACKs (aiortc's sender keeps 128 packets and
  rebuilds them from frames with its own numbering, which a forwarder cannot use).

Both work on the serialized RTP packet (RFC 3550 fixed header: sequence number at
bytes 2-3, timestamp 4-7, SSRC 8-11), so forwarding a packet costs one copy and one
``struct.pack_into``; the header extensions and payload are passed as they came, so the
leg must have negotiated the same extension ids as the incoming one.

Used by packet_forwarding.py (``SHOWDESK_RELAY_FORWARDING=packets``, the server's
default; ``frames`` takes the frame path, forwarding.py).
"""

from __future__ import annotations

import struct

RTP_HEADER_BYTES = 12
_SEQ_TS_SSRC = struct.Struct("!HII")  # at byte offset 2
_SEQ = struct.Struct("!H")
SEQUENCE_RANGE = 1 << 16
TIMESTAMP_RANGE = 1 << 32
# Packets a leg keeps to answer NACKs: at 2.5 Mbps with ~1100-byte packets, about 1.5 s,
# longer than any retransmission that can still reach a live picture.
DEFAULT_HISTORY_PACKETS = 512


def sequence_number(packet: bytes) -> int:
    """The RTP sequence number of a serialized packet."""
    return _SEQ.unpack_from(packet, 2)[0]


class LegRewriter:
    """Renumbers one incoming RTP stream for one outgoing leg (see the module docstring).

    ``ssrc``: the leg's SSRC. ``first_sequence`` / ``first_timestamp``: what the leg's
    first packet carries (random in a real call, RFC 3550 §5.1). The offsets are fixed at
    the first packet, so reordered and retransmitted packets keep their places.
    """

    def __init__(self, ssrc: int, first_sequence: int, first_timestamp: int) -> None:
        self.ssrc = ssrc
        self._first_sequence = first_sequence % SEQUENCE_RANGE
        self._first_timestamp = first_timestamp % TIMESTAMP_RANGE
        self._sequence_offset: int | None = None
        self._timestamp_offset = 0
        self._incoming_ssrc: int | None = None
        self._last_out: tuple[int, int] | None = None  # (sequence, timestamp) sent newest

    def rewrite(self, packet: bytes) -> bytes:
        """The packet as the leg sends it. Raises ``ValueError`` for a packet shorter than
        an RTP header or not version 2."""
        if len(packet) < RTP_HEADER_BYTES or packet[0] >> 6 != 2:
            raise ValueError("not an RTP packet")
        sequence, timestamp, ssrc = _SEQ_TS_SSRC.unpack_from(packet, 2)
        if self._sequence_offset is None or ssrc != self._incoming_ssrc:
            self._start(sequence, timestamp, ssrc)
        out_sequence = (sequence + self._sequence_offset) % SEQUENCE_RANGE
        out_timestamp = (timestamp + self._timestamp_offset) % TIMESTAMP_RANGE
        last = self._last_out
        if last is None or _sequence_newer(out_sequence, last[0]):
            self._last_out = (out_sequence, out_timestamp)
        out = bytearray(packet)
        _SEQ_TS_SSRC.pack_into(out, 2, out_sequence, out_timestamp, self.ssrc)
        return bytes(out)

    def _start(self, sequence: int, timestamp: int, ssrc: int) -> None:
        """Offsets for a new incoming stream: the first one starts at the leg's first
        numbers, a later one right after the leg's newest packet (one tick later, a new
        frame), so the receiver sees one continuous stream."""
        if self._last_out is None:
            next_sequence, next_timestamp = self._first_sequence, self._first_timestamp
        else:
            next_sequence = (self._last_out[0] + 1) % SEQUENCE_RANGE
            next_timestamp = (self._last_out[1] + 1) % TIMESTAMP_RANGE
        self._incoming_ssrc = ssrc
        self._sequence_offset = (next_sequence - sequence) % SEQUENCE_RANGE
        self._timestamp_offset = (next_timestamp - timestamp) % TIMESTAMP_RANGE


def _sequence_newer(a: int, b: int) -> bool:
    """True when sequence number ``a`` comes after ``b`` (RFC 1982 on 16 bits)."""
    return a != b and (a - b) % SEQUENCE_RANGE < SEQUENCE_RANGE // 2


class PacketHistory:
    """The last ``capacity`` packets a leg sent, by their (leg's) sequence number.

    ``add(packet)`` stores a serialized packet; ``get(sequence)`` is the packet to
    retransmit for a NACK, or None when it was never sent or has been overwritten by a
    newer one (a slot holds one packet, indexed by sequence number modulo capacity).
    """

    def __init__(self, capacity: int = DEFAULT_HISTORY_PACKETS) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._slots: list[bytes | None] = [None] * capacity

    def add(self, packet: bytes) -> None:
        self._slots[sequence_number(packet) % self.capacity] = packet

    def get(self, sequence: int) -> bytes | None:
        packet = self._slots[sequence % self.capacity]
        if packet is None or sequence_number(packet) != sequence:
            return None
        return packet

    def answer(self, lost: list[int]) -> list[bytes]:
        """The packets still held for a NACK's list of lost sequence numbers, in its order."""
        found = []
        for sequence in lost:
            packet = self.get(sequence)
            if packet is not None:
                found.append(packet)
        return found
