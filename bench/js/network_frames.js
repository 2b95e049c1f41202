// The agent's console (bench/network.py): every frame the remote video presents for a
// while (B.startWatching): when it was to be shown (wall clock, ms), the time code it
// shows (null if unreadable), how old that code was (capture-to-display, ms) and its
// size. Runs after time_code.js and agent_frames.js (B.readCode) in one scope with
// B = window.__bench and REMOTE defined (see setup_time.page_script).
B.startWatching = (durationMs) => {
  const video = document.querySelector(REMOTE);
  const canvas = document.createElement("canvas");
  canvas.width = 320;
  canvas.height = 240;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const until = performance.now() + durationMs;
  const F = (B.frames = { at: [], code: [], age: [], width: [], height: [], done: false });
  const step = (now, meta) => {
    const display = meta.expectedDisplayTime + Date.now() - performance.now();
    const code = B.readCode(video, ctx);
    let age = null;
    if (code !== null) {
      const d = Math.round(display);
      age = (((d % 4294967296) - code) % 4294967296 + 4294967296) % 4294967296;
      if (age > 10000) age = null;
    }
    F.at.push(display);
    F.code.push(code);
    F.age.push(age);
    F.width.push(meta.width);
    F.height.push(meta.height);
    if (performance.now() < until) video.requestVideoFrameCallback(step);
    else F.done = true;
  };
  video.requestVideoFrameCallback(step);
};
