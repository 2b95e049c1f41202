// The buyer's page: the camera becomes a canvas showing the time code (the size the
// page asks for, or B.cameraSize); the microphone stays Chromium's fake one.
// Runs after time_code.js in one scope with B = window.__bench (see page_script).
const size = (c, d) => (typeof c === "number" ? c : c && (c.ideal || c.exact || c.max)) || d;
B.canvasTrack = (width, height) => {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  const track = canvas.captureStream(30).getVideoTracks()[0];
  B.paint = { count: 0, first: null, last: null, width, height };
  const paint = () => {
    if (track.readyState === "ended") return;
    const now = Date.now();
    ctx.fillStyle = "rgb(128,128,128)";
    ctx.fillRect(0, 0, width, height);
    CODE.bits(now).forEach((bit, i) => {
      ctx.fillStyle = bit ? "#fff" : "#000";
      ctx.fillRect(...CODE.cell(i, width, height));
    });
    B.paint.count += 1;
    if (B.paint.first === null) B.paint.first = now;
    B.paint.last = now;
    requestAnimationFrame(paint);
  };
  paint();
  return track;
};
B.makeStream = async (constraints) => {
  const c = constraints || {};
  const tracks = [];
  if (c.audio) {
    const mic = await B.nativeGetUserMedia({ audio: c.audio });
    tracks.push(...mic.getAudioTracks());
  }
  if (c.video) {
    const v = typeof c.video === "object" ? c.video : {};
    const forced = B.cameraSize;  // --camera-size, else what the page asks for
    tracks.push(B.canvasTrack(
      forced ? forced[0] : size(v.width, 640), forced ? forced[1] : size(v.height, 480)));
  }
  return new MediaStream(tracks);
};
