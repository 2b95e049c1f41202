"""Two nodes (real servers on one PostgreSQL and one Redis, reached as through a load
balancer that forwards the client's address) throttle failed sign-ins together: failures
on one make the other refuse with the same 429 and Retry-After, a success on one clears
the pair on both. With Redis gone mid-run, the nodes keep answering: sign-ins are
throttled per node, rate limits let requests through, GET /api/cluster answers 503."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.accounts import PASSWORD, add_user, login
from tests.helpers.postgres import fresh_database
from tests.helpers.redis import redis_server, stop_redis
from tests.helpers.servers import LiveServer, start_live_server
from tests.helpers.waiting import NotYet, wait_until

ATTACKER = {"X-Forwarded-For": "198.51.100.7"}
OWNER = {"X-Forwarded-For": "203.0.113.20"}
EMAIL = "ana@shop.test"
REDIS_PASSWORD = "hunter2-redis-password"
_names = itertools.count(1)


@pytest.fixture
def nodes(
    tmp_path: Path, postgres_admin_url: str
) -> Iterator[Callable[[str], tuple[LiveServer, LiveServer]]]:
    """``nodes(redis_url)``: two nodes on a fresh database and that Redis, ``ana`` an
    agent; both stopped afterwards."""
    started = []

    def start(redis_url: str) -> tuple[LiveServer, LiveServer]:
        database = fresh_database(postgres_admin_url, f"showdesk_sign_in_{next(_names)}")
        for name in ("node-a", "node-b"):
            started.append(
                start_live_server(
                    tmp_path / name,
                    node_id=name,
                    database_url=database,
                    redis_url=redis_url,
                    sign_in_free_failures=3,
                )
            )
        add_user(started[0][0].app, EMAIL, "agent")
        return started[-2][0], started[-1][0]

    yield start
    for _, server, _ in started:
        server.should_exit = True
    for _, _, thread in started:
        thread.join(timeout=30)


def sign_in(node: LiveServer, who: dict[str, str], password: str = "wrong") -> httpx.Response:
    return httpx.post(
        node.url + "/api/auth/login",
        json={"email": EMAIL, "password": password},
        headers=who,
        timeout=10,
    )


def _answered(answer: httpx.Response, status: int) -> bool | NotYet:
    """For ``wait_until``: True once ``answer`` has ``status``; a refusal says so."""
    return answer.status_code == status or NotYet(f"answered {answer.status_code}")


def refusal(answer: httpx.Response) -> tuple[int, str, str]:
    return answer.status_code, answer.json()["error"]["code"], answer.headers["Retry-After"]


def test_failures_on_one_node_make_the_other_refuse_with_the_same_wait(nodes, redis_url):
    a, b = nodes(redis_url)
    assert [sign_in(a, ATTACKER).status_code for _ in range(3)] == [401, 401, 401]
    on_b, on_a = sign_in(b, ATTACKER), sign_in(a, ATTACKER)
    assert refusal(on_b) == refusal(on_a) == (429, "rate_limited", "1")
    # a refused attempt is not counted: asked until the wait is over, the first answer
    # that is not a refusal is the fourth failure, counted on b
    wait_until(lambda: _answered(sign_in(b, ATTACKER), 401), 10, "the wait to pass on b")
    on_a, on_b = sign_in(a, ATTACKER), sign_in(b, ATTACKER)
    assert refusal(on_a) == refusal(on_b) == (429, "rate_limited", "2")  # doubled for both
    # the owner, from an address without failures, signs in on either node
    assert sign_in(a, OWNER, PASSWORD).status_code == 200
    assert sign_in(b, OWNER, PASSWORD).status_code == 200


def test_a_success_on_one_node_clears_the_pair_on_the_other(nodes, redis_url):
    a, b = nodes(redis_url)
    assert [sign_in(a, ATTACKER).status_code for _ in range(3)] == [401, 401, 401]
    refused = sign_in(b, ATTACKER, PASSWORD)
    assert refused.status_code == 429  # even the right password waits
    wait_until(lambda: _answered(sign_in(b, ATTACKER, PASSWORD), 200), 10, "the wait to pass")
    # the pair starts afresh on node a: three free failures again, then the wait
    assert [sign_in(a, ATTACKER).status_code for _ in range(4)] == [401, 401, 401, 429]


def test_with_redis_gone_each_node_answers_and_throttles_sign_ins_alone(nodes, caplog):
    caplog.set_level(logging.WARNING, logger="showdesk")
    with redis_server(password=REDIS_PASSWORD) as url:
        a, b = nodes(url)
        add_user(a.app, "admin@shop.test", "admin")
        with httpx.Client(base_url=a.url, timeout=10) as admin:
            login(admin, "admin@shop.test")
            assert admin.get("/api/cluster").status_code == 200
            stop_redis(url)
            answer = admin.get("/api/cluster")
            assert answer.status_code == 503
            assert answer.json()["error"]["code"] == "redis_unavailable"
            assert "Traceback" not in answer.text and "6379" not in answer.text
            # rate-limited routes let the request through (an unknown link: 404, not 500)
            assert admin.get("/j/no-such-link", follow_redirects=False).status_code == 404
        # sign-ins go on, each node counting its own failures (three free on each)
        for node in (a, b):
            statuses = [sign_in(node, ATTACKER).status_code for _ in range(4)]
            assert statuses == [401, 401, 401, 429]
            assert sign_in(node, OWNER, PASSWORD).status_code == 200
        assert httpx.get(b.url + "/healthz", timeout=10).status_code == 200
    said = [r.getMessage() for r in caplog.records]
    assert sum("sign-in throttle: Redis out of reach" in m for m in said) == 2, said  # once each
    assert any("could not read the lease holder from Redis" in m for m in said), said
    assert not [m for m in said if REDIS_PASSWORD in m]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []  # warnings only: no unhandled error, no traceback
