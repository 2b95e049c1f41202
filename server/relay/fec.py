"""Accepting a browser's forward error correction on its video: the answer's lines, and
the seam where RED is unwrapped and lost packets are rebuilt (ulpfec.py).

``accept_video_fec(offer_sdp, answer_sdp)``: when a video section of the answer is
answered in VP8 and may receive, and the offer's same section offers ``red``,
``ulpfec`` and an RTX of ``red``, the answer gets those three payload types (the offer's
numbers, appended to the ``m=`` line, with their ``rtpmap`` and the RTX's ``apt``) and
``RedTypes`` for them is returned. Anything else: the answer unchanged and None. aiortc
itself never learns of them: the answer it made and keeps is not touched. Only VP8:
its picture ids let the relay tell a lost FEC packet from lost media (jitter.py); with
H.264 a browser keeps sending without FEC, as before.

A section the relay only sends on (``a=sendonly``, VP8 or H.264) gets the same lines but
no ``RedTypes``: the relay never sends RED, so nothing changes on the wire; the
receiving browser sees the stream negotiated as FEC-protected, as it is between two
browsers (libwebrtc then runs its NACK+FEC protection mode, which leaves the round trip
out of the jitter-buffer target). The console offers its video ``sendrecv`` (seen in
test_fec_call), so it already had the lines; this reaches a page that offers to receive
video alone.

``receive_red(transport, types)`` (aiortc 1.16, rtcdtlstransport.py): the DTLS
transport hands each decrypted RTP datagram to ``RTCDtlsTransport._handle_rtp_data``,
which parses it and routes it to a receiver; the per-instance attribute is wrapped so
that every datagram passes through a ``RedReceiver`` first and aiortc sees only what it
negotiated (plain media packets, their RTX, and empty packets in FEC packets' slots).
A rebuilt packet is then taken back out of its receiver's reception count
(``RTCRtpReceiver.__remote_streams``' ``packets_received``, routed by
``RTCDtlsTransport._rtp_router``): the receiver reports count it lost, so the sender keeps
sizing its FEC to the loss on the way (libwebrtc sizes it from the reports' loss).
Other transports in the process are untouched; ``FecSeamError`` when the seam moved.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .ulpfec import RedReceiver, RedTypes

_HANDLE_RTP_DATA_ATTR = "_handle_rtp_data"
_RTP_ROUTER_ATTR = "_rtp_router"
_REMOTE_STREAMS_ATTR = "_RTCRtpReceiver__remote_streams"
_FEC_CODECS = ("VP8",)
_SENT_FEC_CODECS = ("VP8", "H264")


class FecSeamError(RuntimeError):
    """aiortc's DTLS transport no longer has the method the FEC seam wraps."""


def receive_red(
    transport: Any, types: RedTypes, on_fec_bytes: Callable[[int], None] | None = None
) -> RedReceiver:
    """Pass every RTP datagram ``transport`` receives through a new ``RedReceiver`` for
    ``types`` before aiortc reads it (module docstring); returns the receiver (its
    counters). ``on_fec_bytes(n)`` is told each FEC packet's payload size just before its
    empty slot is handed on (the bandwidth estimate counts it, bandwidth.py). Call it
    before media arrives, once per transport."""
    handle: Callable[..., Awaitable[None]] | None = getattr(transport, _HANDLE_RTP_DATA_ATTR, None)
    router = getattr(transport, _RTP_ROUTER_ATTR, None)
    if not callable(handle) or not isinstance(getattr(router, "ssrc_table", None), dict):
        raise FecSeamError(
            f"RTCDtlsTransport.{_HANDLE_RTP_DATA_ATTR} or .{_RTP_ROUTER_ATTR} is missing"
        )
    red = RedReceiver(types)

    async def handle_rtp_data(data: bytes, arrival_time_ms: int) -> None:
        before, fec_before = red.recovered, red.fec_packets
        packets = red.packets(data)
        if on_fec_bytes is not None and red.fec_packets != fec_before:
            on_fec_bytes(red.last_fec_bytes)
        first_rebuilt = len(packets) - (red.recovered - before)
        for index, packet in enumerate(packets):
            await handle(packet, arrival_time_ms=arrival_time_ms)
            if index >= first_rebuilt:
                _not_received(router, int.from_bytes(packet[8:12], "big"))

    setattr(transport, _HANDLE_RTP_DATA_ATTR, handle_rtp_data)
    return red


def _not_received(router: Any, ssrc: int) -> None:
    """Take one packet back out of the reception count of ``ssrc``'s receiver."""
    streams = getattr(router.ssrc_table.get(ssrc), _REMOTE_STREAMS_ATTR, None)
    stream = streams.get(ssrc) if isinstance(streams, dict) else None
    if stream is not None and stream.packets_received > 0:
        stream.packets_received -= 1


def accept_video_fec(offer_sdp: str, answer_sdp: str) -> tuple[str, RedTypes | None]:
    """The answer with the offer's RED, ULPFEC and RTX of RED accepted in its VP8 video
    sections, and their payload types (module docstring); unchanged and None otherwise."""
    newline = "\r\n" if "\r\n" in answer_sdp else "\n"
    offered = _sections(offer_sdp.replace("\r\n", "\n").split("\n"))
    head, *sections = _split(answer_sdp.split(newline))
    types: RedTypes | None = None
    out = list(head)
    for index, section in enumerate(sections):
        found = _accept(section, offered[index] if index < len(offered) else [])
        if found is not None:
            lines, section_types, receives = found
            if not receives:
                section = lines
            elif types is None or types == section_types:
                section, types = lines, section_types
        out += section
    return newline.join(out), types


def _split(lines: list[str]) -> list[list[str]]:
    """The session part, then one list of lines per media section."""
    parts: list[list[str]] = [[]]
    for line in lines:
        if line.startswith("m="):
            parts.append([])
        parts[-1].append(line)
    return parts


def _sections(lines: list[str]) -> list[list[str]]:
    return _split(lines)[1:]


def _rtpmap(section: list[str]) -> dict[int, str]:
    """Payload type -> encoding name (upper case) of a section's ``rtpmap`` lines."""
    found: dict[int, str] = {}
    for line in section:
        if line.startswith("a=rtpmap:"):
            pt, _, encoding = line[len("a=rtpmap:") :].partition(" ")
            if pt.isdigit():
                found[int(pt)] = encoding.split("/", 1)[0].upper()
    return found


def _apt(section: list[str]) -> dict[int, int]:
    """RTX payload type -> the payload type it retransmits (``apt``)."""
    found: dict[int, int] = {}
    for line in section:
        if line.startswith("a=fmtp:"):
            pt, _, params = line[len("a=fmtp:") :].partition(" ")
            for param in params.split(";"):
                name, _, value = param.strip().partition("=")
                if name == "apt" and pt.isdigit() and value.isdigit():
                    found[int(pt)] = int(value)
    return found


def _accept(section: list[str], offer: list[str]) -> tuple[list[str], RedTypes, bool] | None:
    """The section with the offer's FEC accepted, its payload types, and whether the
    relay receives on it; None when it cannot be accepted (module docstring)."""
    if not section or not section[0].startswith("m=video") or not offer:
        return None
    fields = section[0].split()
    if len(fields) < 4 or fields[1] == "0" or "a=inactive" in section:
        return None
    receives = "a=sendonly" not in section
    answered = _rtpmap(section)
    codecs = _FEC_CODECS if receives else _SENT_FEC_CODECS
    media = [pt for pt, name in answered.items() if name in codecs]
    if not media:
        return None
    offered = _rtpmap(offer)
    red = next((pt for pt, name in offered.items() if name == "RED"), None)
    ulpfec = next((pt for pt, name in offered.items() if name == "ULPFEC"), None)
    offer_apt = _apt(offer)
    red_rtx = next((pt for pt, apt in offer_apt.items() if apt == red), None)
    media_rtx = {apt: pt for pt, apt in _apt(section).items() if apt in media}
    if red is None or ulpfec is None or red_rtx is None or not media_rtx:
        return None
    if {red, ulpfec, red_rtx} & set(answered):
        return None  # the numbers are taken in the answer: leave it as it is
    lines = [" ".join([*fields, str(red), str(red_rtx), str(ulpfec)])]
    last_codec_line = max(
        i for i, line in enumerate(section) if line.startswith(("a=rtpmap:", "a=fmtp:"))
    )
    lines += section[1 : last_codec_line + 1]
    lines += [
        f"a=rtpmap:{red} red/90000",
        f"a=rtpmap:{red_rtx} rtx/90000",
        f"a=fmtp:{red_rtx} apt={red}",
        f"a=rtpmap:{ulpfec} ulpfec/90000",
    ]
    lines += section[last_codec_line + 1 :]
    types = RedTypes(red=red, ulpfec=ulpfec, red_rtx=red_rtx, media_rtx=media_rtx)
    return lines, types, receives
