"""The pages' own measure of their connection (web/js/quality.js), run in Chromium on a
sequence of getStats() figures: lost when nothing arrives for 1.5 s, poor with 5% loss or
a 400 ms round trip, and what a page shows from its own measure and both sides'."""

from __future__ import annotations

from tests.helpers.chromium import OpenParticipant

# (steps) -> the state after each step; a step is [ms since start, figures to merge]
MEASURE_JS = """
async (steps) => {
  const { OwnMeasure } = await import("/static/js/quality.js");
  const measure = new OwnMeasure();
  const base = { bytesReceived: 0, packetsReceived: 0, packetsLost: 0, rttMs: 30,
                 remoteFractionLost: 0, fps: 30, freezes: 0 };
  return steps.map(([at, figures]) => measure.add({ ...base, ...figures }, at));
}
"""

# (cases) -> what a buyer page shows for [own measure, server's buyer, server's agent]
SHOWN_JS = """
async (cases) => {
  const { CallQuality } = await import("/static/js/quality.js");
  const signaling = { on: () => signaling, send: () => {} };
  return cases.map(([own, buyer, agent, through = true]) => {
    const quality = new CallQuality(signaling, { side: "buyer", peerConnection: () => null,
                                                 onShow: () => {} });
    quality.own.state = own;
    quality.own.through = through;
    quality.told = { buyer, agent };
    return quality.current();
  });
}
"""


def test_a_connection_that_receives_nothing_for_1_5_s_is_lost_and_good_again_when_it_does(
    open_participant: OpenParticipant,
) -> None:
    page = open_participant("page").page
    page.goto("/login")
    states = page.evaluate(
        MEASURE_JS,
        [
            [0, {"bytesReceived": 1000, "packetsReceived": 10}],
            [500, {"bytesReceived": 2000, "packetsReceived": 60}],
            [1000, {"bytesReceived": 2000, "packetsReceived": 60}],  # nothing since 500
            [1900, {"bytesReceived": 2000, "packetsReceived": 60}],
            [2000, {"bytesReceived": 2000, "packetsReceived": 60}],  # 1.5 s: lost
            [2500, {"bytesReceived": 3000, "packetsReceived": 110}],
        ],
    )
    assert states == ["good", "good", "good", "good", "lost", "good"]


def test_much_loss_or_a_long_round_trip_is_poor(open_participant: OpenParticipant) -> None:
    page = open_participant("page").page
    page.goto("/login")
    inbound = page.evaluate(
        MEASURE_JS,
        [
            [0, {"bytesReceived": 1, "packetsReceived": 0, "packetsLost": 0}],
            [500, {"bytesReceived": 2, "packetsReceived": 95, "packetsLost": 3}],  # 3%
            [1000, {"bytesReceived": 3, "packetsReceived": 180, "packetsLost": 20}],  # 10%
        ],
    )
    assert inbound == ["good", "good", "poor"]
    [sent_lost] = page.evaluate(MEASURE_JS, [[0, {"bytesReceived": 1, "remoteFractionLost": 0.06}]])
    [slow, quick] = page.evaluate(
        MEASURE_JS, [[0, {"bytesReceived": 1, "rttMs": 420}], [500, {"bytesReceived": 2}]]
    )
    assert (sent_lost, slow, quick) == ("poor", "poor", "good")


def test_a_page_shows_the_worst_of_its_own_measure_and_both_sides_and_connecting_before_media(
    open_participant: OpenParticipant,
) -> None:
    page = open_participant("page").page
    page.goto("/login")
    shown = page.evaluate(
        SHOWN_JS,
        [
            ["good", "good", "good"],
            ["lost", "good", "good"],  # nothing reaches this phone
            ["good", "lost", "good"],  # the server gets nothing from this phone
            ["good", "good", "lost"],  # the agent's network
            ["poor", "good", "lost"],
            ["lost", "lost", "poor"],
            ["good", "good", "good", False],  # nothing has arrived yet
            ["good", "good", "lost", False],  # ... but the server says the agent's is lost
        ],
    )
    assert shown == [
        {"state": "good", "whose": None},
        {"state": "lost", "whose": "own"},
        {"state": "lost", "whose": "own"},
        {"state": "lost", "whose": "peer"},
        {"state": "lost", "whose": "peer"},
        {"state": "lost", "whose": "own"},
        {"state": "connecting", "whose": None},
        {"state": "lost", "whose": "peer"},
    ]
