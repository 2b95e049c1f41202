// The console's playout buffer for the buyer's video: a longer wait before showing each
// picture when the buyer's link makes pictures late, none on a clean link.
//
// The relay holds the buyer's frames until a lost packet's retransmission arrives, a round
// trip of the buyer's link late (250 ms and more from abroad). The console's browser is a
// millisecond from the relay and keeps its own jitter buffer tiny, so every held frame is
// a freeze. Each time the console's video freezes, the buffer target rises to the freezes'
// mean length plus a margin (capped), so that the next late frame plays on time; after a
// calm spell without freezes it falls back by steps, so a clean link keeps its latency.
// A freeze of over a second is an outage (no buffer hides it) and raises nothing.
// Browsers without RTCRtpReceiver.jitterBufferTarget (Firefox) keep their own.

export const MARGIN_MS = 50;
export const CAP_MS = 400;
export const CALM_MS = 15000;
const DECAY = 0.5;
const FLOOR_MS = 40; // below this the target is dropped altogether
const OUTAGE_MS = 1000; // freezes this long are an outage, which no buffer hides

/** The target (ms, or null: the browser's own) from the inbound video's freeze figures. */
export class PlayoutTarget {
  constructor() {
    this.reset();
  }

  reset() {
    this.targetMs = null;
    this.freezes = null;
    this.freezeSeconds = null;
    this.changedAt = null;
  }

  /** Take a sample (`freezes` = freezeCount, `freezeSeconds` = totalFreezesDuration, at
   *  `now` ms) and return the target it gives. */
  add({ freezes, freezeSeconds }, now) {
    if (!Number.isFinite(freezes) || !Number.isFinite(freezeSeconds)) return this.targetMs;
    if (this.changedAt === null) this.changedAt = now;
    if (this.freezes !== null && freezes > this.freezes) {
      const meanMs = ((freezeSeconds - this.freezeSeconds) * 1000) / (freezes - this.freezes);
      const wanted = Math.min(CAP_MS, Math.round(meanMs + MARGIN_MS));
      if (meanMs <= OUTAGE_MS && (this.targetMs === null || wanted > this.targetMs)) {
        this.targetMs = wanted;
      }
      this.changedAt = now;
    } else if (this.targetMs !== null && now - this.changedAt >= CALM_MS) {
      const lower = Math.round(this.targetMs * DECAY);
      this.targetMs = lower < FLOOR_MS ? null : lower;
      this.changedAt = now;
    }
    this.freezes = freezes;
    this.freezeSeconds = freezeSeconds;
    return this.targetMs;
  }
}

/** Set `targetMs` (or null) on the video receivers of `pc` that allow it. */
export function applyPlayoutTarget(pc, targetMs) {
  for (const receiver of pc.getReceivers()) {
    if (receiver.track?.kind !== "video" || !("jitterBufferTarget" in receiver)) continue;
    if (receiver.jitterBufferTarget !== targetMs) receiver.jitterBufferTarget = targetMs;
  }
}
