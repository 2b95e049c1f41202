"""The impairment proxy (tests/helpers/impairment.py) between two real UDP sockets: the
server side sees the proxy, not the browser side; delay, loss, the rate cap and a
blackout do what they say."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from tests.helpers.impairment import HOST, Impairment, ImpairmentProxy
from tests.helpers.waiting import NotYet, wait_until


def _udp() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    sock.settimeout(2.0)
    return sock


@pytest.fixture
def sockets() -> Iterator[tuple[socket.socket, socket.socket]]:
    browser, server = _udp(), _udp()
    yield browser, server
    browser.close()
    server.close()


@pytest.fixture
def proxy() -> Iterator[ImpairmentProxy]:
    with ImpairmentProxy(seed=7) as running:
        yield running


def _drain(sock: socket.socket) -> int:
    """How many datagrams are waiting on ``sock`` (read and discarded)."""
    sock.setblocking(False)
    count = 0
    try:
        while True:
            sock.recvfrom(65536)
            count += 1
    except BlockingIOError:
        return count
    finally:
        sock.settimeout(2.0)


def test_packets_cross_both_ways_through_the_proxy_after_the_delay_of_each_way(proxy, sockets):
    browser, server = sockets
    port = proxy.route(*server.getsockname())
    proxy.set(to_server=Impairment(delay_ms=60), to_browser=Impairment(delay_ms=40))

    sent_at = time.monotonic()
    browser.sendto(b"ping", (HOST, port))
    data, seen_from = server.recvfrom(100)
    assert data == b"ping"
    assert seen_from != browser.getsockname()  # the server sees the proxy
    server.sendto(b"pong", seen_from)
    data, answered_from = browser.recvfrom(100)
    round_trip_ms = (time.monotonic() - sent_at) * 1000

    assert data == b"pong"
    assert answered_from == (HOST, port)
    assert round_trip_ms >= 100  # 60 + 40: the delay is never skipped
    stats = proxy.stats()
    assert (stats["to_server"].forwarded, stats["to_browser"].forwarded) == (1, 1)


def test_random_loss_drops_about_the_set_share_and_forwards_the_rest(proxy, sockets):
    browser, server = sockets
    port = proxy.route(*server.getsockname())
    proxy.set(Impairment(loss=0.5))
    for i in range(400):
        browser.sendto(i.to_bytes(2, "big"), (HOST, port))

    stats = wait_until(
        lambda: (s := proxy.stats()["to_server"]).forwarded + s.lost == 400 and s,
        5,
        "every packet forwarded or lost",
    )
    assert 140 <= stats.lost <= 260
    assert wait_until(lambda: _drain(server) or NotYet("nothing"), 5, "packets at the server")


def test_the_rate_cap_drops_what_would_wait_longer_than_its_queue(proxy, sockets):
    browser, server = sockets
    port = proxy.route(*server.getsockname())
    # 1000 bytes + 28 of headers at 100 kbps: 82 ms each; a 300 ms queue holds 4 more.
    proxy.set(to_server=Impairment(rate_kbps=100, queue_ms=300))
    for _ in range(50):
        browser.sendto(bytes(1000), (HOST, port))

    stats = wait_until(
        lambda: (s := proxy.stats()["to_server"]).forwarded + s.overflowed == 50 and s,
        5,
        "every packet forwarded or dropped at the full queue",
    )
    assert 3 <= stats.forwarded <= 6
    assert stats.overflowed == 50 - stats.forwarded
    assert stats.lost == 0
    # the first went at once, each next one after the ones before it: 0, 82, 164, ... ms
    assert 0.8 * 0.082 * (stats.forwarded - 1) <= stats.queued_max_s <= 0.3
    assert stats.queued_s >= 0.8 * sum(0.082 * i for i in range(stats.forwarded))


def test_a_blackout_loses_every_packet_both_ways_then_the_link_is_clean(proxy, sockets):
    browser, server = sockets
    port = proxy.route(*server.getsockname())
    browser.sendto(b"hello", (HOST, port))
    _, proxy_side = server.recvfrom(100)

    proxy.blackout(0.5)
    for _ in range(5):
        browser.sendto(b"lost", (HOST, port))
        server.sendto(b"lost", proxy_side)
    wait_until(
        lambda: proxy.stats()["to_server"].lost == 5 and proxy.stats()["to_browser"].lost == 5,
        5,
        "the blackout losing both ways",
    )
    assert _drain(server) == 0 and _drain(browser) == 0

    def gets_through() -> bool | NotYet:
        browser.sendto(b"again", (HOST, port))
        return _drain(server) > 0 or NotYet("still dark")

    wait_until(
        gets_through, 5, "the link back after the blackout", pause=lambda s: time.sleep(0.05)
    )
    assert proxy.impairments()["to_server"] == Impairment()
