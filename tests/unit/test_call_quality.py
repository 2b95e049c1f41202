"""A call's connection states (relay and pages combined), its stored quality summary,
and the ``quality`` message's validation."""

from __future__ import annotations

import pytest

from server.calls.quality import LegFigures, QualityBook, summarize
from signaling import ProtocolError, QualityReport, parse_client_message


def leg(
    expected: int = 1000,
    lost: int = 0,
    rtt_ms: int | None = 20,
    samples: int = 10,
    stalls: int = 0,
    worst_ms: int = 0,
) -> LegFigures:
    return LegFigures(expected, lost, rtt_ms, samples, stalls, worst_ms)


def test_a_clean_call_has_no_freezes_no_loss_and_is_not_poor() -> None:
    summary = summarize([leg()])
    assert summary is not None
    assert summary.model_dump() == {
        "freezes": 0,
        "worst_stall_ms": 0,
        "loss_pct": 0.0,
        "rtt_ms": 20,
        "poor": False,
    }


def test_legs_of_a_reloaded_page_add_up_loss_over_all_packets_and_freezes_over_all_legs() -> None:
    summary = summarize(
        [
            leg(expected=900, lost=9, rtt_ms=250, samples=30, stalls=1, worst_ms=5200),
            leg(expected=100, lost=5, rtt_ms=90, samples=2, stalls=2, worst_ms=700),
        ]
    )
    assert summary is not None
    assert summary.loss_pct == 1.4  # 14 of 1000
    assert summary.freezes == 3
    assert summary.worst_stall_ms == 5200
    assert summary.rtt_ms == 250  # the round trip of most samples
    assert summary.poor  # it froze


def test_some_loss_is_never_rounded_to_none() -> None:
    summary = summarize([leg(expected=100_000, lost=3)])
    assert summary is not None and summary.loss_pct == 0.1


@pytest.mark.parametrize(
    ("figures", "poor"),
    [
        (leg(expected=1000, lost=29), False),
        (leg(expected=1000, lost=30), True),
        (leg(rtt_ms=399), False),
        (leg(rtt_ms=400), True),
        (leg(stalls=1, worst_ms=600), True),
    ],
)
def test_the_network_is_poor_with_a_freeze_3_percent_loss_or_a_400_ms_round_trip(
    figures: LegFigures, poor: bool
) -> None:
    summary = summarize([figures])
    assert summary is not None and summary.poor is poor


def test_without_any_buyer_leg_there_is_no_summary_and_without_packets_no_loss() -> None:
    assert summarize([]) is None
    summary = summarize([leg(expected=0, rtt_ms=None, samples=0)])
    assert summary is not None
    assert summary.loss_pct is None and summary.rtt_ms is None


def test_a_malformed_leg_report_is_refused() -> None:
    good = {
        "packets_expected": 10,
        "packets_lost": 1,
        "rtt_ms": None,
        "rtt_samples": 0,
        "stalls": 0,
        "worst_stall_ms": 0,
    }
    assert LegFigures.from_event(good).packets_lost == 1
    for name, bad in [("packets_lost", -1), ("stalls", "3"), ("rtt_ms", 1.5), ("stalls", True)]:
        with pytest.raises(ValueError, match=name):
            LegFigures.from_event({**good, name: bad})
    with pytest.raises(ValueError, match="worst_stall_ms"):
        LegFigures.from_event({k: v for k, v in good.items() if k != "worst_stall_ms"})


def test_a_side_is_lost_while_the_relay_says_so_whatever_its_page_reports() -> None:
    book = QualityBook()
    book.start("c1")
    assert book.page_report("c1", "buyer", "poor") == "poor"
    assert book.media_flow("c1", "buyer", flowing=False) == "lost"
    assert book.page_report("c1", "buyer", "good") is None  # still lost: nothing to tell
    assert book.media_flow("c1", "buyer", flowing=True) == "good"
    assert book.media_flow("c1", "buyer", flowing=True) is None  # no change, no message
    assert book.state("c1", "agent") == "good"
    assert book.page_report("c1", "agent", "lost") == "lost"  # the page sees nothing arrive


def test_a_new_connection_of_a_side_starts_good_whatever_the_old_one_said() -> None:
    book = QualityBook()
    book.start("c1")
    book.page_report("c1", "buyer", "lost")
    book.media_flow("c1", "buyer", flowing=False)
    assert book.new_leg("c1", "buyer") == "good"  # a reloaded page: its media arrives
    assert book.new_leg("c1", "buyer") is None


def test_a_call_not_started_is_ignored_and_a_finished_one_forgotten() -> None:
    book = QualityBook()
    assert book.media_flow("c1", "buyer", flowing=False) is None
    book.leg_closed("c1", "buyer", leg())
    assert book.finish("c1") is None
    book.start("c1")
    book.leg_closed("c1", "agent", leg(lost=500))  # the agent's legs are not summarized
    book.leg_closed("c1", "buyer", leg(lost=10))
    summary = book.finish("c1")
    assert summary is not None and summary.loss_pct == 1.0
    assert book.finish("c1") is None


def test_the_quality_message_takes_good_poor_or_lost_and_nothing_else() -> None:
    for state in ("good", "poor", "lost"):
        message = parse_client_message(f'{{"type":"quality","state":"{state}"}}')
        assert isinstance(message, QualityReport) and message.state == state
    for raw, field in [
        ('{"type":"quality","state":"bad"}', "quality.state"),
        ('{"type":"quality"}', "quality.state"),
        ('{"type":"quality","state":"good","rtt_ms":5}', "quality.rtt_ms"),
        ('{"type":"quality","state":1}', "quality.state"),
    ]:
        with pytest.raises(ProtocolError) as refused:
            parse_client_message(raw)
        assert refused.value.code == "bad_message"
        assert refused.value.message.startswith(field)
