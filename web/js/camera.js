// /camera: the agent's phone as the call's camera. The code comes in the address's
// fragment (never sent to the server, so no log holds it) or is typed; the page claims
// it once (POST /api/phone-camera/claim), opens its own signaling socket (/ws?as=camera)
// and sends the rear camera, video only; the console keeps the call's sound and chat.
// In an inspection the agent's "Take photo" reaches the phone (`camera_take_photo`): it
// takes one at the camera's full resolution and uploads it with the photo key its
// socket got in `camera_welcome` (a header, never the URL), or says it could not.
import { ApiError, api, post } from "./api.js";
import { MediaLink, cameraFeatures, openDevices } from "./media.js";
import { Signaling } from "./signaling.js";
import { takeStill } from "./still.js";
import { loadStaffStrings, rememberedStaffLocale, t, translatePage } from "./staff_i18n.js";
import { $ } from "./ui.js";

const form = $("#camera-code-form");
const error = $("camera-error");
const live = $("camera-live");
const status = $("camera-status");
const preview = $("camera-preview");
const torch = $("torch");
const STATUS_WORDS = {
  connecting: "camera.status.connecting",
  live: "camera.status.live",
  ended: "camera.status.ended",
  stopped: "camera.status.stopped",
  failed: "camera.status.failed",
  denied: "camera.status.denied",
  no_camera: "camera.status.no_camera",
  photo: "camera.status.photo",
  photo_sent: "camera.status.photo_sent",
  photo_failed: "camera.status.photo_failed",
};
const PHOTO_NOTE_MS = 2500; // how long "Photo sent" (or its failure) shows before "live"
let signaling = null;
let link = null;
let track = null;
let photoKey = null; // this socket's credential for the agent's photos
let streaming = false; // the phone's picture reaches the server
let noteTimer = null;

function showStatus(state) {
  status.dataset.state = state;
  status.textContent = t(STATUS_WORDS[state]);
}

function showForm(message) {
  form.hidden = false;
  live.hidden = true;
  error.hidden = !message;
  error.textContent = message || "";
}

/** The torch button, where this camera has a torch; its label says what a press does. */
function renderTorch() {
  const on = Boolean(track && track.getSettings().torch === true);
  torch.hidden = !cameraFeatures(track).torch;
  torch.textContent = t(on ? "camera.torch_off" : "camera.torch_on");
}

function stopCamera() {
  if (link) link.close();
  if (track) track.stop();
  track = null;
  preview.srcObject = null;
  torch.hidden = true;
}

/** "live" again after a photo's note, unless something else has been said since. */
function noteThenLive(state) {
  showStatus(state);
  clearTimeout(noteTimer);
  noteTimer = setTimeout(() => {
    if (status.dataset.state === state && signaling) showStatus(streaming ? "live" : "connecting");
  }, PHOTO_NOTE_MS);
}

/** The agent asked for a photo of an inspection item (`camera_take_photo`). */
async function takePhoto(message) {
  const socket = signaling;
  clearTimeout(noteTimer);
  showStatus("photo");
  const failed = (problem) => {
    if (socket !== signaling) return; // the page's part ended meanwhile
    socket.send({ type: "camera_photo_failed", capture_id: message.capture_id, problem });
    noteThenLive("photo_failed");
  };
  let photo;
  try {
    photo = await takeStill(track);
  } catch {
    failed("camera_off");
    return;
  }
  try {
    await api(`/api/phone-camera/photos?capture_id=${encodeURIComponent(message.capture_id)}`, {
      method: "POST",
      file: photo.type ? photo : new Blob([photo], { type: "image/jpeg" }),
      headers: { "X-Camera-Photo-Key": photoKey || "" },
    });
  } catch {
    failed("upload_failed");
    return;
  }
  if (socket === signaling) noteThenLive("photo_sent");
}

function finish(state) {
  clearTimeout(noteTimer);
  photoKey = null;
  streaming = false;
  if (signaling) {
    const socket = signaling;
    signaling = null;
    socket.close();
  }
  stopCamera();
  showStatus(state);
  preview.hidden = true;
  $("camera-stop").hidden = true;
}

async function claim(code) {
  error.hidden = true;
  try {
    await post("/api/phone-camera/claim", { code });
  } catch (err) {
    const refused = err instanceof ApiError && err.status === 404;
    showForm(refused ? t("camera.refused") : err.message || t("camera.went_wrong"));
    return;
  }
  form.hidden = true;
  live.hidden = false;
  $("camera-stop").hidden = false;
  showStatus("connecting");
  const opened = await openDevices({ camera: "environment", microphone: false });
  if (!opened.stream) {
    showStatus(opened.error === "denied" ? "denied" : "no_camera");
    return;
  }
  [track] = opened.stream.getVideoTracks();
  preview.hidden = false;
  preview.srcObject = opened.stream;
  renderTorch();
  const socket = new Signaling("camera", {
    onStatus: (state) => {
      // the pass was good for one socket: a dropped one ends this page's part
      if (socket !== signaling) return;
      if (["disconnected", "refused", "closed"].includes(state)) finish("ended");
    },
  });
  signaling = socket;
  link = new MediaLink(signaling, {
    onState: (state) => {
      if (state === "connected") {
        streaming = true;
        showStatus("live");
      }
      if (state === "failed") finish("failed");
    },
  });
  signaling
    .on("camera_welcome", (message) => {
      photoKey = message.photo_key;
      link.start({ videoTrack: track, videoOnly: true });
    })
    .on("camera_take_photo", (message) => takePhoto(message))
    .on("error", (message) => {
      if (message.code === "call_ended") finish("ended");
    });
  signaling.connect();
}

async function start() {
  await loadStaffStrings(rememberedStaffLocale()).catch(() => null);
  translatePage();
  torch.addEventListener("click", async () => {
    if (!track) return;
    const on = track.getSettings().torch === true;
    try {
      await track.applyConstraints({ advanced: [{ torch: !on }] });
    } catch {
      // this camera refused: the light stays as it is
    }
    renderTorch();
  });
  $("camera-stop").addEventListener("click", () => finish("stopped"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = form.elements.code.value.trim();
    if (code) claim(code);
  });
  const code = decodeURIComponent(location.hash.slice(1));
  if (code) {
    history.replaceState(null, "", location.pathname); // the code leaves the address bar
    claim(code);
  } else {
    showForm("");
  }
}

start();
