// How this page's call connection is, and the other side's: the buyer page and the
// console both show it (signaling/PROTOCOL.md, "Connection quality").
//
// The page samples its peer connection's getStats() twice a second:
//   lost  nothing at all has arrived on the connection (media, RTCP, ICE) for 1.5 s
//   poor  5% or more of the packets meant for it were lost over the last 3 s (its own
//         inbound media, or what the server's receiver reports say of what it sent), or a
//         round trip of 400 ms or more
//   good  otherwise
// and sends `quality` when that changes (and after each welcome: a new socket). The
// server tells both pages each side's state (`quality` with `side`); what a page shows is
// the worst of its own measure and both sides' states, and says whose it is. Until the
// page's connection has received its first packet (connecting, a TURN server refusing it,
// the other side's media not through yet) it shows "connecting", never "good": that state
// is the page's own and is not reported.

export const SAMPLE_MS = 500;
export const LOST_AFTER_MS = 1500;
const WINDOW_SAMPLES = 6; // 3 s of samples for the loss over the last few seconds
const POOR_LOSS = 0.05;
const POOR_RTT_MS = 400;
const RANK = { good: 0, poor: 1, lost: 2 };

/** The worse of connection states ("good" < "poor" < "lost"). */
export function worst(...states) {
  return states.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), "good");
}

/** One getStats() report as the figures this module needs: bytes received on the
 *  connection, inbound packets received and lost (audio and video), the round trip (ms),
 *  the remote receiver's fraction lost of what we sent, and the inbound video's frames
 *  per second and freezes (count, and their total seconds). Fields a browser does not give are null. */
export function readStats(report) {
  const figures = {
    bytesReceived: null,
    packetsReceived: 0,
    packetsLost: 0,
    rttMs: null,
    remoteFractionLost: null,
    fps: null,
    freezes: null,
    freezeSeconds: null,
  };
  let selectedPair = null;
  const pairs = [];
  report.forEach((stat) => {
    if (stat.type === "transport" && stat.selectedCandidatePairId) selectedPair = stat.selectedCandidatePairId;
    if (stat.type === "candidate-pair") pairs.push(stat);
    if (stat.type === "inbound-rtp") {
      figures.packetsReceived += stat.packetsReceived || 0;
      figures.packetsLost += Math.max(0, stat.packetsLost || 0);
      if (stat.kind === "video") {
        if (Number.isFinite(stat.framesPerSecond)) figures.fps = stat.framesPerSecond;
        if (Number.isFinite(stat.freezeCount)) figures.freezes = stat.freezeCount;
        if (Number.isFinite(stat.totalFreezesDuration)) figures.freezeSeconds = stat.totalFreezesDuration;
      }
    }
    if (stat.type === "remote-inbound-rtp") {
      if (Number.isFinite(stat.fractionLost)) {
        figures.remoteFractionLost = Math.max(figures.remoteFractionLost || 0, stat.fractionLost);
      }
      if (figures.rttMs === null && Number.isFinite(stat.roundTripTime)) figures.rttMs = stat.roundTripTime * 1000;
    }
  });
  const pair =
    pairs.find((p) => p.id === selectedPair) || pairs.find((p) => p.nominated && p.state === "succeeded");
  if (pair) {
    figures.bytesReceived = pair.bytesReceived ?? null;
    if (Number.isFinite(pair.currentRoundTripTime)) figures.rttMs = pair.currentRoundTripTime * 1000;
  }
  return figures;
}

/** The page's own state from successive readStats() samples (see the top of the file). */
export class OwnMeasure {
  constructor() {
    this.reset();
  }

  reset() {
    this.samples = [];
    this.lastBytes = null;
    this.lastArrivalAt = null;
    this.state = "good";
    this.through = false; // a packet of the other side's media has arrived
  }

  /** Take a sample taken at `now` (ms); returns the state. */
  add(figures, now) {
    if (figures.bytesReceived !== null) {
      if (this.lastBytes === null || figures.bytesReceived > this.lastBytes) this.lastArrivalAt = now;
      this.lastBytes = figures.bytesReceived;
    }
    if (figures.packetsReceived > 0) this.through = true;
    this.samples.push(figures);
    if (this.samples.length > WINDOW_SAMPLES + 1) this.samples.shift();
    const first = this.samples[0];
    const received = figures.packetsReceived - first.packetsReceived;
    const lost = figures.packetsLost - first.packetsLost;
    const inboundLoss = received + lost > 20 ? lost / (received + lost) : 0;
    const loss = Math.max(inboundLoss, figures.remoteFractionLost || 0);
    if (this.lastArrivalAt !== null && now - this.lastArrivalAt >= LOST_AFTER_MS) this.state = "lost";
    else if (loss >= POOR_LOSS || (figures.rttMs !== null && figures.rttMs >= POOR_RTT_MS)) this.state = "poor";
    else this.state = "good";
    return this.state;
  }
}

/** The connection quality of one call page: samples its own connection, reports it,
 *  keeps what the server says of both sides, and calls `onShow({state, whose})` when
 *  what the page should show changes: `state` the worst of all, `whose` "own", "peer"
 *  or null (all good); "connecting" (whose null) until the first packet arrives. */
export class CallQuality {
  /**
   * @param {import("./signaling.js").Signaling} signaling
   * @param {{side: "buyer"|"agent", peerConnection: () => RTCPeerConnection|null,
   *          onShow: (shown: {state: string, whose: string|null}) => void,
   *          onFigures?: (figures: object, pc: RTCPeerConnection, now: number) => void}} options
   *   `onFigures` gets each sample's readStats() figures (a new connection: a new pc).
   */
  constructor(signaling, { side, peerConnection, onShow, onFigures = null }) {
    this.signaling = signaling;
    this.side = side;
    this.peerSide = side === "buyer" ? "agent" : "buyer";
    this.peerConnection = peerConnection;
    this.onShow = onShow;
    this.onFigures = onFigures;
    this.own = new OwnMeasure();
    this.told = { buyer: "good", agent: "good" };
    this.reported = "good";
    this.shown = null;
    this.pc = null;
    this.timer = null;
    this.sessionId = null;
    signaling.on("quality", (m) => {
      if (this.sessionId && m.session_id !== this.sessionId) return;
      if (m.side in this.told && m.state in RANK) this.told[m.side] = m.state;
      this.render();
    });
    signaling.on("welcome", () => {
      // a new socket: the server knows nothing of this page's measure yet
      if (this.timer && this.reported !== "good") this.send(this.reported);
    });
  }

  /** Start watching the call `sessionId` (again after a reconnect: nothing is reset). */
  start(sessionId) {
    if (this.sessionId !== sessionId) {
      this.told = { buyer: "good", agent: "good" };
      this.own.reset();
      this.reported = "good";
    }
    this.sessionId = sessionId;
    if (!this.timer) this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.render();
  }

  /** The call ended: stop sampling and show nothing wrong any more. */
  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.sessionId = null;
    this.told = { buyer: "good", agent: "good" };
    this.own.reset();
    this.reported = "good";
    this.pc = null;
    this.render();
  }

  async sample() {
    const pc = this.peerConnection();
    if (pc !== this.pc) {
      this.pc = pc; // a new connection (reconnect, reload): start measuring afresh
      this.own.reset();
    }
    if (!pc || pc.connectionState === "new" || pc.connectionState === "closed") return;
    let report;
    try {
      report = await pc.getStats();
    } catch {
      return; // closed meanwhile
    }
    if (pc !== this.pc || !this.timer) return;
    const figures = readStats(report);
    const now = performance.now();
    const state = this.own.add(figures, now);
    if (this.onFigures) this.onFigures(figures, pc, now);
    if (state !== this.reported) {
      this.reported = state;
      this.send(state);
    }
    this.render();
  }

  send(state) {
    this.signaling.send({ type: "quality", state });
  }

  /** What the page shows now (see the class comment). */
  current() {
    const own = worst(this.own.state, this.told[this.side]);
    const peer = this.told[this.peerSide];
    const state = worst(own, peer);
    if (state === "good" && !this.own.through) return { state: "connecting", whose: null };
    let whose = null;
    if (state !== "good") whose = RANK[peer] >= RANK[own] ? "peer" : "own";
    return { state, whose };
  }

  render() {
    const shown = this.current();
    if (this.shown && this.shown.state === shown.state && this.shown.whose === shown.whose) return;
    this.shown = shown;
    this.onShow(shown);
  }
}
