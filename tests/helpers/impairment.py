"""A degraded network between one browser page and the server's media sockets: a UDP
proxy on 127.0.0.1 that delays, loses and rate-limits packets, per direction, changeable
while the call runs.

The kernel here has no ``netem`` and Chromium ignores its fake-network field trials, so
the only way onto a bad link is to put the link in the path ourselves. The page is made
to reach the server through the proxy only: an init script rewrites every candidate in
the server's SDP (and any candidate the server trickles) to point at a proxy port, and
the browser's own candidates are never sent (stripped from ``localDescription`` and
held back from ``icecandidate`` listeners). The server then learns the browser as a
peer-reflexive candidate: the proxy's address.

Usage (Playwright's sync API, as the e2e tests and benches use it)::

    with ImpairmentProxy(seed=1) as proxy:
        proxy.attach(page)            # before page.goto(...)
        page.goto(buyer_url)
        ...
        proxy.set(Impairment(delay_ms=125, loss=0.01, rate_kbps=1500))  # both ways
        proxy.set(to_server=Impairment(delay_ms=150), to_browser=Impairment(delay_ms=120))
        proxy.blackout(5.0)          # 100% loss for 5 s in both directions, then clean
        proxy.stats()["to_server"].forwarded, proxy.stats()["to_browser"].lost
        page.evaluate(ROUND_TRIP_MS_JS)  # Chromium's own video RTT, ~2x the delay

With Playwright's async API, ``await proxy.attach(page)`` (``attach`` returns an
awaitable for an async page); ``async with ImpairmentProxy() as proxy`` works too.

Contract:

- One proxy is one link: its two directions (``to_server``: browser to server;
  ``to_browser``: server to browser) each have one ``Impairment`` and one queue, shared
  by every server address the page is routed to. Attach one page per proxy.
- Per direction, in this order: independent random loss (``loss``, 0..1); a rate cap
  (``rate_kbps``, counting 28 bytes of IP and UDP header per packet) with a drop-tail
  queue of ``queue_ms`` (a packet that would wait longer is dropped); then a fixed
  ``delay_ms``. Packets leave in the order they came (a smaller new delay does not
  reorder them). ``Impairment()`` is a clean link.
- ``set`` takes effect for the next packet; packets already queued keep their times.
- The proxy runs its own event loop in a daemon thread, so its timing does not depend on
  the caller's loop; every public method is safe to call from any thread.
- ``route(host, port)`` is the proxy port standing for a server address (one per server
  address, made on first use); the init script calls it through a page binding, and a
  test that rewrites SDP itself may call it directly.
- The page's peer connections that got a rewritten description are listed in
  ``window.__impairedPeerConnections`` (``ROUND_TRIP_MS_JS`` reads the newest).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import random
import socket
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

HOST = "127.0.0.1"
BINDING = "__impairmentProxyRoute"
HEADER_BYTES = 28  # IPv4 + UDP, counted against the rate cap
RECV_SIZE = 65536

# Installed before the page's own scripts. Candidates are rewritten by asking the
# binding for the proxy port of each server address; everything else passes unchanged.
INIT_SCRIPT = """
(() => {
  if (!window.RTCPeerConnection || window.__impairedPeerConnections) return;
  window.__impairedPeerConnections = [];
  const P = RTCPeerConnection.prototype;  // a page's own subclass, if it made one first
  const findProperty = (name) => {
    for (let o = P; o; o = Object.getPrototypeOf(o)) {
      const property = Object.getOwnPropertyDescriptor(o, name);
      if (property) return property;
    }
    return undefined;
  };
  const route = (ip, port) => window.BINDING(ip, port);

  // a=candidate:<foundation> <component> <transport> <priority> <ip> <port> typ ...
  async function rewriteCandidate(line) {
    const prefix = line.startsWith("a=") ? "a=" : "";
    const parts = line.slice(prefix.length).split(" ");
    if (parts.length < 8 || parts[2].toLowerCase() !== "udp") return null;
    if (!/^\\d+\\.\\d+\\.\\d+\\.\\d+$/.test(parts[4])) return null;
    parts[5] = String(await route(parts[4], Number(parts[5])));
    parts[4] = "HOST";
    return prefix + parts.join(" ");
  }

  async function rewriteSdp(sdp) {
    const out = [];
    for (const line of sdp.split("\\r\\n")) {
      if (line.startsWith("a=candidate:")) {
        const rewritten = await rewriteCandidate(line);
        if (rewritten) out.push(rewritten);
      } else {
        out.push(line);
      }
    }
    return out.join("\\r\\n");
  }

  const stripCandidates = (sdp) =>
    sdp.split("\\r\\n").filter((line) => !line.startsWith("a=candidate:")).join("\\r\\n");

  const setRemote = P.setRemoteDescription;
  P.setRemoteDescription = async function (description) {
    if (!window.__impairedPeerConnections.includes(this)) {
      window.__impairedPeerConnections.push(this);
    }
    if (description && description.sdp) {
      description = { type: description.type, sdp: await rewriteSdp(description.sdp) };
    }
    return setRemote.call(this, description);
  };

  const addCandidate = P.addIceCandidate;
  P.addIceCandidate = async function (candidate) {
    if (candidate && candidate.candidate) {
      const rewritten = await rewriteCandidate(candidate.candidate);
      if (!rewritten) return undefined;
      candidate = { ...(candidate.toJSON ? candidate.toJSON() : candidate), candidate: rewritten };
    }
    return addCandidate.call(this, candidate);
  };

  for (const name of ["localDescription", "currentLocalDescription", "pendingLocalDescription"]) {
    const property = findProperty(name);
    if (!property || !property.get) continue;
    Object.defineProperty(P, name, {
      configurable: true,
      enumerable: property.enumerable,
      get() {
        const d = property.get.call(this);
        return d && { type: d.type, sdp: stripCandidates(d.sdp), toJSON() { return this; } };
      },
    });
  }

  // The browser's own candidates never reach a listener (the final null one does).
  const ownCandidate = (event) => Boolean(event.candidate && event.candidate.candidate);
  const wrapped = new WeakMap();
  const addListener = P.addEventListener;
  const removeListener = P.removeEventListener;
  P.addEventListener = function (type, listener, options) {
    if (type !== "icecandidate" || typeof listener !== "function") {
      return addListener.call(this, type, listener, options);
    }
    if (!wrapped.has(listener)) {
      wrapped.set(listener, function (event) {
        if (!ownCandidate(event)) return listener.call(this, event);
      });
    }
    return addListener.call(this, type, wrapped.get(listener), options);
  };
  P.removeEventListener = function (type, listener, options) {
    return removeListener.call(this, type, wrapped.get(listener) || listener, options);
  };
  const onCandidate = findProperty("onicecandidate");
  if (onCandidate && onCandidate.set) {
    Object.defineProperty(P, "onicecandidate", {
      configurable: true,
      get() { return this.__onIceCandidate || null; },
      set(handler) {
        this.__onIceCandidate = handler;
        onCandidate.set.call(this, handler && ((event) => {
          if (!ownCandidate(event)) return handler.call(this, event);
        }));
      },
    });
  }
})();
""".replace("BINDING", BINDING).replace('"HOST"', f'"{HOST}"')

# Chromium's round trip on the newest impaired connection, from its video's
# remote-inbound-rtp (RTCP receiver reports), in ms; null before the first report.
ROUND_TRIP_MS_JS = """
async () => {
  const pcs = window.__impairedPeerConnections || [];
  const pc = pcs[pcs.length - 1];
  if (!pc) return null;
  const stats = await pc.getStats();
  for (const s of stats.values()) {
    if (s.type === "remote-inbound-rtp" && s.kind === "video" && s.roundTripTime !== undefined)
      return s.roundTripTime * 1000;
  }
  return null;
}
"""


@dataclass(frozen=True)
class Impairment:
    """One direction of the link. ``loss``: probability (0..1) that a packet is lost;
    ``rate_kbps``: the cap (None: none), with a drop-tail queue of ``queue_ms``;
    ``delay_ms``: added to every packet that gets through."""

    delay_ms: float = 0.0
    loss: float = 0.0
    rate_kbps: float | None = None
    queue_ms: float = 300.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.loss <= 1.0:
            raise ValueError(f"loss is a probability, got {self.loss}")
        if self.delay_ms < 0 or self.queue_ms < 0:
            raise ValueError("delay_ms and queue_ms cannot be negative")
        if self.rate_kbps is not None and self.rate_kbps <= 0:
            raise ValueError("rate_kbps must be positive (None: no cap)")


CLEAN = Impairment()
BLACKOUT = Impairment(loss=1.0)


@dataclass(frozen=True)
class DirectionStats:
    """What one direction did with the packets it got: ``forwarded`` (and their bytes),
    ``lost`` (random loss, a blackout included) and ``overflowed`` (the rate cap's full
    queue); ``queued_s`` / ``queued_max_s``: the total and the longest time the forwarded
    packets waited in the rate cap's queue (``queued_s / forwarded``: the mean wait)."""

    forwarded: int = 0
    forwarded_bytes: int = 0
    lost: int = 0
    overflowed: int = 0
    queued_s: float = 0.0
    queued_max_s: float = 0.0

    @property
    def dropped(self) -> int:
        return self.lost + self.overflowed


class _Direction:
    """One direction's impairment and queue; used on the proxy's loop only."""

    def __init__(self, loop: asyncio.AbstractEventLoop, rng: random.Random) -> None:
        self.loop = loop
        self.rng = rng
        self.impairment = CLEAN
        self.stats = DirectionStats()
        self._link_free_at = 0.0  # when the rate-capped link has sent what it holds
        self._queue: deque[tuple[float, Callable[[bytes], None], bytes]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def offer(self, data: bytes, send: Callable[[bytes], None]) -> None:
        imp = self.impairment
        if imp.loss and self.rng.random() < imp.loss:
            self.stats = replace(self.stats, lost=self.stats.lost + 1)
            return
        now = self.loop.time()
        leaves = now
        if imp.rate_kbps is not None:
            start = max(now, self._link_free_at)
            if start - now > imp.queue_ms / 1000:
                self.stats = replace(self.stats, overflowed=self.stats.overflowed + 1)
                return
            self._link_free_at = start + (len(data) + HEADER_BYTES) * 8 / (imp.rate_kbps * 1000)
            leaves = self._link_free_at
            waited = start - now
            self.stats = replace(
                self.stats,
                queued_s=self.stats.queued_s + waited,
                queued_max_s=max(self.stats.queued_max_s, waited),
            )
        self._queue.append((leaves + imp.delay_ms / 1000, send, data))
        if self._timer is None:
            self._timer = self.loop.call_at(self._queue[0][0], self._deliver)

    def _deliver(self) -> None:
        self._timer = None
        now = self.loop.time()
        while self._queue and self._queue[0][0] <= now + 0.0005:
            _, send, data = self._queue.popleft()
            send(data)
            self.stats = replace(
                self.stats,
                forwarded=self.stats.forwarded + 1,
                forwarded_bytes=self.stats.forwarded_bytes + len(data),
            )
        if self._queue:
            self._timer = self.loop.call_at(self._queue[0][0], self._deliver)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._queue.clear()


def _nonblocking_udp() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind((HOST, 0))
    return sock


def _send_quietly(sock: socket.socket, data: bytes, address: tuple[str, int]) -> None:
    try:
        sock.sendto(data, address)
    except OSError:  # a full buffer or a closed peer: the packet is lost, as on a link
        pass


class _Route:
    """One server address behind one proxy port. Each browser address that writes to the
    port gets its own socket towards the server (like a NAT), so the server sees one
    peer-reflexive candidate per browser candidate and answers reach the right one."""

    def __init__(self, proxy: ImpairmentProxy, server: tuple[str, int]) -> None:
        self.proxy = proxy
        self.server = server
        self.front = _nonblocking_udp()
        self.port: int = self.front.getsockname()[1]
        self.backs: dict[tuple[str, int], socket.socket] = {}

    def start(self) -> None:
        self.proxy._loop.add_reader(self.front.fileno(), self._from_browser)

    def _from_browser(self) -> None:
        while True:
            try:
                data, browser = self.front.recvfrom(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # an ICMP error from an earlier send
            back = self.backs.get(browser)
            if back is None:
                back = self.backs[browser] = _nonblocking_udp()
                self.proxy._loop.add_reader(back.fileno(), self._from_server, back, browser)
            self.proxy._to_server.offer(data, lambda d, b=back: _send_quietly(b, d, self.server))

    def _from_server(self, back: socket.socket, browser: tuple[str, int]) -> None:
        while True:
            try:
                data, source = back.recvfrom(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            if source != self.server:
                continue
            self.proxy._to_browser.offer(data, lambda d: _send_quietly(self.front, d, browser))

    def close(self) -> None:
        loop = self.proxy._loop
        for sock in [self.front, *self.backs.values()]:
            loop.remove_reader(sock.fileno())
            sock.close()


class ImpairmentProxy:
    """The link between one browser page and the server (see the module's docstring)."""

    def __init__(self, seed: int | None = None) -> None:
        self._loop = asyncio.new_event_loop()
        rng = random.Random(seed)
        self._to_server = _Direction(self._loop, rng)
        self._to_browser = _Direction(self._loop, rng)
        self._routes: dict[tuple[str, int], _Route] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._blackout_end: asyncio.TimerHandle | None = None

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> ImpairmentProxy:
        """Start the proxy's thread (``with``/``async with`` do it)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop.run_forever, name="impairment-proxy", daemon=True
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Close every socket and stop the thread; queued packets are dropped."""
        if self._thread is None:
            return
        self._call(self._close_in_loop)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._thread = None
        self._loop.close()

    def _close_in_loop(self) -> None:
        for route in self._routes.values():
            route.close()
        self._to_server.cancel()
        self._to_browser.cancel()
        if self._blackout_end is not None:
            self._blackout_end.cancel()

    def __enter__(self) -> ImpairmentProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> ImpairmentProxy:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.close)

    def _call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the proxy's loop and return its result."""
        if threading.current_thread() is self._thread:
            return fn()
        done: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn())
            except BaseException as exc:  # handed to the caller
                done.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return done.result(timeout=5)

    # -- the page ---------------------------------------------------------------------

    def attach(self, page: Any) -> Awaitable[None] | None:
        """Make ``page`` (a Playwright page, before it navigates) reach the server only
        through this proxy. For an async-API page, await the result."""
        if inspect.iscoroutinefunction(page.expose_function):
            return self._attach_async(page)
        page.expose_function(BINDING, self._route_from_page)
        page.add_init_script(INIT_SCRIPT)
        return None

    async def _attach_async(self, page: Any) -> None:
        await page.expose_function(BINDING, self._route_from_page)
        await page.add_init_script(INIT_SCRIPT)

    def _route_from_page(self, host: str, port: int) -> int:
        return self.route(str(host), int(port))

    def route(self, host: str, port: int) -> int:
        """The proxy port (on ``HOST``) standing for the server address ``host:port``."""
        self.start()
        with self._lock:
            route = self._routes.get((host, port))
            if route is None:
                route = self._routes[(host, port)] = _Route(self, (host, port))
                self._call(route.start)
            return route.port

    # -- the link ---------------------------------------------------------------------

    def set(
        self,
        both: Impairment | None = None,
        *,
        to_server: Impairment | None = None,
        to_browser: Impairment | None = None,
    ) -> None:
        """Change one direction or both (``both`` applies where the other is not given)
        and cancel a running blackout's end."""

        def apply() -> None:
            if self._blackout_end is not None:
                self._blackout_end.cancel()
                self._blackout_end = None
            self._apply(to_server or both, to_browser or both)

        self._call(apply)

    def _apply(self, to_server: Impairment | None, to_browser: Impairment | None) -> None:
        if to_server is not None:
            self._to_server.impairment = to_server
        if to_browser is not None:
            self._to_browser.impairment = to_browser

    def blackout(self, seconds: float, then: Impairment = CLEAN) -> None:
        """Lose every packet both ways for ``seconds`` (from now), then set ``then`` both
        ways (a clean link by default). Returns at once."""

        def begin() -> None:
            if self._blackout_end is not None:
                self._blackout_end.cancel()
            self._apply(BLACKOUT, BLACKOUT)
            self._blackout_end = self._loop.call_later(seconds, self._apply, then, then)

        self._call(begin)

    def impairments(self) -> dict[str, Impairment]:
        """The current ``Impairment`` per direction (``to_server``, ``to_browser``)."""
        return self._call(
            lambda: {
                "to_server": self._to_server.impairment,
                "to_browser": self._to_browser.impairment,
            }
        )

    def stats(self) -> dict[str, DirectionStats]:
        """Packets forwarded and dropped so far, per direction (``to_server``,
        ``to_browser``)."""
        if self._thread is None:
            return {"to_server": self._to_server.stats, "to_browser": self._to_browser.stats}
        return self._call(
            lambda: {"to_server": self._to_server.stats, "to_browser": self._to_browser.stats}
        )
