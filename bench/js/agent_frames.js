// The agent's console: the accept click, the first presented frame of the remote video
// (B.firstFrame), and sampling the time code from each presented frame
// (B.startSampling). Runs after time_code.js in one scope with B = window.__bench and
// REMOTE (the remote video's selector) defined (see page_script).
const wallOffset = () => Date.now() - performance.now();
window.addEventListener("click", (event) => {
  const target = event.target && event.target.closest && event.target.closest(
    '[data-testid="accept"], [data-testid="accept-next"]');
  if (!target) return;
  B.marks = {};
  B.acceptAt = performance.now();
  B.acceptWall = Date.now();
  B.firstFrame = null;
  const video = document.querySelector(REMOTE);
  video.requestVideoFrameCallback((now, meta) => {
    const off = wallOffset();
    B.firstFrame = {
      callbackAt: now - B.acceptAt,
      presentedAt: meta.presentationTime - B.acceptAt,
      displayAt: meta.expectedDisplayTime - B.acceptAt,
      receivedAt: meta.receiveTime === undefined ? null : meta.receiveTime - B.acceptAt,
      receivedWall: meta.receiveTime === undefined ? null : meta.receiveTime + off,
      width: meta.width, height: meta.height,
    };
  });
}, true);
const W = 320, H = 240;
B.readCode = (video, ctx) => {
  ctx.drawImage(video, 0, 0, W, H);
  const data = ctx.getImageData(0, 0, W, H).data;
  const bits = [];
  for (let i = 0; i < CODE.COLS * CODE.ROWS; i++) {
    const [x, y, cw, ch] = CODE.cell(i, W, H);
    const cx = Math.floor(x + cw / 2), cy = Math.floor(y + ch / 2);
    let sum = 0;
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        const o = ((cy + dy) * W + cx + dx) * 4;
        sum += data[o] + data[o + 1] + data[o + 2];
      }
    }
    bits.push(sum / 75 > 128 ? 1 : 0);
  }
  return CODE.decode(bits);
};
B.startSampling = (durationMs) => {
  const video = document.querySelector(REMOTE);
  const canvas = document.createElement("canvas");
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const until = performance.now() + durationMs;
  const S = (B.sampling = {
    samples: [], frames: 0, unreadable: 0, implausible: 0, repeated: 0, done: false,
  });
  const seen = new Set();
  const step = (now, meta) => {
    S.frames += 1;
    const off = wallOffset();
    const code = B.readCode(video, ctx);
    if (code === null) {
      S.unreadable += 1;
    } else if (seen.has(code)) {
      S.repeated += 1;
    } else {
      seen.add(code);
      const display = meta.expectedDisplayTime + off;
      const d = Math.round(display);
      const age = (((d % 4294967296) - code) % 4294967296 + 4294967296) % 4294967296;
      const painted = d - age;
      if (age > 10000) {
        S.implausible += 1;
      } else {
        S.samples.push({
          display: display - painted,
          presented: meta.presentationTime + off - painted,
          received: meta.receiveTime === undefined ? null : meta.receiveTime + off - painted,
          callback: now + off - painted,
          width: meta.width,
        });
      }
    }
    if (performance.now() < until) video.requestVideoFrameCallback(step);
    else S.done = true;
  };
  video.requestVideoFrameCallback(step);
};
