"""The sign-in throttle in Redis (a real redis-server): the waits double per failure past
the free ones, up to the maximum; failures are forgotten (their keys gone) a window
after the last one; parallel attempts through two throttles never let more than the
free failures through; the keys name no email or IP address; with Redis gone the
attempts are counted in memory."""

from __future__ import annotations

import logging
import threading

import redis

from server.errors import TooMany
from server.infra.shared_sign_in_throttle import KEY_PREFIX, SharedSignInThrottle
from tests.helpers.redis import redis_server, stop_redis
from tests.helpers.waiting import NotYet, wait_until

EMAIL, ADDRESS = "Ana@Shop.test", "198.51.100.7"


def throttle(
    url: str, secret: str = "test-secret-key", **overrides: object
) -> SharedSignInThrottle:
    limits: dict = {
        "free_failures": 2,
        "address_free_failures": 50,
        "base_delay_s": 1.0,
        "max_delay_s": 8.0,
        "window_s": 900.0,
        "hash_slots": 2,
    }
    return SharedSignInThrottle(url, secret, **(limits | overrides))


def refused_for(t: SharedSignInThrottle) -> int | None:
    """Try once and fail: None when counted, else the wait in seconds of the refusal."""
    try:
        attempt = t.begin(EMAIL, ADDRESS)
    except TooMany as exc:
        return exc.retry_after_s
    t.failed(attempt)
    return None


def test_each_failure_past_the_free_ones_doubles_the_wait_up_to_the_maximum(redis_url):
    now = [1_000_000.0]
    t = throttle(redis_url, clock=lambda: now[0])
    answers = []
    while len([a for a in answers if a is not None]) < 6:
        answers.append(refused_for(t))
        if answers[-1] is not None:
            now[0] += answers[-1]
    # two free failures, then each wait twice the one before, up to max_delay_s
    assert answers == [None, None, 1, None, 2, None, 4, None, 8, None, 8, None, 8]
    assert (t.failures, t.refusals) == (7, 6)
    now[0] += 8
    t.succeeded(t.begin(EMAIL, ADDRESS))  # a success clears the pair
    assert [refused_for(t) for _ in range(3)] == [None, None, 1]


def test_failures_are_forgotten_a_window_after_the_last_and_their_keys_expire(redis_url):
    t = throttle(redis_url, free_failures=1, base_delay_s=5.0, window_s=1.0)
    client = redis.Redis.from_url(redis_url)
    assert refused_for(t) is None
    assert refused_for(t) == 5  # the wait; the window (1 s) forgets the failure sooner
    keys = client.keys(KEY_PREFIX + "*")
    assert len(keys) == 2  # the pair and the address
    assert all(0 < client.pttl(key) <= 1000 for key in keys)
    wait_until(
        lambda: not client.keys(KEY_PREFIX + "*") or NotYet(f"{client.keys(KEY_PREFIX + '*')}"),
        5,
        "the keys to expire",
    )
    attempt = t.begin(EMAIL, ADDRESS)
    assert attempt.shared and attempt.pair_failures == 1  # counted afresh


def test_parallel_attempts_on_two_throttles_let_only_the_free_failures_through(redis_url):
    nodes = [throttle(redis_url, free_failures=5), throttle(redis_url, free_failures=5)]
    answers: list[int | None] = []
    start = threading.Barrier(40)

    def attempt(n: int) -> None:
        start.wait()
        answers.append(refused_for(nodes[n % 2]))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 40
    assert answers.count(None) == 5
    assert sum(node.failures for node in nodes) == 5
    assert sum(node.refusals for node in nodes) == 35


def test_the_keys_and_values_name_no_email_or_ip_address(redis_url):
    t = throttle(redis_url)
    refused_for(t)
    client = redis.Redis.from_url(redis_url)
    keys = client.keys("*")
    assert len(keys) == 2
    stored = b" ".join(keys + [v for key in keys for v in client.hgetall(key).values()])
    for secret in (b"ana@shop.test", b"Ana", ADDRESS.encode(), b"198.51"):
        assert secret not in stored.lower()
    # another installation's secret key names other keys for the same account
    other = throttle(redis_url, secret="another-installation")
    assert other.key("address", ADDRESS) != t.key("address", ADDRESS)


def test_with_redis_gone_the_attempts_are_counted_in_this_process(caplog):
    with redis_server(password="hunter2-redis") as url:
        t = throttle(url)
        assert refused_for(t) is None
        stop_redis(url)
        caplog.set_level(logging.WARNING, logger="showdesk.auth")
        answers = [refused_for(t) for _ in range(4)]
    assert answers == [None, None, 1, 1]  # the memory's own two free failures
    said = [r.getMessage() for r in caplog.records if "Redis" in r.getMessage()]
    assert len(said) == 1 and "counted on this node alone" in said[0], said
    assert "hunter2" not in caplog.text
