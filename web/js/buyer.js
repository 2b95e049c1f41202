// /call: the buyer's page (phone first). Consent, waiting line, live call, the end.
import { ApiError, get, uploadBuyerPhoto } from "./api.js";
import { CallMedia, defaultDevices } from "./callmedia.js";
import { appendChat, wireChat } from "./chat.js";
import { Signaling, isLateMediaRefusal } from "./signaling.js";
import { $, showNotice, showOnly, wireNotice } from "./ui.js";

// The buyer's own words, not the staff labels of /api/vocabulary: the buyer page will get
// its own translated catalogue.
const PURPOSE_WORDS = {
  damage_verification: "check damage",
  remote_inspection: "inspect goods before shipping",
  product_demo: "product demonstration",
};
const STATE_WORDS = {
  waiting: "Waiting",
  live: "Live",
  reconnecting: "Reconnecting…",
  ended: "Ended",
};

function purposeWords(purpose) {
  return PURPOSE_WORDS[purpose] || String(purpose || "").replaceAll("_", " ");
}

const CALL_VIDEO_MAX_WIDTH = 640; // the call video; photos keep the camera's resolution
const screens = [...document.querySelectorAll(".screen")];
const notice = $("notice");
const callState = $("call-state");

let context = null;
let locale;
let signaling = null;
let media = null;
let call = null;
let finished = false; // moved away or link invalid: ignore anything later

function show(testid) {
  showOnly(screens, $(testid));
}

function number(value) {
  try {
    return new Intl.NumberFormat(locale).format(value);
  } catch {
    return String(value);
  }
}

function waitWords(seconds) {
  if (seconds < 60) return "less than a minute";
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? "about 1 minute" : `about ${number(minutes)} minutes`;
}

function invalid() {
  finished = true;
  if (media) media.end();
  callState.hidden = true;
  if (signaling) signaling.close();
  show("link-invalid");
}

// ------------------------------------------------------------------ consent

function renderConsent() {
  const shop = context.shop_name || "The shop";
  const greeting = context.buyer_name ? `Hello ${context.buyer_name}, ` : "";
  $("shop-name").textContent = shop;
  $("consent-title").textContent =
    `${greeting}${shop} would like to see the problem with your order ${context.order_ref}`;
  $("consent-purpose").textContent = purposeWords(context.purpose);
  $("consent-recorded").textContent = context.recorded
    ? "This video call is recorded so that the shop can decide on your case."
    : "This video call is not recorded.";
  $("waiting-order").textContent = context.order_ref;
}

function setConsentBusy(isBusy) {
  $("consent-accept").disabled = isBusy;
  $("consent-decline").disabled = isBusy;
}

$("consent-accept").addEventListener("click", async () => {
  setConsentBusy(true);
  await media.prepare(defaultDevices("buyer", context.purpose)); // only after consent
  signaling.send({ type: "consent", accept: true });
});

$("consent-decline").addEventListener("click", () => {
  setConsentBusy(true);
  signaling.send({ type: "consent", accept: false });
});

$("leave-queue").addEventListener("click", () => signaling.send({ type: "end" }));

$("rejoin").addEventListener("click", async () => {
  await media.prepare(defaultDevices("buyer", context.purpose));
  signaling.send({ type: "consent", accept: true });
});

// ------------------------------------------------------------------ call

function renderCall(message) {
  const isNew = !call || call.session_id !== message.session_id;
  call = message;
  callState.hidden = false;
  callState.dataset.state = message.state;
  callState.textContent = STATE_WORDS[message.state] || message.state;
  setConsentBusy(false);
  if (message.state !== "ended") media.ensure(defaultDevices("buyer", context.purpose));
  if (message.state === "waiting") {
    show("waiting");
  } else if (message.state === "live" || message.state === "reconnecting") {
    if (isNew || $("live").hidden) $("chat-log").replaceChildren();
    $("agent-name").textContent = message.agent_name || "an agent";
    show("live");
  } else if (message.state === "ended") {
    renderEnded(message);
  }
}

function renderEnded(message) {
  media.end();
  if (message.end_reason === "buyer_declined") {
    show("declined");
  } else if (message.end_reason === "buyer_left_queue") {
    show("left-queue");
  } else {
    const text = {
      link_revoked: "The call was ended because this link is no longer valid.",
      buyer_lost: "The connection was lost for too long, so the call ended.",
      agent_lost: "The agent's connection was lost, so the call ended. Sorry about that.",
      server_shutdown: "The call ended because the service is restarting. Please try again soon.",
      server_restart: "The call ended because the service is restarting. Please try again soon.",
      queue_timeout:
        "Nobody could answer in time, sorry. The shop has your request; you can try again later through the same link.",
      link_expired: "This link expired while you were waiting. Please ask the shop for a new link.",
    }[message.end_reason];
    $("call-ended-text").textContent =
      text || "The call has ended. The shop will get back to you about your order.";
    show("call-ended");
  }
}

function renderPosition(message) {
  const node = $("queue-position");
  node.dataset.position = String(message.position);
  const place = `You are number ${number(message.position)} in line.`;
  if (message.expected_wait_s === null || message.agents_online === 0) {
    node.dataset.agentsOnline = "0";
    node.textContent =
      `${place} No agent is online right now. You can keep this page open and wait, ` +
      "or come back later through the same link.";
  } else {
    node.dataset.agentsOnline = String(message.agents_online);
    node.textContent = `${place} Expected wait: ${waitWords(message.expected_wait_s)}.`;
  }
}

$("end-call").addEventListener("click", () => signaling.send({ type: "end" }));

// ------------------------------------------------------------------ evidence photos

let photoNoticeTimer = null;

function photoNotice(text, kind) {
  const node = $("photo-notice");
  node.textContent = text;
  node.dataset.kind = kind;
  node.hidden = false;
  clearTimeout(photoNoticeTimer);
  photoNoticeTimer = setTimeout(() => {
    node.hidden = true;
  }, 4000);
}

/** The agent asked for a photo: take one at the camera's full resolution and upload it. */
async function takePhoto(message) {
  if (!call || message.session_id !== call.session_id) return;
  let photo;
  try {
    photo = await media.takePhoto();
  } catch {
    photoNotice("The agent asked for a photo, but your camera is off.", "error");
    return;
  }
  try {
    await uploadBuyerPhoto(message.session_id, photo);
    photoNotice("Photo taken and sent to the agent.", "ok");
  } catch {
    photoNotice("The photo could not be sent. The agent can ask again.", "error");
  }
}

// ------------------------------------------------------------------ socket

function onStatus(status, detail = {}) {
  if (finished) return;
  if (status === "moved") {
    finished = true;
    media.end();
    show("call-moved");
  } else if (status === "device-refused") {
    finished = true;
    media.end();
    const ended = detail.reason === "the call ended";
    $("device-refused-text").textContent = ended
      ? "The call on your other device has ended. You can start a new call here."
      : "The agent kept the call on the device you started it on.";
    $("device-start-again").hidden = !ended;
    show("device-refused");
  } else if (status === "revoked") {
    invalid();
  } else if (status === "refused") {
    get("/api/buyer/context").then(
      () => showNotice(notice, "We could not connect you. Please reload the page."),
      () => invalid(),
    );
  } else if (status === "disconnected") {
    showNotice(notice, "Connection lost. Reconnecting…", "info");
  } else if (status === "open") {
    if (notice.dataset.kind === "info") notice.hidden = true;
  }
}

function connect() {
  signaling = new Signaling("buyer", { onStatus });
  media = new CallMedia(signaling, {
    onProblem: (text) => showNotice(notice, text, "info"),
    peerName: () => (call && call.agent_name) || "The agent",
    maxSendWidth: CALL_VIDEO_MAX_WIDTH,
  });
  signaling
    .on("welcome", (message) => {
      if (finished) return;
      media.socketReplaced();
      if (message.call) renderCall(message.call);
      else {
        call = null;
        callState.hidden = true;
        setConsentBusy(false);
        show("consent");
      }
    })
    .on("call", (message) => !finished && renderCall(message))
    .on("position", (message) => !finished && renderPosition(message))
    .on("chat", (message) => {
      if (call && message.session_id === call.session_id) {
        appendChat($("chat-log"), message, "buyer");
      }
    })
    .on("take_photo", (message) => !finished && takePhoto(message))
    .on("moved", () => onStatus("moved"))
    .on("device_pending", () => {
      if (finished) return;
      call = null;
      callState.hidden = true;
      show("device-pending");
    })
    .on("error", (message) => {
      setConsentBusy(false);
      if ((!call || call.state === "ended" || finished) && isLateMediaRefusal(message)) return;
      showNotice(notice, BUYER_ERRORS[message.code] || message.message);
    });
  signaling.connect();
}

// Refusals a buyer can meet, in the buyer's words (the server's text is for developers).
const BUYER_ERRORS = {
  link_used_up: "This link cannot start another call. Please ask the shop for a new link.",
  link_expired: "This link has expired. Please ask the shop for a new link.",
  rate_limited: "Please wait a minute before you try again.",
  queue_full: "All agents are very busy right now. Please try again in a few minutes.",
};

// ------------------------------------------------------------------ start

wireNotice(notice);
$("device-start-again").addEventListener("click", () => window.location.reload());
wireChat($("#chat-form"), $("chat-input"), { send: (message) => signaling.send(message) });

async function start() {
  try {
    context = await get("/api/buyer/context");
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 404)) {
      invalid();
    } else {
      showNotice(notice, "We cannot reach the shop right now. Please try again in a moment.");
    }
    return;
  }
  locale = context.locale || undefined;
  if (locale) document.documentElement.dataset.locale = locale;
  renderConsent();
  connect();
}

start();
