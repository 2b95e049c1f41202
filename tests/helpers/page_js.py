"""Scripts the browser tests run in the pages, the same in every engine (Chromium through
Playwright, Firefox through firefox.py): each is a function of one argument, or a script
to run before a page's own (``*_INIT_JS``)."""

from __future__ import annotations

# Before the page's scripts: keep every RTCPeerConnection the page makes in
# window.__peers, so the test can read its getStats() (the page itself is unchanged).
TRACK_PEERS_INIT_JS = """
(() => {
  const Original = window.RTCPeerConnection;
  if (typeof Original !== "function") return;
  window.__peers = [];
  window.RTCPeerConnection = class extends Original {
    constructor(...args) {
      super(...args);
      window.__peers.push(this);
    }
  };
})();
"""

# () -> from the page's peer connections that are not closed (TRACK_PEERS_INIT_JS): per
# direction and kind the packets, bytes and codecs of its RTP streams, the audio energy
# received, and the local ICE candidates ({address, type, protocol}).
RTC_STATS_JS = """
async () => {
  const out = { inbound: {}, outbound: {}, localCandidates: [] };
  for (const pc of window.__peers || []) {
    if (pc.connectionState === "closed") continue;
    const report = await pc.getStats();
    const codecs = {};
    report.forEach((s) => { if (s.type === "codec") codecs[s.id] = s.mimeType; });
    report.forEach((s) => {
      if (s.type === "inbound-rtp" || s.type === "outbound-rtp") {
        const side = s.type === "inbound-rtp" ? out.inbound : out.outbound;
        const kind = s.kind || s.mediaType;
        const was = side[kind] || { packets: 0, bytes: 0, energy: 0, codecs: [] };
        was.packets += s.packetsReceived ?? s.packetsSent ?? 0;
        was.bytes += s.bytesReceived ?? s.bytesSent ?? 0;
        was.energy += s.totalAudioEnergy ?? 0;
        if (s.codecId && codecs[s.codecId]) was.codecs.push(codecs[s.codecId]);
        side[kind] = was;
      } else if (s.type === "local-candidate") {
        const { address, candidateType: type, protocol } = s;
        out.localCandidates.push({ address, type, protocol });
      }
    });
  }
  return out;
}
"""

# (selector) -> starts measuring the loudest sample of the audio the video element
# receives, in window.__loudest (Web Audio's AnalyserNode); false while it has no audio
LISTEN_JS = """
(selector) => {
  const video = document.querySelector(selector);
  const stream = video.srcObject;
  if (!stream || !stream.getAudioTracks().length) return false;
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 2048;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  window.__loudest = 0;
  setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    for (const s of samples) window.__loudest = Math.max(window.__loudest, Math.abs(s));
  }, 20);
  return true;
}
"""
