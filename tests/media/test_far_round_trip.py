"""Receiver reports that add the far end's round trip (server/relay/far_round_trip.py),
between two real aiortc peers on loopback: the sender measures its own round trip plus
what the receiver was told to add, and never less; the seam is still where it was."""

from __future__ import annotations

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack

from server.relay.far_round_trip import (
    MAX_FAR_S,
    FarRoundTripSeamError,
    check_report_seams,
    report_far_round_trip,
)
from tests.helpers.waiting import poll_until

FAR_S = 0.3


async def _audio_call(far_s: float | None):
    """A sender and a receiver peer connection with audio flowing; the receiver's reports
    add ``far_s`` (unless None)."""
    sender, receiver = (RTCPeerConnection(RTCConfiguration(iceServers=[])) for _ in range(2))
    sender.addTrack(AudioStreamTrack())
    await sender.setLocalDescription(await sender.createOffer())
    await receiver.setRemoteDescription(sender.localDescription)
    [transceiver] = receiver.getTransceivers()
    if far_s is not None:
        report_far_round_trip(transceiver.receiver, lambda: far_s)
    await receiver.setLocalDescription(await receiver.createAnswer())
    await sender.setRemoteDescription(receiver.localDescription)
    return sender, receiver


def _rtt(pc: RTCPeerConnection) -> float | None:
    return pc.getSenders()[0]._RTCRtpSender__rtt


async def _measured_rtt(far_s: float | None) -> float:
    sender, receiver = await _audio_call(far_s)
    try:
        await poll_until(lambda: _rtt(sender) is not None, lambda: "no round trip measured", 30)
        return float(_rtt(sender))
    finally:
        await sender.close()
        await receiver.close()


async def test_the_sender_measures_its_round_trip_plus_the_far_one():
    rtt = await _measured_rtt(FAR_S)
    assert FAR_S <= rtt < FAR_S + 0.1, rtt


async def test_without_it_the_sender_measures_the_loopback_round_trip():
    assert await _measured_rtt(None) < 0.1


async def test_the_far_round_trip_is_capped():
    rtt = await _measured_rtt(30.0)
    assert MAX_FAR_S <= rtt < MAX_FAR_S + 0.1, rtt


async def test_the_receiver_still_keeps_its_sender_reports_where_the_seam_expects():
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        receiver = pc.addTransceiver("audio", "recvonly").receiver
        check_report_seams(receiver)
        report_far_round_trip(receiver, lambda: 0.0)
        with pytest.raises(FarRoundTripSeamError, match="already adjusted"):
            report_far_round_trip(receiver, lambda: 0.0)
        receiver._RTCRtpReceiver__lsr = None
        with pytest.raises(FarRoundTripSeamError, match="__lsr"):
            check_report_seams(receiver)
    finally:
        await pc.close()
