"""The sign-in throttle of several nodes: failures counted in Redis, so every node of one
installation sees the same failures and makes the same waits.

Same contract as ``SignInThrottle`` (``sign_in_throttle.py``): an attempt is counted
before its password is checked and un-counted when it succeeds; each key's first free
failures cost nothing, then every attempt waits the base delay doubled per further
failure, up to the maximum, since the key's last failure; failures are forgotten the
window after the last one; a success clears its pair; the account alone is never
throttled. Counting is one Lua script for both keys (check the waits, then count), so
parallel attempts on any nodes cannot slip past it; un-counting is another.

Each key is a Redis hash (``failures``, ``last``: the time of the last failure) named
``showdesk:sign-in:<pair|address>:<HMAC-SHA256>``: the HMAC, keyed with the
installation's secret key (the same on every node), of the account and address, so a
Redis dump names no email address or IP address and cannot be matched against a list of
them. Every key expires the window after its last failure. Times are Redis's own clock
(``TIME``), so the nodes' clocks need not agree; ``clock`` replaces it in tests.

Per process, as in one node: the password-check slots (``hash_slots``) and the counts
of failures and refusals exported in /metrics (this node's answers).

Redis out of reach: the attempt is counted in this process's memory instead (the
one-node throttle), so sign-ins go on, slowed down per node as before Redis was
configured; one warning says so and another when Redis answers again. A success whose
un-count cannot reach Redis leaves it counted until the window forgets it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Callable

import redis
from redis.exceptions import RedisError

from server.infra.sign_in_throttle import Attempt, SignInThrottle, refused, warn_repeated

log = logging.getLogger("showdesk.auth")
KEY_PREFIX = "showdesk:sign-in:"
REDIS_TIMEOUT_S = 1.0  # a slow Redis delays a sign-in this much at most per step
_KEY_CONTEXT = b"showdesk sign-in throttle key\x00"

# KEYS: the pair's key, the address's key.
# ARGV: now in seconds ('' for Redis's clock), window_s, the pair's and the address's
# free failures, base_delay_s, max_delay_s.
# Returns {counted (1) or refused (0), the wait in seconds (a string: Lua numbers come
# back as integers), the pair's failures, the address's failures}.
_BEGIN = """
local now = tonumber(ARGV[1])
if now == nil then
    local t = redis.call('TIME')
    now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local window = tonumber(ARGV[2])
local free = {tonumber(ARGV[3]), tonumber(ARGV[4])}
local base, max_delay = tonumber(ARGV[5]), tonumber(ARGV[6])
local failures, wait = {}, 0
for i, key in ipairs(KEYS) do
    local stored = redis.call('HMGET', key, 'failures', 'last')
    local count, last = tonumber(stored[1]) or 0, tonumber(stored[2]) or 0
    if now - last >= window then
        count = 0
    end
    failures[i] = count
    local over = count - free[i]
    if over >= 0 then
        wait = math.max(wait, last + math.min(max_delay, base * 2 ^ over) - now)
    end
end
if wait > 0 then
    return {0, tostring(wait), failures[1], failures[2]}
end
local ttl_ms = tostring(math.ceil(window * 1000))
for i, key in ipairs(KEYS) do
    redis.call('HSET', key, 'failures', tostring(failures[i] + 1), 'last', tostring(now))
    redis.call('PEXPIRE', key, ttl_ms)
end
return {1, '0', failures[1] + 1, failures[2] + 1}
"""
# KEYS: the pair's key, the address's key. The pair is forgotten, the address's
# failures go down by one (its expiry stays).
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
local count = tonumber(redis.call('HGET', KEYS[2], 'failures'))
if count ~= nil and count > 0 then
    redis.call('HSET', KEYS[2], 'failures', tostring(count - 1))
end
return 0
"""


class SharedSignInThrottle(SignInThrottle):
    """Sign-in throttling shared by the nodes through Redis (see the module docstring).
    ``redis_url`` is the nodes' Redis; ``secret_key`` names the keys (the installation's,
    the same on every node); the other arguments are ``SignInThrottle``'s, ``clock``
    (seconds) replacing Redis's clock when given."""

    def __init__(
        self,
        redis_url: str,
        secret_key: str,
        *,
        free_failures: int,
        address_free_failures: int,
        base_delay_s: float,
        max_delay_s: float,
        window_s: float,
        hash_slots: int,
        hash_wait_s: float = 10.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(
            free_failures=free_failures,
            address_free_failures=address_free_failures,
            base_delay_s=base_delay_s,
            max_delay_s=max_delay_s,
            window_s=window_s,
            hash_slots=hash_slots,
            hash_wait_s=hash_wait_s,
        )  # its memory: the fallback while Redis is out of reach
        self._redis = redis.Redis.from_url(
            redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
        self._begin = self._redis.register_script(_BEGIN)
        self._succeeded = self._redis.register_script(_SUCCEEDED)
        self._key_secret = secret_key.encode()
        self._shared_clock = clock
        self._reachable = True
        self._reach_lock = threading.Lock()

    def key(self, kind: str, text: str) -> str:
        """The Redis key of a pair (``account|address``) or an address."""
        digest = hmac.new(
            self._key_secret, _KEY_CONTEXT + f"{kind}\x00{text}".encode(), hashlib.sha256
        )
        return f"{KEY_PREFIX}{kind}:{digest.hexdigest()}"

    def begin(self, email: str, address: str) -> Attempt:
        """Count an attempt in Redis (provisionally failed); raise TooMany when the pair or
        the address must still wait. Counted in memory while Redis is out of reach."""
        account = email.strip().lower()
        pair = f"{account}|{address}"
        now = "" if self._shared_clock is None else repr(self._shared_clock())
        try:
            counted, wait, pair_failures, address_failures = self._begin(
                keys=[self.key("pair", pair), self.key("address", address)],
                args=[
                    now,
                    repr(self._window_s),
                    self._free["pair"],
                    self._free["address"],
                    repr(self._base_delay_s),
                    repr(self._max_delay_s),
                ],
            )
        except RedisError as exc:
            self._out_of_reach(exc)
            return super().begin(email, address)
        self._in_reach()
        if not counted:
            with self._lock:
                self.refusals += 1
            raise refused(
                account, address, float(wait), (int(pair_failures), int(address_failures))
            )
        return Attempt(pair=pair, address=address, shared=True, pair_failures=int(pair_failures))

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: forget the pair's failures, un-count the address's."""
        if not attempt.shared:
            super().succeeded(attempt)
            return
        try:
            self._succeeded(
                keys=[self.key("pair", attempt.pair), self.key("address", attempt.address)]
            )
        except RedisError as exc:
            self._out_of_reach(exc)
            return
        self._in_reach()

    def failed(self, attempt: Attempt) -> None:
        """The password was wrong (the attempt stays counted)."""
        if not attempt.shared:
            super().failed(attempt)
            return
        with self._lock:
            self.failures += 1
        if attempt.pair_failures > self._free["pair"]:
            warn_repeated(attempt.pair)

    def close(self) -> None:
        """Close the connections to Redis."""
        self._redis.close()

    def _out_of_reach(self, exc: RedisError) -> None:
        with self._reach_lock:
            was, self._reachable = self._reachable, False
        if was:
            log.warning(
                "sign-in throttle: Redis out of reach (%s: %s); failed sign-ins are counted "
                "on this node alone until it answers",
                type(exc).__name__,
                exc,
            )

    def _in_reach(self) -> None:
        with self._reach_lock:
            was, self._reachable = self._reachable, True
        if not was:
            log.warning("sign-in throttle: Redis answers again; failed sign-ins are shared")
