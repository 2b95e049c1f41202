"""Which way a page's media goes: its peer connections, recorded as the page makes them
(an init script; the page's own code runs unchanged), and the ICE candidates of each,
from the browser's own ``getStats``."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page

from tests.helpers.waiting import NotYet

# every RTCPeerConnection the page makes, in window.__peerConnections, and every ICE
# error they report, with the page's time of it, in window.__iceErrors
RECORD_PEER_CONNECTIONS_JS = """
(() => {
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  window.__peerConnections = [];
  window.__iceErrors = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.__peerConnections.push(this);
      this.addEventListener("icecandidateerror", (event) => {
        window.__iceErrors.push({ code: event.errorCode, at: performance.now() });
      });
    }
  };
})();
"""

# () -> the newest peer connection's configuration policy, state, the types of its local
# candidates, and the local and remote candidate types of its selected pair (or null)
ICE_PATH_JS = """
async () => {
  const pcs = window.__peerConnections || [];
  const pc = pcs[pcs.length - 1];
  if (!pc) return null;
  const stats = await pc.getStats();
  const byId = {};
  stats.forEach((s) => { byId[s.id] = s; });
  let selected = null;
  stats.forEach((s) => {
    if (s.type === "transport" && s.selectedCandidatePairId) {
      selected = byId[s.selectedCandidatePairId];
    }
  });
  const local = [];
  stats.forEach((s) => { if (s.type === "local-candidate") local.push(s.candidateType); });
  return {
    policy: pc.getConfiguration().iceTransportPolicy,
    state: pc.connectionState,
    localTypes: local,
    selected: selected && selected.state === "succeeded"
      ? [selected.localCandidateId, selected.remoteCandidateId].map((id) => byId[id].candidateType)
      : null,
  };
}
"""


def record_peer_connections(context: BrowserContext) -> None:
    """From the next page load on, the context's pages keep their peer connections and
    the ICE errors those report."""
    context.add_init_script(RECORD_PEER_CONNECTIONS_JS)


def connected_path(page: Page) -> dict | NotYet:
    """The page's newest peer connection once connected with a selected candidate pair
    (``ICE_PATH_JS``'s answer), else NotYet."""
    path = page.evaluate(ICE_PATH_JS)
    if not path or path["state"] != "connected" or not path["selected"]:
        return NotYet(f"not connected yet: {path}")
    return path


def ms_since_ice_error(page: Page, code: int) -> float | None:
    """Milliseconds since the page's first ICE error ``code`` (``record_peer_connections``
    must be on), or None if it has had none."""
    return page.evaluate(
        "(code) => { const e = (window.__iceErrors || []).find((x) => x.code === code);"
        " return e ? performance.now() - e.at : null; }",
        code,
    )
