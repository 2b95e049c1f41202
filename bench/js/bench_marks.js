// Both pages (bench/setup_time.py): window.__bench with the timestamps of the media
// set-up steps (Date.now(), wall clock) and the page's peer connections, so that
// getStats can be read. Nothing the page does changes.
(() => {
  const B = (window.__bench = { marks: {}, pcs: [] });
  B.mark = (name) => { if (!(name in B.marks)) B.marks[name] = Date.now(); };
  const Native = window.RTCPeerConnection;
  if (Native) {
    class BenchPeerConnection extends Native {
      constructor(...args) {
        super(...args);
        B.pcs.push(this);
        B.mark("pc_created");
        this.addEventListener("iceconnectionstatechange", () => {
          const s = this.iceConnectionState;
          if (s === "connected" || s === "completed") B.mark("ice_connected");
        });
        this.addEventListener("connectionstatechange", () => {
          if (this.connectionState === "connected") B.mark("pc_connected");
        });
      }
      async setLocalDescription(...args) {
        const result = await super.setLocalDescription(...args);
        B.mark("offer_sent");
        return result;
      }
      async setRemoteDescription(...args) {
        B.mark("answer_received");
        return super.setRemoteDescription(...args);
      }
    }
    window.RTCPeerConnection = BenchPeerConnection;
  }
  const md = navigator.mediaDevices;
  if (md && md.getUserMedia) {
    const native = md.getUserMedia.bind(md);
    B.nativeGetUserMedia = native;
    md.getUserMedia = async (constraints) => {
      B.mark("gum_called");
      const stream = await (B.makeStream ? B.makeStream(constraints) : native(constraints));
      B.mark("gum_done");
      return stream;
    };
  }
  B.stats = async () => {
    const pc = B.pcs[B.pcs.length - 1];
    if (!pc) return [];
    const report = await pc.getStats();
    const out = [];
    report.forEach((s) => {
      if (["inbound-rtp", "outbound-rtp", "candidate-pair"].includes(s.type)) out.push(s);
    });
    return out;
  };
})();
