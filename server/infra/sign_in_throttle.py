"""Failed sign-ins slow down, but nobody can be locked out by someone who only knows
their email address (OWASP's authentication guidance).

Two keys are throttled: the pair (account, address) and the address alone. Each key's
first ``free_failures`` failures cost nothing; after that every further attempt must wait
``base_delay_s`` doubled per failure, up to ``max_delay_s``, since the key's last failure
(a refusal is ``TooMany`` with that wait). The account alone is never throttled: its owner
signing in from an address without failures always gets through. Failures are forgotten
``window_s`` after the last one, and a success clears its pair.

Every attempt is counted as a failure *before* the password is checked (under a lock), and
un-counted when it succeeds, so parallel attempts cannot all slip past the count. The
password checks themselves (argon2: memory-hard, tens of MB each) are capped by
``hash_slots``.

``SignInThrottle`` keeps the failures in this process's memory (one node).
``SharedSignInThrottle`` (``shared_sign_in_throttle.py``, with ``SHOWDESK_REDIS_URL``)
keeps them in Redis, so every node counts and delays the same keys; its ``hash_slots``
still cap this process's own password checks, and its ``failures`` and ``refusals``
(exported in /metrics) count this process's answers.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from server.errors import TooMany

log = logging.getLogger("showdesk.auth")


@dataclass
class _Key:
    failures: int = 0
    last_failure: float = 0.0


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt counted by :meth:`SignInThrottle.begin`: ``shared`` when it was
    counted in Redis, with the pair's failures then (this one included)."""

    pair: str
    address: str
    shared: bool = False
    pair_failures: int = 0


def refused(account: str, address: str, wait_s: float, failures: tuple[int, int]) -> TooMany:
    """Log a refused attempt (its pair's and its address's failures) and say how long to
    wait (whole seconds, at least one)."""
    log.warning(
        "sign-in refused for %s from %s: %d failures from there (%d from the address)",
        account,
        address,
        *failures,
    )
    retry = max(1, math.ceil(wait_s))
    return TooMany(f"too many failed sign-ins; try again in {retry} s", retry)


def warn_repeated(pair: str) -> None:
    """Log a failure of a pair already past its free failures."""
    log.warning("repeated failed sign-ins: %s", pair.replace("|", " from "))


class SignInThrottle:
    """Sign-in throttling for one server process (see the module docstring)."""

    def __init__(
        self,
        *,
        free_failures: int,
        address_free_failures: int,
        base_delay_s: float,
        max_delay_s: float,
        window_s: float,
        hash_slots: int,
        hash_wait_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._free = {"pair": free_failures, "address": address_free_failures}
        self._base_delay_s = base_delay_s
        self._max_delay_s = max_delay_s
        self._window_s = window_s
        self._clock = clock
        self._keys: dict[str, _Key] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(hash_slots)
        self._hash_wait_s = hash_wait_s
        self.failures = 0  # counted for /metrics
        self.refusals = 0

    def _delay_s(self, kind: str, key: _Key) -> float:
        over = key.failures - self._free[kind]
        if over < 0:
            return 0.0
        return min(self._max_delay_s, self._base_delay_s * 2**over)

    def begin(self, email: str, address: str) -> Attempt:
        """Count an attempt for ``email`` from ``address`` (provisionally failed); raise
        TooMany when the pair or the address must still wait."""
        account = email.strip().lower()
        attempt = Attempt(pair=f"{account}|{address}", address=address)
        now = self._clock()
        with self._lock:
            self._forget(now)
            keys = {
                "pair": self._keys.setdefault(f"pair:{attempt.pair}", _Key()),
                "address": self._keys.setdefault(f"address:{address}", _Key()),
            }
            wait = max(
                key.last_failure + self._delay_s(kind, key) - now for kind, key in keys.items()
            )
            if wait > 0:
                self.refusals += 1
                counts: tuple[int, int] | None = (keys["pair"].failures, keys["address"].failures)
            else:
                for key in keys.values():
                    key.failures += 1
                    key.last_failure = now
                counts = None
        if counts is not None:
            raise refused(account, address, wait, counts)
        return attempt

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: forget the pair's failures, un-count the address's."""
        with self._lock:
            self._keys.pop(f"pair:{attempt.pair}", None)
            address = self._keys.get(f"address:{attempt.address}")
            if address is not None:
                address.failures = max(0, address.failures - 1)

    def failed(self, attempt: Attempt) -> None:
        """The password was wrong (the attempt stays counted)."""
        with self._lock:
            self.failures += 1
            pair = self._keys.get(f"pair:{attempt.pair}")
        if pair is not None and pair.failures > self._free["pair"]:
            warn_repeated(attempt.pair)

    @contextlib.contextmanager
    def hashing(self) -> Iterator[None]:
        """Hold one of the password-check slots; TooMany when none frees up in time."""
        if not self._slots.acquire(timeout=self._hash_wait_s):
            self.refusals += 1
            raise TooMany("the server is busy checking passwords; try again in a moment", 2)
        try:
            yield
        finally:
            self._slots.release()

    def close(self) -> None:
        """Release what the throttle holds (nothing in memory)."""

    def _forget(self, now: float) -> None:
        stale = [k for k, v in self._keys.items() if now - v.last_failure >= self._window_s]
        for name in stale:
            del self._keys[name]
