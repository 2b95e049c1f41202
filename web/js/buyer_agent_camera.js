// The buyer page's part of the agent's camera: the "Snapshot" button that keeps a still
// of the agent's picture (`agent-video`) on the buyer's own device as a JPEG download,
// and the buyer's words for product cards in the chat (product_card.js).
import { useCardWords } from "./product_card.js";
import { $ } from "./ui.js";

const STATUS_MS = 4000;
const JPEG_QUALITY = 0.92;

/** The current frame of `video` as a JPEG Blob at the size it arrives in (never the
 *  size it is shown at); rejects while it has no picture. */
export function videoFrame(video) {
  return new Promise((resolve, reject) => {
    if (!video || !video.videoWidth || !video.videoHeight) {
      reject(new Error("no picture yet"));
      return;
    }
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no image"))), "image/jpeg", JPEG_QUALITY);
  });
}

/** A file name for a snapshot taken at `when`: showdesk-<order>-20261202-183012.jpg. */
export function snapshotName(orderRef, when = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  const stamp =
    `${when.getFullYear()}${pad(when.getMonth() + 1)}${pad(when.getDate())}-` +
    `${pad(when.getHours())}${pad(when.getMinutes())}${pad(when.getSeconds())}`;
  const order = String(orderRef || "")
    .replace(/[^A-Za-z0-9_-]+/g, "-")
    .slice(0, 40);
  return `showdesk-${order ? `${order}-` : ""}${stamp}.jpg`;
}

/** Save `blob` on this device as `name` (a download; the page stays). */
function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Wire the snapshot button and the card words.
 * @param {import("./signaling.js").Signaling} signaling
 * @param {{t: (key: string, params?: object) => string, orderRef: () => string}} options
 */
export function wireAgentCamera(signaling, { t, orderRef }) {
  useCardWords(t);
  const button = $("snapshot");
  const video = $("agent-video");
  const status = $("snapshot-status");
  if (!button || !video) return;
  let peerCamera = false;
  let timer = null;
  const render = () => {
    button.hidden = !(peerCamera && video.videoWidth > 0);
  };
  const say = (key) => {
    status.textContent = t(key);
    status.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(() => (status.hidden = true), STATUS_MS);
  };
  signaling.on("media", (message) => {
    peerCamera = Boolean(message.camera);
    render();
  });
  signaling.on("call", (message) => {
    if (message.state === "ended" || message.state === "waiting") {
      peerCamera = false;
      render();
    }
  });
  for (const type of ["loadeddata", "resize", "emptied"]) video.addEventListener(type, render);
  button.addEventListener("click", async () => {
    try {
      download(await videoFrame(video), snapshotName(orderRef()));
      say("snapshot.saved");
    } catch {
      say("snapshot.failed");
    }
  });
  render();
  return { render };
}
