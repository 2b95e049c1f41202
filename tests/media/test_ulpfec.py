"""RED unwrapping and ULPFEC recovery (server/relay/ulpfec.py) on packets built here the
way RFC 2198 and RFC 5109 describe; tests/e2e/test_fec_call.py proves it on Chromium's."""

from __future__ import annotations

import struct

from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from server.relay.ulpfec import RedReceiver, RedTypes

VP8, VP8_RTX, RED, RED_RTX, ULPFEC = 96, 97, 119, 120, 121
SSRC, RTX_SSRC = 0x11223344, 0x55667788
TYPES = RedTypes(red=RED, ulpfec=ULPFEC, red_rtx=RED_RTX, media_rtx={VP8: VP8_RTX})


def media(seq: int, payload: bytes, *, ts: int = 9000, marker: bool = False) -> bytes:
    """A VP8 RTP packet with one one-byte header extension (id 1, 3 bytes: abs-send-time)."""
    extension = struct.pack("!HH", 0xBEDE, 1) + bytes((0x12, 1, 2, 3))
    header = struct.pack("!BBHLL", 0x90, (0x80 if marker else 0) | VP8, seq, ts, SSRC)
    return header + extension + payload


def red(packet: bytes) -> bytes:
    """``packet`` inside RED: its payload type in a one-byte block header."""
    start = 12 + 4 + 4  # fixed header, extension header, one word of extension
    return (
        bytes((packet[0], (packet[1] & 0x80) | RED))
        + packet[2:start]
        + bytes((packet[1] & 0x7F,))
        + packet[start:]
    )


def fec(group: list[bytes], seq: int, *, long_mask: bool = False) -> bytes:
    """An ULPFEC packet (inside RED, sequence number ``seq``) protecting ``group``, whose
    sequence numbers start at the first one's."""
    seqs = [struct.unpack("!H", p[2:4])[0] for p in group]
    base = seqs[0]
    size = max(len(p) - 12 for p in group)
    first = second = length = ts = 0
    body = bytearray(size)
    for p in group:
        first ^= p[0]
        second ^= p[1]
        ts ^= struct.unpack("!L", p[4:8])[0]
        length ^= len(p) - 12
        for i, b in enumerate(p[12:]):
            body[i] ^= b
    bits = 48 if long_mask else 16
    mask = 0
    for s in seqs:
        mask |= 1 << (bits - 1 - ((s - base) % 65536))
    fec_header = bytes(((first & 0x3F) | (0x40 if long_mask else 0), second)) + struct.pack(
        "!HLH", base, ts, length
    )
    level = struct.pack("!H", size) + mask.to_bytes(bits // 8, "big")
    header = struct.pack("!BBHLL", 0x80, RED, seq, 9000, SSRC)
    return header + bytes((ULPFEC,)) + fec_header + level + bytes(body)


def parsed(data: bytes) -> RtpPacket:
    return RtpPacket.parse(data, HeaderExtensionsMap())


def test_a_red_media_packet_is_handed_on_as_the_media_packet_inside() -> None:
    receiver = RedReceiver(TYPES)
    packet = media(1000, b"frame start", marker=True)
    assert receiver.packets(red(packet)) == [packet]
    assert receiver.unwrapped == 1


def test_a_lost_packet_is_rebuilt_from_the_fec_packet_and_the_rest_of_its_group() -> None:
    receiver = RedReceiver(TYPES)
    group = [
        media(1000, b"\x10first part", ts=3000),
        media(1001, b"\x00second, longer part", ts=3000),
        media(1002, b"\x00last", ts=3000, marker=True),
    ]
    receiver.packets(red(group[0]))
    receiver.packets(red(group[2]))  # 1001 lost on the way
    out = receiver.packets(fec(group, 1003))
    assert len(out) == 2
    slot, rebuilt = (parsed(p) for p in out)
    assert (slot.sequence_number, slot.payload_type, slot.payload) == (1003, VP8, b"")
    assert not slot.marker
    assert (rebuilt.sequence_number, rebuilt.timestamp, rebuilt.ssrc) == (1001, 3000, SSRC)
    assert (rebuilt.payload_type, rebuilt.marker, rebuilt.payload) == (
        VP8,
        0,
        b"\x00second, longer part",
    )
    assert out[1][0] & 0x10 == 0  # no header extensions: the sender rewrites some after FEC
    assert receiver.recovered == 1 and receiver.fec_packets == 1


def test_a_group_missing_two_packets_is_rebuilt_once_one_of_them_comes() -> None:
    receiver = RedReceiver(TYPES)
    group = [media((65534 + i) % 65536, bytes([i]) * (10 + i), marker=i == 3) for i in range(4)]
    receiver.packets(red(group[0]))
    receiver.packets(red(group[3]))
    assert [parsed(p).payload for p in receiver.packets(fec(group, 2))] == [b""]
    out = receiver.packets(red(group[1]))  # a retransmission, or late (seq 65535)
    assert out[0] == group[1]
    rebuilt = parsed(out[1])
    assert (rebuilt.sequence_number, rebuilt.payload, rebuilt.marker) == (0, group[2][20:], 0)


def test_a_group_with_nothing_missing_rebuilds_nothing_and_keeps_no_fec_packet() -> None:
    receiver = RedReceiver(TYPES)
    group = [media(10 + i, b"x" * i, marker=i == 2) for i in range(3)]
    for p in group:
        receiver.packets(red(p))
    assert len(receiver.packets(fec(group, 13))) == 1  # the slot only
    assert receiver.packets(red(media(14, b"next"))) == [media(14, b"next")]
    assert receiver.recovered == 0


def test_a_48_bit_mask_names_packets_past_the_16th() -> None:
    receiver = RedReceiver(TYPES)
    group = [media(500 + i, bytes([i, i]), marker=i == 19) for i in range(20)]
    for p in group[:19]:
        receiver.packets(red(p))
    out = receiver.packets(fec(group, 520, long_mask=True))
    assert parsed(out[1]).sequence_number == 519
    assert parsed(out[1]).payload == bytes([19, 19])
    assert parsed(out[1]).marker == 1


def test_a_retransmission_of_a_red_packet_becomes_one_of_the_media_packet() -> None:
    receiver = RedReceiver(TYPES)
    packet = media(1000, b"payload")
    inner = red(packet)
    start = 20
    rtx = (
        bytes((inner[0], RED_RTX))
        + struct.pack("!HLL", 7, 9000, RTX_SSRC)
        + inner[12:start]
        + struct.pack("!H", 1000)
        + inner[start:]
    )
    (out,) = receiver.packets(rtx)
    again = parsed(out)
    assert (again.payload_type, again.ssrc, again.sequence_number) == (VP8_RTX, RTX_SSRC, 7)
    assert again.payload == struct.pack("!H", 1000) + b"payload"


def test_other_payload_types_and_unreadable_red_pass_as_they_came() -> None:
    receiver = RedReceiver(TYPES)
    plain = media(1, b"plain vp8")
    assert receiver.packets(plain) == [plain]
    audio = struct.pack("!BBHLL", 0x80, 111, 5, 960, 42) + b"opus"
    assert receiver.packets(audio) == [audio]
    truncated = bytes((0x80, RED)) + struct.pack("!HLL", 3, 0, SSRC)  # no RED header
    assert receiver.packets(truncated) == [truncated]
    padding_rtx = (
        bytes((0xA0, RED_RTX)) + struct.pack("!HLL", 8, 0, RTX_SSRC) + bytes(255)[:-1] + b"\xff"
    )
    assert receiver.packets(padding_rtx) == [padding_rtx]
    assert receiver.recovered == 0 and receiver.unwrapped == 0
