// /camera: the agent's phone as the call's camera. The code comes in the address's
// fragment (never sent to the server, so no log holds it) or is typed; the page claims
// it once (POST /api/phone-camera/claim), opens its own signaling socket (/ws?as=camera)
// and sends the rear camera, video only; the console keeps the call's sound and chat.
import { ApiError, post } from "./api.js";
import { MediaLink, cameraFeatures, openDevices } from "./media.js";
import { Signaling } from "./signaling.js";
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
};
let signaling = null;
let link = null;
let track = null;

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

function finish(state) {
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
      if (state === "connected") showStatus("live");
      if (state === "failed") finish("failed");
    },
  });
  signaling
    .on("camera_welcome", () => link.start({ videoTrack: track, videoOnly: true }))
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
