// The agent's requests to the buyer's camera (torch on/off, a zoom level) and the buyer's
// answers, in one box of the console: mountCameraRequests(container, signaling) fills the
// console's <div data-testid="camera-requests">. Buttons work while the call is live.
import { t } from "./staff_i18n.js";
import { el } from "./ui.js";

const ZOOM_LEVELS = [1, 1.5, 2, 3, 4]; // times the camera's widest view (camera_request zoom)

const RESULT_WORDS = {
  not_supported: "camera.result.not_supported",
  camera_off: "camera.result.camera_off",
};

function zoomWords(zoom) {
  return t("camera.zoom", { zoom });
}

/** What the buyer's answer means, e.g. "Light on: done." or "Zoom 8×: the buyer's
 *  camera went to 4× (its most)." */
export function answerWords(answer) {
  const asked = answer.torch === null ? zoomWords(answer.zoom) : t(answer.torch ? "camera.light_on" : "camera.light_off");
  const head = asked.charAt(0).toUpperCase() + asked.slice(1);
  if (answer.result !== "applied") {
    const why = RESULT_WORDS[answer.result] ? t(RESULT_WORDS[answer.result]) : answer.result;
    return t("camera.answer.refused", { head, why });
  }
  if (answer.applied_zoom !== null && answer.applied_zoom !== undefined) {
    return t("camera.answer.went_to", { head, zoom: answer.applied_zoom });
  }
  return t("camera.answer.done", { head });
}

export function mountCameraRequests(container, signaling) {
  let live = false;
  let lightOn = false;
  const torch = el("button", { type: "button", testid: "ask-torch" });
  const level = el(
    "select",
    { testid: "ask-zoom-level", "aria-label": t("camera.zoom_level") },
    ZOOM_LEVELS.map((zoom) => el("option", { value: String(zoom), text: `${zoom}×` })),
  );
  level.value = "2";
  const zoom = el("button", { type: "button", testid: "ask-zoom", text: t("camera.ask_zoom") });
  const status = el("p", { class: "camera-request-status", testid: "camera-request-status", role: "status" });
  container.replaceChildren(
    el("span", { class: "camera-request-label", text: t("camera.label") }),
    torch,
    level,
    zoom,
    status,
  );

  function render() {
    torch.textContent = t(lightOn ? "camera.ask_light_off" : "camera.ask_light");
    for (const control of [torch, level, zoom]) control.disabled = !live;
  }

  function ask(request, words) {
    signaling.send({ type: "camera_request", ...request });
    status.textContent = t("camera.asked", { what: words });
  }

  function setCall(call) {
    const wasLive = live;
    live = !!call && call.state === "live";
    if (!call || call.state === "ended" || (live && !wasLive && status.dataset.session !== call.session_id)) {
      lightOn = false;
      status.textContent = "";
    }
    if (call) status.dataset.session = call.session_id;
    render();
  }

  torch.addEventListener("click", () => ask({ torch: !lightOn }, t(lightOn ? "camera.what_light_off" : "camera.what_light")));
  zoom.addEventListener("click", () => ask({ zoom: Number(level.value) }, zoomWords(Number(level.value))));
  signaling
    .on("welcome", (message) => setCall(message.call))
    .on("call", setCall)
    .on("camera_reply", (answer) => {
      if (answer.torch !== null && answer.result === "applied") lightOn = answer.torch;
      status.dataset.result = answer.result;
      status.textContent = answerWords(answer);
      render();
    })
    .on("error", (message) => {
      if (message.in_reply_to === "camera_request") status.textContent = message.message;
    });
  render();
}
