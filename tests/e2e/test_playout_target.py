"""The console's playout buffer for the buyer's video (web/js/playout.js), run in Chromium:
freezes raise the target to their mean length plus a margin, capped; an outage raises
nothing; a calm spell lowers it by steps back to the browser's own; and the target lands
on a real peer connection's video receiver."""

from __future__ import annotations

from tests.helpers.chromium import OpenParticipant

# (steps) -> the target after each step; a step is [ms since start, freezes, freeze seconds]
TARGET_JS = """
async (steps) => {
  const { PlayoutTarget } = await import("/static/js/playout.js");
  const target = new PlayoutTarget();
  return steps.map(([at, freezes, freezeSeconds]) => target.add({ freezes, freezeSeconds }, at));
}
"""

# (targets) -> the video receiver's jitterBufferTarget after each is applied, and the audio's
APPLY_JS = """
async (targets) => {
  const { applyPlayoutTarget } = await import("/static/js/playout.js");
  const pc = new RTCPeerConnection();
  pc.addTransceiver("audio", { direction: "recvonly" });
  const video = pc.addTransceiver("video", { direction: "recvonly" });
  const audio = pc.getTransceivers()[0];
  const seen = targets.map((ms) => {
    applyPlayoutTarget(pc, ms);
    return [video.receiver.jitterBufferTarget, audio.receiver.jitterBufferTarget];
  });
  pc.close();
  return seen;
}
"""


def test_freezes_raise_the_target_to_their_mean_plus_a_margin_and_no_higher_than_the_cap(
    open_participant: OpenParticipant,
) -> None:
    page = open_participant("page").page
    page.goto("/login")
    targets = page.evaluate(
        TARGET_JS,
        [
            [0, 0, 0.0],
            [500, 0, 0.0],  # no freeze: the browser's own buffer
            [1000, 2, 0.5],  # two freezes of 250 ms: 300
            [1500, 3, 0.7],  # a shorter one keeps the higher target
            [2000, 4, 1.3],  # 600 ms: the cap, 400
        ],
    )
    assert targets == [None, None, 300, 300, 400]


def test_an_outage_raises_nothing_and_a_calm_spell_lowers_the_target_back_to_none(
    open_participant: OpenParticipant,
) -> None:
    page = open_participant("page").page
    page.goto("/login")
    targets = page.evaluate(
        TARGET_JS,
        [
            [0, 0, 0.0],
            [500, 1, 5.3],  # a 5.3 s blackout: no buffer hides it
            [1000, 2, 5.5],  # a 200 ms freeze: 250
            [16000, 2, 5.5],  # 15 s calm: halved
            [30500, 2, 5.5],  # not yet 15 s since the last change
            [31000, 2, 5.5],  # halved again
            [46000, 2, 5.5],  # 31 ms is under the floor: the browser's own again
        ],
    )
    assert targets == [None, None, 250, 125, 125, 63, None]


def test_the_target_is_set_on_the_video_receiver_only_and_cleared_with_null(
    open_participant: OpenParticipant,
) -> None:
    page = open_participant("page").page
    page.goto("/login")
    seen = page.evaluate(APPLY_JS, [300, 150, None])
    assert seen == [[300, None], [150, None], [None, None]]
