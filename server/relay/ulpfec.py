"""RED (RFC 2198) and ULPFEC (RFC 5109) on the relay's incoming video (pure: no I/O, no
aiortc).

A browser protects its video with forward error correction when the answer accepts
``red`` and ``ulpfec`` (libwebrtc: Chromium, and Firefox's engine): every media packet
travels inside a RED packet (a one-byte header naming the media payload type), and after
a frame come FEC packets (RED blocks of the ``ulpfec`` payload type), each the XOR of a
group of media packets named by a base sequence number and a bit mask. A media packet
lost on the way is rebuilt from an FEC packet and the rest of its group, without a round
trip: no NACK, no retransmission, no frame held for it. How much FEC the sender adds
follows the loss and round trip the receiver reports.

``RedReceiver.packets(data)`` takes one decrypted RTP datagram as it arrived and returns
the datagrams to hand on, all in the form the relay negotiated without FEC:

- a RED packet of media: the media packet (the media's payload type, no RED header);
- a RED packet of FEC: an empty packet of the media's payload type with the FEC packet's
  sequence number and timestamp (a slot that holds no media, as padding is), then every
  packet the FEC packet rebuilt;
- a retransmission (RTX) of a RED media packet: the same retransmission of the media
  packet, under the media's own RTX payload type (``RedTypes.media_rtx``);
- anything else (padding, a datagram too short or malformed to read): as it came; the
  receiver counts its arrival for the bandwidth estimate and drops a payload type it
  does not know.

Rebuilt packets carry no header extensions: the sender writes some of them (send time,
transport-wide sequence number) after it computed the FEC, so they cannot be rebuilt
exactly; their payload type, marker, sequence number, timestamp and payload can.

The window: the last ``HISTORY_PACKETS`` media packets per SSRC, and at most
``MAX_PENDING_FEC`` FEC packets that still miss two or more of their group (a group's
other losses may still be rebuilt by another FEC packet, then this one rebuilds the last).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

RTP_HEADER_BYTES = 12
HISTORY_PACKETS = 256  # media packets kept per SSRC (FEC groups are at most 48 packets)
MAX_PENDING_FEC = 64
_FEC_HEADER_BYTES = 10  # E L P X CC | M PT | SN base | TS recovery | length recovery
_LEVEL_HEADER_BYTES = 4  # protection length | mask (16 bits; 48 with the L bit)
_LONG_MASK_BYTES = 4  # the L bit's extra 32 mask bits
_SEQ_MOD = 1 << 16
_PADDING_BIT = 0x20
_EXTENSION_BIT = 0x10
_MARKER_BIT = 0x80


@dataclass(frozen=True)
class RedTypes:
    """The payload types an answer accepted for one video section: ``red``, ``ulpfec``,
    the RTX of RED (``red_rtx``; None: not negotiated) and each media payload type's own
    RTX payload type (``media_rtx``), which an RTX of RED is turned into."""

    red: int
    ulpfec: int
    red_rtx: int | None = None
    media_rtx: dict[int, int] = field(default_factory=dict)


@dataclass
class _Fec:
    ssrc: int
    protected: tuple[int, ...]  # the group's sequence numbers
    first: int  # byte 0 recovery (P, X, CC)
    second: int  # byte 1 recovery (M, PT)
    timestamp: int
    length: int
    size: int  # protection length: bytes after the fixed header that are covered
    body: int  # the covered bytes' XOR, as one big-endian integer


class RedReceiver:
    """Unwraps RED and rebuilds lost media packets from ULPFEC for one transport (see the
    module docstring). ``recovered`` counts packets rebuilt, ``fec_packets`` FEC packets
    received, ``unwrapped`` RED media packets handed on."""

    def __init__(self, types: RedTypes, history: int = HISTORY_PACKETS) -> None:
        self.types = types
        self.recovered = 0
        self.fec_packets = 0
        self.unwrapped = 0
        self.last_fec_bytes = 0  # the RED payload of the last FEC packet
        self._history = history
        self._media: dict[tuple[int, int], bytes] = {}
        self._order: deque[tuple[int, int]] = deque()
        self._fec: list[_Fec] = []
        self._media_types: set[int] = set()

    def packets(self, data: bytes) -> list[bytes]:
        """The datagrams ``data`` becomes (module docstring), in the order to hand on."""
        if len(data) < RTP_HEADER_BYTES:
            return [data]
        payload_type = data[1] & 0x7F
        if payload_type != self.types.red and payload_type != self.types.red_rtx:
            return [data]
        rtx = payload_type == self.types.red_rtx
        try:
            start, end = _payload_span(data)
            # an RTX payload: the original sequence number, then the RED payload
            block_type, block = _primary_block(data[start + 2 * rtx : end])
        except ValueError:
            return [data]
        if rtx:
            rtx_type = self.types.media_rtx.get(block_type)
            if rtx_type is None:
                return [data]
            return [_rewrap(data, start, rtx_type, data[start : start + 2] + block)]
        if block_type == self.types.ulpfec:
            return self._fec_packet(data, start, block)
        self._media_types.add(block_type)
        media = _rewrap(data, start, block_type, block)
        self.unwrapped += 1
        return [media, *self._store(media)]

    def _fec_packet(self, data: bytes, start: int, block: bytes) -> list[bytes]:
        self.fec_packets += 1
        self.last_fec_bytes = len(data) - start
        ssrc = int.from_bytes(data[8:12], "big")
        media_type = min(self._media_types) if self._media_types else None
        out: list[bytes] = []
        if media_type is not None:  # the slot, as padding of the media's payload type
            out.append(_rewrap(data, start, media_type, b"", marker=False))
        fec = _parse_fec(ssrc, block)
        if fec is not None:
            self._fec.append(fec)
            if len(self._fec) > MAX_PENDING_FEC:
                del self._fec[0]
            out += self._recover()
        return out

    def _store(self, packet: bytes) -> list[bytes]:
        """Keep ``packet``; the packets FEC can now rebuild."""
        key = (int.from_bytes(packet[8:12], "big"), int.from_bytes(packet[2:4], "big"))
        if key in self._media:
            return []
        self._media[key] = packet
        self._order.append(key)
        while len(self._order) > self._history:
            del self._media[self._order.popleft()]
        return self._recover() if self._fec else []

    def _recover(self) -> list[bytes]:
        """Rebuild every packet that is the only one missing from a kept FEC packet's
        group (each rebuilt packet may complete another group); drop FEC packets with
        nothing left to rebuild or whose group left the window."""
        rebuilt: list[bytes] = []
        progress = True
        while progress:
            progress = False
            keep: list[_Fec] = []
            for fec in self._fec:
                missing = [s for s in fec.protected if (fec.ssrc, s) not in self._media]
                if not missing:
                    continue
                if len(missing) == len(fec.protected) and not self._near(fec):
                    continue  # the whole group is older than the window
                if len(missing) > 1:
                    keep.append(fec)
                    continue
                packet = self._rebuild(fec, missing[0])
                if packet is None:
                    continue
                key = (fec.ssrc, missing[0])
                self._media[key] = packet
                self._order.append(key)
                self.recovered += 1
                rebuilt.append(packet)
                progress = True
            self._fec = keep
        while len(self._order) > self._history:
            del self._media[self._order.popleft()]
        return rebuilt

    def _near(self, fec: _Fec) -> bool:
        """Whether ``fec``'s group is within the window of its SSRC's newest packets."""
        newest = next((s for k, s in reversed(self._order) if k == fec.ssrc), None)
        return newest is not None and (newest - fec.protected[0]) % _SEQ_MOD < self._history

    def _rebuild(self, fec: _Fec, sequence_number: int) -> bytes | None:
        first, second, timestamp, length, body = (
            fec.first,
            fec.second,
            fec.timestamp,
            fec.length,
            fec.body,
        )
        for s in fec.protected:
            if s == sequence_number:
                continue
            p = self._media[(fec.ssrc, s)]
            covered = p[RTP_HEADER_BYTES:]
            if len(covered) > fec.size:
                return None
            first ^= p[0]
            second ^= p[1]
            timestamp ^= int.from_bytes(p[4:8], "big")
            length ^= len(covered)
            body ^= int.from_bytes(covered.ljust(fec.size, b"\0"), "big")
        if length > fec.size or (second & 0x7F) not in self._media_types:
            return None
        covered = body.to_bytes(fec.size, "big")[:length]
        header = (
            bytes((0x80 | (first & 0x3F), second))
            + sequence_number.to_bytes(2, "big")
            + timestamp.to_bytes(4, "big")
            + fec.ssrc.to_bytes(4, "big")
        )
        return _without_extensions(header + covered)


def _payload_span(data: bytes) -> tuple[int, int]:
    """Where an RTP packet's payload starts and ends (after CSRCs and extensions, before
    padding). Raises ValueError for a packet too short for its own header."""
    start = RTP_HEADER_BYTES + 4 * (data[0] & 0x0F)
    if data[0] & _EXTENSION_BIT:
        if len(data) < start + 4:
            raise ValueError("truncated extension header")
        start += 4 + 4 * int.from_bytes(data[start + 2 : start + 4], "big")
    end = len(data)
    if data[0] & _PADDING_BIT:
        end -= data[-1]
    if start > end:
        raise ValueError("header longer than the packet")
    return start, end


def _primary_block(red: bytes) -> tuple[int, bytes]:
    """(payload type, data) of a RED payload's primary block: after the headers of any
    redundant blocks (4 bytes each, the F bit set) and their data."""
    position = 0
    redundant = 0
    while True:
        if position >= len(red):
            raise ValueError("RED payload without a primary block")
        if red[position] & 0x80:
            if position + 4 > len(red):
                raise ValueError("truncated RED block header")
            redundant += ((red[position + 2] & 0x03) << 8) | red[position + 3]
            position += 4
            continue
        start = position + 1 + redundant
        if start > len(red):
            raise ValueError("RED blocks longer than the payload")
        return red[position] & 0x7F, red[start:]


def _rewrap(
    data: bytes, start: int, payload_type: int, payload: bytes, *, marker: bool | None = None
) -> bytes:
    """``data``'s header (padding bit cleared) with ``payload_type`` and ``payload``;
    its marker unless ``marker`` is given."""
    mark = data[1] & _MARKER_BIT if marker is None else (_MARKER_BIT if marker else 0)
    return bytes((data[0] & ~_PADDING_BIT & 0xFF, mark | payload_type)) + data[2:start] + payload


def _parse_fec(ssrc: int, block: bytes) -> _Fec | None:
    """An ULPFEC packet's level-0 protection, or None when it is not one that can be
    read (the E bit set, too short)."""
    if len(block) < _FEC_HEADER_BYTES + _LEVEL_HEADER_BYTES or block[0] & 0x80:
        return None
    long_mask = bool(block[0] & 0x40)
    mask_end = _FEC_HEADER_BYTES + _LEVEL_HEADER_BYTES + (_LONG_MASK_BYTES if long_mask else 0)
    if len(block) < mask_end:
        return None
    base = int.from_bytes(block[2:4], "big")
    size = int.from_bytes(block[10:12], "big")
    mask = int.from_bytes(block[12:mask_end], "big")
    bits = 8 * (mask_end - 12)
    protected = tuple((base + i) % _SEQ_MOD for i in range(bits) if mask >> (bits - 1 - i) & 1)
    covered = block[mask_end : mask_end + size]
    if not protected or len(covered) < size:
        return None
    return _Fec(
        ssrc=ssrc,
        protected=protected,
        first=block[0],
        second=block[1],
        timestamp=int.from_bytes(block[4:8], "big"),
        length=int.from_bytes(block[8:10], "big"),
        size=size,
        body=int.from_bytes(covered, "big"),
    )


def _without_extensions(packet: bytes) -> bytes:
    """``packet`` without its header extensions and padding (see the module docstring)."""
    csrc_end = RTP_HEADER_BYTES + 4 * (packet[0] & 0x0F)
    try:
        start, end = _payload_span(packet)
    except ValueError:
        start, end = csrc_end, len(packet)
    first = packet[0] & ~(_PADDING_BIT | _EXTENSION_BIT) & 0xFF
    return bytes((first,)) + packet[1:csrc_end] + packet[start:end]
