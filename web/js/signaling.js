// WebSocket client for the Showdesk signaling protocol (signaling/messages.py).
// Sends {"type":"hello","v":1} first, dispatches server messages by type and
// reconnects with backoff when the socket drops unexpectedly.

export const PROTOCOL_VERSION = 1;

/** Every close code the server sends (signaling/vocabulary.py CloseCode, PROTOCOL.md). */
export const CLOSE_CODES = Object.freeze({
  NORMAL: 1000,
  POLICY: 1008, // not signed in, foreign origin, bad hello, session ended
  TOO_BIG: 1009, // a frame over 64 KiB
  SERVER_STOPPING: 1012, // the server restarts: reconnect
  TRY_LATER: 1013, // too many sockets, or this page fell too far behind: reconnect later
  SUPERSEDED: 4001, // the same staff member connected elsewhere
  MOVED: 4002, // the buyer's link was opened on another page
  REVOKED: 4003, // the buyer's link was revoked
  MEDIA_LOST: 4004, // no media arrived for a while: reconnect with a new connection
  DEVICE_REFUSED: 4005, // this device may not join the buyer's call (refused, or it ended)
});

/** Close codes after which reconnecting would be wrong, and the status they report. */
export const FINAL_CLOSE_CODES = new Map([
  [CLOSE_CODES.SUPERSEDED, "superseded"],
  [CLOSE_CODES.MOVED, "moved"],
  [CLOSE_CODES.REVOKED, "revoked"],
  [CLOSE_CODES.POLICY, "refused"],
  [CLOSE_CODES.DEVICE_REFUSED, "device-refused"],
]);

/**
 * True for the refusal of a media message (offer, candidate, camera state) that the page
 * sent as its call was ending: the call is over, nothing is wrong, nobody needs to read it.
 */
export function isLateMediaRefusal(message) {
  return (
    ["invalid_state", "media_failed"].includes(message.code) &&
    ["offer", "candidate", "media"].includes(message.in_reply_to)
  );
}

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const PING_INTERVAL_MS = 25000;

export class Signaling {
  /**
   * @param {"staff"|"buyer"} as which identity the socket uses
   * @param {{onStatus?: (status: string, detail?: object) => void}} options
   */
  constructor(as, { onStatus } = {}) {
    this.as = as;
    this.onStatus = onStatus || (() => {});
    this.handlers = new Map();
    this.socket = null;
    this.ready = false; // hello sent
    this.pending = [];
    this.attempt = 0;
    this.stopped = false;
    this.retryTimer = null;
    this.pingTimer = null;
  }

  /** Register a handler for one server message type ("*" gets every message). */
  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(handler);
    return this;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws?as=${encodeURIComponent(this.as)}`;
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.retryTimer);
    this.onStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener("open", () => {
      if (socket !== this.socket) return;
      socket.send(JSON.stringify({ type: "hello", v: PROTOCOL_VERSION }));
      this.ready = true;
      this.attempt = 0;
      const queued = this.pending.splice(0);
      for (const text of queued) socket.send(text);
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.send({ type: "ping" }), PING_INTERVAL_MS);
      this.onStatus("open");
    });
    socket.addEventListener("message", (event) => {
      if (socket !== this.socket) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!message || typeof message.type !== "string") return;
      this.dispatch(message);
    });
    socket.addEventListener("close", (event) => {
      if (socket !== this.socket) return;
      this.ready = false;
      this.socket = null;
      clearInterval(this.pingTimer);
      const final = FINAL_CLOSE_CODES.get(event.code);
      if (this.stopped) {
        this.onStatus("closed", { code: event.code, reason: event.reason });
        return;
      }
      if (final) {
        this.stopped = true;
        this.onStatus(final, { code: event.code, reason: event.reason });
        return;
      }
      const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
      this.attempt += 1;
      const jittered = Math.round(delay * (0.75 + Math.random() * 0.5));
      this.onStatus("disconnected", { code: event.code, retryInMs: jittered });
      this.retryTimer = setTimeout(() => this.connect(), jittered);
    });
  }

  dispatch(message) {
    for (const handler of this.handlers.get(message.type) || []) handler(message);
    for (const handler of this.handlers.get("*") || []) handler(message);
  }

  /** Send a client message; queued until the socket is open and hello was sent. */
  send(message) {
    const text = JSON.stringify(message);
    if (this.socket && this.ready && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(text);
    } else if (message.type !== "ping") {
      this.pending.push(text);
    }
  }

  /** Close on purpose: no reconnect. */
  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.socket) this.socket.close(1000, "bye");
  }
}
