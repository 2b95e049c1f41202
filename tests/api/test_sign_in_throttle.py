"""Failed sign-ins slow down per (account, address) and per address with growing waits;
someone who only knows a staff member's email cannot lock them out; parallel attempts are
counted before any password is checked; attacks show in /metrics."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from server.app import create_app
from server.infra.sign_in_throttle import SignInThrottle
from tests.helpers.accounts import PASSWORD, add_user
from tests.helpers.servers import make_settings

ATTACKER = ("198.51.100.7", 40000)
OWNER = ("203.0.113.20", 40000)


def _from(app, address: tuple[str, int]) -> TestClient:
    return TestClient(app, base_url=app.state.settings.public_url, client=address)


def _login(client: TestClient, email: str, password: str):
    return client.post("/api/auth/login", json={"email": email, "password": password})


def test_an_attacker_who_knows_only_the_email_cannot_lock_out_its_owner(app):
    add_user(app, "admin@showdesk.local", "admin")
    attacker = _from(app, ATTACKER)
    answers = [_login(attacker, "admin@showdesk.local", "guess") for _ in range(30)]
    assert {a.status_code for a in answers} == {401, 429}
    assert answers[-1].status_code == 429
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert int(answers[-1].headers["Retry-After"]) >= 1
    # the attacker is slowed down even with the right password ...
    assert _login(attacker, "admin@showdesk.local", PASSWORD).status_code == 429
    # ... while the owner, from an address without failures, signs in at once
    assert _login(_from(app, OWNER), "admin@showdesk.local", PASSWORD).status_code == 200


def test_each_failure_past_the_free_ones_doubles_the_wait(app):
    add_user(app, "ana@shop.test", "agent")
    now = [1000.0]
    app.state.sign_in = SignInThrottle(
        free_failures=2,
        address_free_failures=50,
        base_delay_s=1.0,
        max_delay_s=900.0,
        window_s=900.0,
        hash_slots=2,
        clock=lambda: now[0],
    )
    attacker = _from(app, ATTACKER)
    statuses, waits = [], []
    while len(waits) < 3:
        answer = _login(attacker, "ana@shop.test", "wrong")
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            waits.append(int(answer.headers["Retry-After"]))
            now[0] += waits[-1]
    # two free failures, then each further one waits twice as long as the one before
    assert statuses == [401, 401, 429, 401, 429, 401, 429]
    assert waits == [1, 2, 4]
    now[0] += 16
    assert _login(attacker, "ana@shop.test", PASSWORD).status_code == 200
    assert _login(attacker, "ana@shop.test", "wrong").status_code == 401  # the pair was cleared


def test_failures_from_one_address_slow_that_address_down_for_every_account(tmp_path):
    app = create_app(make_settings(tmp_path, sign_in_address_free_failures=3))
    add_user(app, "ana@shop.test", "agent")
    attacker = _from(app, ATTACKER)
    for n in range(3):
        assert _login(attacker, f"nobody{n}@shop.test", "wrong").status_code == 401
    assert _login(attacker, "ana@shop.test", PASSWORD).status_code == 429
    assert _login(_from(app, OWNER), "ana@shop.test", PASSWORD).status_code == 200


def test_parallel_wrong_passwords_are_counted_before_any_is_checked(tmp_path):
    app = create_app(make_settings(tmp_path, sign_in_free_failures=5))
    add_user(app, "ana@shop.test", "agent")
    attacker = _from(app, ATTACKER)
    statuses: list[int] = []
    start = threading.Barrier(12)

    def attempt() -> None:
        start.wait()
        statuses.append(_login(attacker, "ana@shop.test", "wrong").status_code)

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(statuses) == 12
    assert statuses.count(401) == 5 and statuses.count(429) == 7


def test_failed_and_refused_sign_ins_are_counted_in_metrics(app):
    add_user(app, "ana@shop.test", "agent")
    attacker = _from(app, ATTACKER)
    for _ in range(8):
        _login(attacker, "ana@shop.test", "wrong")
    metrics = _from(app, ("127.0.0.1", 40001)).get("/metrics").text
    assert "showdesk_sign_in_failures_total 5.0" in metrics
    assert "showdesk_sign_in_refusals_total 3.0" in metrics
