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
  // B.cameraDetail (bench/network.py): a blotchy texture drifting behind and across the
  // picture, so that the encoder needs a camera's bitrate rather than a flat card's.
  const texture = B.cameraDetail ? detailTexture(width, height) : null;
  const paint = () => {
    if (track.readyState === "ended") return;
    const now = Date.now();
    ctx.fillStyle = "rgb(128,128,128)";
    ctx.fillRect(0, 0, width, height);
    if (texture) drawDrifting(ctx, texture, width, height, B.paint.count, 1);
    CODE.bits(now).forEach((bit, i) => {
      ctx.fillStyle = bit ? "#fff" : "#000";
      ctx.fillRect(...CODE.cell(i, width, height));
    });
    if (texture) drawDrifting(ctx, texture, width, height, -B.paint.count, 0.3);
    B.paint.count += 1;
    if (B.paint.first === null) B.paint.first = now;
    B.paint.last = now;
    requestAnimationFrame(paint);
  };
  paint();
  return track;
};
function detailTexture(width, height) {
  const small = document.createElement("canvas");
  small.width = Math.ceil(width / 4);
  small.height = Math.ceil(height / 4);
  const sctx = small.getContext("2d");
  const image = sctx.createImageData(small.width, small.height);
  for (let i = 0; i < image.data.length; i += 4) {
    const v = 64 + Math.floor(Math.random() * 128);
    image.data[i] = v;
    image.data[i + 1] = (v * 7) % 256;
    image.data[i + 2] = 255 - v;
    image.data[i + 3] = 255;
  }
  sctx.putImageData(image, 0, 0);
  const big = document.createElement("canvas");
  big.width = 2 * width;
  big.height = 2 * height;
  big.getContext("2d").drawImage(small, 0, 0, 2 * width, 2 * height);
  return big;
}
function drawDrifting(ctx, texture, width, height, step, alpha) {
  const x = (((step * 3) % width) + width) % width, y = (((step * 2) % height) + height) % height;
  ctx.globalAlpha = alpha;
  ctx.drawImage(texture, x, y, width, height, 0, 0, width, height);
  ctx.globalAlpha = 1;
}
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
