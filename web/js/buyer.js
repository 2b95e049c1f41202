// /call: the buyer's page (phone first). Consent, the camera, the waiting line, the live
// call, the end. Every word it shows comes from i18n.js.
import { ApiError, get, uploadBuyerPhoto } from "./api.js";
import { AsyncRecording, showReplies } from "./async_record.js";
import { wireAgentCamera } from "./buyer_agent_camera.js";
import { BuyerInspection } from "./buyer_inspection.js";
import { inviteLeads, onPainted as onPaintedInvite, paint as paintInvite } from "./case_invite.js";
import { CallMedia, defaultDevices } from "./callmedia.js";
import { appendChat, wireChat } from "./chat.js";
import {
  applyLanguage,
  chosenLocale,
  currentLocale,
  formatDateTime,
  formatElapsed,
  has,
  loadStrings,
  rememberLocale,
  t,
  tNodes,
  translate,
} from "./i18n.js";
import { CallQuality } from "./quality.js";
import { Signaling, isLateMediaRefusal } from "./signaling.js";
import { recordingOffer, renderSupportNotice } from "./support_notice.js";
import { $, el, showNotice, showOnly, wireNotice } from "./ui.js";

const CALL_VIDEO_MAX_WIDTH = 640; // the call video; photos keep the camera's resolution
const PHOTO_WARNING_MS = 1500; // "Hold still" shows this long before the photo is taken
const PHOTO_FLASH_MS = 2500; // the photo just taken stays on screen this long
const STATUS_MS = 4000; // a short status line (photo sent, the agent zoomed) stays this long
const SUPPORT_REFRESH_MS = 30000; // consent and waiting screens re-read who can answer
const SUPPORT_SOONEST_MS = 5000; // a queue change re-reads it, at most this often
// Ends after which reopening the link shows how the last call went instead of consent.
const showsLastCall = (reason) => !["buyer_declined", "buyer_left_queue"].includes(reason);
// What to get ready while waiting, per purpose.
const READY = {
  damage_verification: "waiting.ready.damage",
  remote_inspection: "waiting.ready.inspection",
  product_demo: "waiting.ready.demo",
};
// What happens after an answered call, per purpose (a demo decides nothing).
const AFTER = {
  damage_verification: "ended.after.damage",
  remote_inspection: "ended.after.inspection",
};

// The connection indicator's words, per state (quality.js).
const QUALITY_WORDS = {
  connecting: "quality.connecting",
  good: "quality.good",
  poor: "quality.poor",
  lost: "quality.lost",
};

const screens = [...document.querySelectorAll(".screen")];
const notice = $("notice");
const callState = $("call-state");
const supportNotice = $("support-notice");

let context = null;
let signaling = null;
let media = null;
let quality = null; // the connection's quality (quality.js), shown during the call
let shownQuality = { state: "good", whose: null };
let call = null;
let finished = false; // moved away or link invalid: ignore anything later
let joinedHere = false; // this page started or joined a call: its start screen is consent
let waitingSince = null;
let waitingTimer = null;
let unread = 0;
let lastPosition = null; // the latest position message, to repaint in another language
let repaint = () => {}; // re-renders the words of the screen on show, after a language change
let noticeWords = null; // [key, params] of the notice on show
let linkKnown = true; // the context's calls_left counts the calls made so far
let iceRefused = false; // a TURN server refused this page: no picture can reach the agent

// a remote inspection's checklist, decisions and sign-off (buyer_inspection.js)
const inspection = new BuyerInspection({
  say: (key) => say(key),
  unsay: (key) => {
    if (noticeWords && noticeWords[0] === key) {
      notice.hidden = true;
      noticeWords = null;
    }
  },
});

function show(testid) {
  showOnly(screens, $(testid));
  placeLanguageSwitch(testid);
  placeSupportNotice(testid);
  document.body.classList.toggle("in-call", testid === "live");
  if (testid !== "waiting") stopWaitingClock();
  // the buyer may always record instead of waiting for a live call
  $("record-offer").hidden = !(testid === "consent" || testid === "waiting");
  paintInvite();
}

/** Whether the invitation's button may start a call now: as "Start video call" could. */
function canJoinNow() {
  const accept = $("consent-accept");
  return !$("consent").hidden && !accept.hidden && !accept.disabled;
}

let recording = null; // the guided recording, once opened

async function recordInstead() {
  recording =
    recording ||
    new AsyncRecording({
      purpose: context.purpose,
      locale: currentLocale(),
      onError: (key) => say(key),
      done: () => show("async-done"),
    });
  const leavesLine = !$("waiting").hidden; // recording instead of waiting: leave the line
  try {
    await recording.open();
  } catch {
    say("error.unknown");
    return;
  }
  recording.opened = true;
  if (leavesLine) signaling.send({ type: "end" });
  show("async-record");
}

function say(key, params, kind = "error") {
  noticeWords = [key, params, kind];
  showNotice(notice, t(key, params), kind);
}

/** A refusal's code as catalogue text: `error.<code>`, or the general sentence for a code
 *  this page does not know. The server's own sentence is never shown. */
function sayCode(code) {
  say(code && has(`error.${code}`) ? `error.${code}` : "error.unknown");
}

/** Whether this browser can make the call at all: a page without WebRTC (an old
 *  browser, an in-app view, a WebKit built without it) says so instead of failing. */
function callsPossible() {
  return typeof RTCPeerConnection === "function";
}

/** The screen for a browser without WebRTC: the line is not joined, nothing is sent. */
function showUnsupported() {
  callState.hidden = true;
  show("call-unsupported");
  repaint = () => {};
}

/** The camera is the point of the call: a damage check, where the buyer shows the damage. */
function cameraNeeded() {
  return context.purpose === "damage_verification";
}

/** The catalogue key naming the link's purpose (the general one for a purpose it lacks). */
function purposeKey() {
  const key = `purpose.${context.purpose}`;
  return has(key) ? key : "purpose.other";
}

function invalid() {
  finished = true;
  if (media) media.end();
  callState.hidden = true;
  if (signaling) signaling.close();
  show("link-invalid");
}

// ------------------------------------------------------------------ consent

/** The consent screen: the server's versioned text (what the buyer agrees to, and what
 *  the page names in its `consent` message), with the page's own words around it. */
function renderConsent() {
  const shop = context.shop_name || t("consent.shop_fallback");
  const text = context.consent;
  document.title = t("page.title", { shop });
  $("shop-name").textContent = shop;
  $("consent-greeting").hidden = !context.buyer_name;
  $("consent-greeting").textContent = context.buyer_name ? t("consent.greeting", { name: context.buyer_name }) : "";
  $("consent-title").textContent = text ? text.title : t("problem.reload");
  $("consent-title").lang = text ? text.locale : currentLocale();
  const purpose = el("strong", { testid: "consent-purpose", text: t(purposeKey()) });
  $("consent-reason").replaceChildren(...tNodes("consent.reason", { purpose }));
  $("consent-what").replaceChildren(...(text ? text.paragraphs.map((line) => el("p", { text: line })) : []));
  $("consent-what").lang = $("consent-title").lang;
  $("camera-why").textContent = t(cameraNeeded() ? "consent.camera_why" : "consent.mic_why");
  $("consent-recorded").textContent = text && context.recorded ? text.recorded_note : t("consent.not_recorded");
  $("consent-recorded").hidden = !text;
  $("consent-accept").hidden = !text;
  $("consent-decline").hidden = !text;
  const order = el("strong", { testid: "waiting-order", text: context.order_ref });
  $("waiting-order-line").replaceChildren(...tNodes("waiting.order", { order }));
  const ready = READY[context.purpose];
  $("waiting-ready").textContent = ready ? t(ready) : "";
  $("waiting-ready").hidden = !ready;
  $("waiting-hint").textContent = t(cameraNeeded() ? "waiting.keep_open" : "waiting.keep_open_audio");
  $("waiting-hint").hidden = iceRefused; // it promises what cannot happen now
  $("live").dataset.main = cameraNeeded() ? "local" : "remote";
  renderSupport();
}

// ------------------------------------------------------------------ who can answer

/** The support notice sits under the title of the consent and the waiting screen. */
function placeSupportNotice(testid) {
  if (testid !== "consent" && testid !== "waiting") return;
  const title = $(testid).querySelector("h1");
  if (title.nextElementSibling !== supportNotice) title.after(supportNotice);
  renderSupport();
}

/** The notice from the context's `support`; while waiting, the page's own expected wait
 *  (its `position`) stands in for the newcomer's estimate. */
function renderSupport() {
  if (!context || !context.support) return;
  let support = context.support;
  if (!$("waiting").hidden && lastPosition && lastPosition.expected_wait_s !== null) {
    support = { ...support, expected_wait_s: lastPosition.expected_wait_s };
  }
  renderSupportNotice(supportNotice, support);
  // when nobody can answer soon, recording is the way forward: its button leads
  const { reason } = recordingOffer(support);
  const offer = $("record-offer");
  offer.dataset.offered = reason || "";
  recordLeads = reason !== null;
  leadButtons();
}

let recordLeads = false; // nobody can answer soon: recording is the way forward

/** One leading (primary) button per screen: the invitation's call while it can be joined,
 *  else recording when nobody can answer soon, else the call's start. */
function leadButtons() {
  const invite = inviteLeads();
  $("record-instead").classList.toggle("primary", recordLeads && !invite);
  $("consent-accept").classList.toggle("primary", !recordLeads && !invite);
}
onPaintedInvite(leadButtons);

let supportReadAt = 0;
let supportTimer = null;

/** Re-read who can answer (hours may open or close, agents come and go). */
async function refreshSupport() {
  if (finished || ($("consent").hidden && $("waiting").hidden)) return;
  supportReadAt = Date.now();
  try {
    const wanted = chosenLocale();
    const fresh = await get(`/api/buyer/context${wanted ? `?locale=${encodeURIComponent(wanted)}` : ""}`);
    if (context) context.support = fresh.support;
    renderSupport();
  } catch {
    // the next refresh tries again; the socket's own status says when the server is gone
  }
}

function refreshSupportSoon() {
  clearTimeout(supportTimer);
  supportTimer = setTimeout(refreshSupport, Math.max(0, supportReadAt + SUPPORT_SOONEST_MS - Date.now()));
}

function setConsentBusy(isBusy) {
  $("consent-accept").disabled = isBusy;
  $("consent-decline").disabled = isBusy;
  paintInvite();
}

/** Open the camera (a damage check cannot go on without it) and join the line. */
async function joinLine() {
  setConsentBusy(true);
  if (cameraNeeded()) show("camera-asking");
  const cameraError = await media.prepare(defaultDevices("buyer", context.purpose), {
    cameraRequired: cameraNeeded(),
  });
  if (cameraError) {
    setConsentBusy(false);
    showCameraNeeded(cameraError);
    return;
  }
  if (!callsPossible()) {
    media.end(); // the camera is not needed after all
    showUnsupported();
    return;
  }
  waitingSince = null;
  if (cameraNeeded()) showWaiting(null); // the line's answer follows
  sendConsent(true);
}

/** The `consent` message: the decision, and which text in which language was shown. */
function sendConsent(accept) {
  signaling.send({
    type: "consent",
    accept,
    locale: context.consent.locale,
    consent_version: context.consent.version,
    timezone: timeZone(),
  });
}

function timeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** Which browser this is, for how to allow the camera in it. */
function browserFamily() {
  const ua = navigator.userAgent;
  if (/SamsungBrowser/i.test(ua)) return "samsung";
  if (/Firefox|FxiOS/i.test(ua)) return "firefox";
  if (/CriOS|Chrome|Chromium|Edg\//i.test(ua)) return "chrome";
  if (/Safari/i.test(ua)) return "safari";
  return "other";
}

function showCameraNeeded(error) {
  const text = { denied: "camera.denied", "no-device": "camera.missing", insecure: "camera.insecure" }[error];
  const node = $("camera-needed");
  node.dataset.reason = error;
  $("camera-needed-text").textContent = t(text || "camera.failed");
  $("camera-help").textContent = error === "denied" ? t(`camera.help.${browserFamily()}`) : "";
  $("camera-help").hidden = error !== "denied";
  callState.hidden = true;
  show("camera-needed");
  repaint = () => showCameraNeeded(error);
}

$("consent-accept").addEventListener("click", joinLine);
$("camera-retry").addEventListener("click", joinLine);
$("rejoin").addEventListener("click", joinLine);
$("call-again").addEventListener("click", () => {
  setConsentBusy(false);
  show("consent");
});

$("consent-decline").addEventListener("click", () => {
  setConsentBusy(true);
  sendConsent(false);
});

$("leave-queue").addEventListener("click", () => signaling.send({ type: "end" }));

// ------------------------------------------------------------------ waiting

function showWaiting(startedAtMs) {
  if (startedAtMs) waitingSince = startedAtMs;
  if ($("waiting").hidden || !waitingTimer) {
    show("waiting");
    clearInterval(waitingTimer);
    waitingTimer = setInterval(tickWaiting, 1000);
  }
  tickWaiting();
}

/** The waiting screen's clock: how long the buyer has waited (the call's own start). */
function tickWaiting() {
  $("waiting-elapsed").textContent = waitingSince
    ? t("waiting.elapsed", { duration: formatElapsed((Date.now() - waitingSince) / 1000) })
    : t("waiting.connecting");
}

function stopWaitingClock() {
  clearInterval(waitingTimer);
  waitingTimer = null;
}

function waitWords(seconds) {
  if (seconds < 60) return t("waiting.wait_short");
  return t("waiting.wait_minutes", { count: Math.ceil(seconds / 60) });
}

function renderPosition(message) {
  lastPosition = message;
  const node = $("queue-position");
  node.dataset.position = String(message.position);
  node.dataset.agentsOnline = String(message.agents_online);
  node.dataset.agentsAvailable = String(message.agents_available);
  const position = message.position;
  // an expected wait is promised only while somebody is available to answer
  if (message.agents_online === 0 || message.expected_wait_s === null) {
    node.textContent = t("waiting.nobody", { position });
  } else if (message.agents_available === 0) {
    node.textContent = t("waiting.busy", { position });
  } else {
    node.textContent = t("waiting.expected", { position, wait: waitWords(message.expected_wait_s) });
  }
}

// ------------------------------------------------------------------ call

function agentName() {
  return (call && call.agent_name) || t("live.agent_fallback");
}

function renderCall(message) {
  if (recording && recording.opened && message.state === "ended") {
    // the buyer left the line to record instead: the recording stays on screen
    call = message;
    quality.stop();
    media.end();
    return;
  }
  const isNew = !call || call.session_id !== message.session_id;
  call = message;
  callState.hidden = false;
  callState.dataset.state = message.state;
  callState.textContent = t(`state.${message.state}`);
  repaint = () => paintCall();
  setConsentBusy(false);
  if (message.state !== "ended" && !callsPossible()) {
    showUnsupported(); // a call started in another browser, opened here
    return;
  }
  if (message.state !== "ended") media.ensure(defaultDevices("buyer", context.purpose));
  if (message.state === "live" || message.state === "reconnecting") quality.start(message.session_id);
  else quality.stop();
  if (message.state === "waiting") {
    showWaiting(message.started_at_ms);
  } else if (message.state === "live" || message.state === "reconnecting") {
    if (isNew || $("live").hidden) {
      $("chat-log").replaceChildren();
      setUnread(0);
    }
    paintLive();
    $("recording-indicator").hidden = !context.recorded;
    $("live").dataset.state = message.state;
    show("live");
    if (context.purpose === "remote_inspection") inspection.attach(message.session_id, "live");
  } else if (message.state === "ended") {
    renderEnded(message);
  }
}

/** The connection's quality on the call screen: the indicator, and while nothing gets
 *  through, whose connection it is (this phone's or the agent's). */
function showQuality(shown) {
  shownQuality = shown;
  const node = $("connection-quality");
  node.dataset.quality = shown.state;
  node.querySelector(".quality-text").textContent = t(QUALITY_WORDS[shown.state]);
  const unstable = $("connection-unstable");
  unstable.hidden = shown.state !== "lost";
  unstable.dataset.whose = shown.whose || "";
  unstable.textContent = t(shown.whose === "peer" ? "quality.unstable_agent" : "quality.unstable_own");
}

function paintLive() {
  const name = agentName();
  const strong = el("strong", { testid: "agent-name", text: name });
  $("agent-line").replaceChildren(...tNodes("live.agent", { name: strong }));
  $("live-heading").textContent = t("live.heading", { name });
}

/** The call's words again (another language): its state, the agent line, the controls. */
function paintCall() {
  if (!call) return;
  callState.textContent = t(`state.${call.state}`);
  if (call.state === "waiting") tickWaiting();
  if (lastPosition && lastPosition.session_id === call.session_id) renderPosition(lastPosition);
  if (call.state === "live" || call.state === "reconnecting") {
    paintLive();
    media.renderControls();
    setUnread(unread);
    showQuality(shownQuality);
  }
  if (call.state === "ended" && call.end_reason === "buyer_left_queue") showLeftQueue();
  if (call.state === "ended" && call.end_reason !== "buyer_declined" && call.end_reason !== "buyer_left_queue") {
    showEndedScreen(call.end_reason, null, call.answered_at_ms !== null && call.answered_at_ms !== undefined);
  }
}

function renderEnded(message) {
  media.end();
  closeEndDialog();
  // "the call will end in a moment" has come true: the ended screen says why
  if (noticeWords && noticeWords[0].startsWith("error.no_common_codec")) notice.hidden = true;
  if (message.end_reason === "buyer_declined") {
    show("declined");
    return;
  }
  // the call just made counts against the link: until the server says how many calls it
  // has left, the page offers no new one
  linkKnown = false;
  if (message.end_reason === "buyer_left_queue") showLeftQueue();
  else showEndedScreen(message.end_reason, null, message.answered_at_ms !== null && message.answered_at_ms !== undefined);
  if (context.purpose === "remote_inspection" && message.answered_at_ms) inspection.attach(message.session_id, "ended");
  if (LINK_GONE.has(message.end_reason)) {
    // a withdrawn or expired link starts no call and answers no request: nothing to ask
    context.calls_left = 0;
    linkKnown = true;
    repaint();
    return;
  }
  reloadContext().then(
    () => {
      linkKnown = true;
      repaint();
    },
    () => {},
  );
}

/** End reasons after which the link itself is no longer valid. */
const LINK_GONE = new Set(["link_revoked", "link_expired"]);

/** The buyer left the line: wait again where the link can start another call. */
function showLeftQueue() {
  const canCall = linkKnown && linkCanCall();
  const usedUp = linkKnown && !canCall;
  $("left-text").hidden = usedUp;
  $("rejoin").hidden = !canCall;
  $("left-link").textContent = usedUp ? t("ended.used_up", { shop: context.shop_name || t("consent.shop_fallback") }) : "";
  $("left-link").hidden = !usedUp;
  show("left-queue");
}

/** Whether the link can start another call: calls left and not expired. */
function linkCanCall() {
  return context.calls_left > 0 && Date.parse(context.expires_at) > Date.now();
}

/** The ended screen: why (where it is worth saying), what happens next and when, and
 *  whether this link can start another call. `answered`: an agent took the call; if not,
 *  nobody at the shop saw it and nothing follows from it. */
function showEndedScreen(reason, endedAt, answered) {
  const key = `ended.reason.${reason}`;
  const shop = context.shop_name || t("consent.shop_fallback");
  const parts = has(key) ? [t(key)] : endedAt ? [] : [t("ended.text")];
  if (endedAt) parts.push(t("ended.earlier", { when: formatDateTime(endedAt) }));
  $("call-ended-text").textContent = parts.join(" ");
  let next;
  if (!answered) next = t("ended.unanswered", { shop });
  else if (AFTER[context.purpose]) {
    next = t(AFTER[context.purpose], { shop, order: context.order_ref, count: context.follow_up_days || 2 });
  } else next = t("ended.after.demo", { shop });
  $("call-ended-next").textContent = next;
  const canCall = linkCanCall();
  // the reopened link offers a new call; just after a call, the page says how to come back
  let link = "";
  if (!linkKnown) link = "";
  else if (!canCall) link = reason === "link_expired" ? "" : t("ended.used_up", { shop });
  else if (!answered && !endedAt) link = t("ended.try_again");
  $("call-ended-link").textContent = link;
  $("call-ended-link").hidden = !link;
  $("call-again").hidden = !endedAt || !canCall;
  show("call-ended");
  if (endedAt) repaint = () => showEndedScreen(reason, endedAt, answered);
}

// ------------------------------------------------------------------ ending

const endDialog = $("end-dialog");

function closeEndDialog() {
  if (endDialog.open) endDialog.close();
}

$("end-call").addEventListener("click", () => {
  if (typeof endDialog.showModal === "function") endDialog.showModal();
  else endDialog.setAttribute("open", "");
  $("end-cancel").focus();
});
$("end-cancel").addEventListener("click", closeEndDialog);
$("end-confirm").addEventListener("click", () => {
  closeEndDialog();
  signaling.send({ type: "end" });
});

// ------------------------------------------------------------------ chat

function setUnread(count) {
  unread = count;
  const badge = $("chat-unread");
  badge.hidden = count === 0;
  badge.textContent = t("live.chat_unread", { count });
}

function chatOpen() {
  return $("chat-toggle").getAttribute("aria-expanded") === "true";
}

$("chat-toggle").addEventListener("click", () => {
  const open = !chatOpen();
  $("chat-toggle").setAttribute("aria-expanded", String(open));
  $("chat-log").hidden = !open;
  if (open) setUnread(0);
});

function onChat(message) {
  if (!call || message.session_id !== call.session_id) return;
  appendChat($("chat-log"), message, "buyer", { ownName: t("live.you") });
  if (message.from !== "buyer" && !chatOpen()) setUnread(unread + 1);
}

// ------------------------------------------------------------------ evidence photos

const timers = {};

/** Show `testid` (with `text` when given) for `ms`, then hide it. */
function flashNode(testid, ms, text) {
  const node = $(testid);
  if (text !== undefined) node.textContent = text;
  node.hidden = false;
  clearTimeout(timers[testid]);
  timers[testid] = setTimeout(() => {
    node.hidden = true;
  }, ms);
  return node;
}

function photoNotice(key, kind) {
  flashNode("photo-notice", STATUS_MS, t(key)).dataset.kind = kind;
}

function showTakenPhoto(blob) {
  const figure = $("photo-flash");
  const img = figure.querySelector("img");
  if (img.src) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(blob);
  flashNode("photo-flash", PHOTO_FLASH_MS);
}

/** The agent asked for a photo: warn, take one at the camera's full resolution, show it
 *  for a moment and upload it. */
async function takePhoto(message) {
  if (!call || message.session_id !== call.session_id) return;
  if (!media.devices.cameraOn) {
    photoNotice("photo.camera_off", "error");
    return;
  }
  flashNode("photo-warning", PHOTO_WARNING_MS + 500);
  await new Promise((resolve) => setTimeout(resolve, PHOTO_WARNING_MS));
  let photo;
  try {
    photo = await media.takePhoto();
  } catch {
    $("photo-warning").hidden = true;
    photoNotice("photo.camera_off", "error");
    return;
  }
  $("photo-warning").hidden = true;
  showTakenPhoto(photo);
  try {
    await uploadBuyerPhoto(message.session_id, photo);
    photoNotice("photo.sent", "ok");
  } catch (err) {
    const key = err instanceof ApiError && err.code ? `error.${err.code}` : "";
    photoNotice(key && has(key) ? key : "photo.failed", "error");
  }
}

// ------------------------------------------------------------------ the agent's camera requests

/** Apply the agent's torch or zoom request where this camera can, and answer it. */
async function cameraRequest(message) {
  if (!call || message.session_id !== call.session_id) return;
  const reply = { type: "camera_reply", request_id: message.request_id };
  if (message.torch !== null && message.torch !== undefined) {
    reply.result = await media.setTorch(message.torch);
    if (reply.result === "applied") {
      flashNode("camera-status", STATUS_MS, t(message.torch ? "request.torch_on" : "request.torch_off"));
    }
  } else {
    const { result, zoom } = await media.setZoom(message.zoom);
    reply.result = result;
    if (result === "applied") {
      if (zoom !== message.zoom) reply.zoom = Math.min(10, Math.max(1, zoom));
      flashNode("camera-status", STATUS_MS, t("request.zoom", { zoom }));
    }
  }
  if (reply.result !== "applied") flashNode("camera-status", STATUS_MS, t("request.cannot"));
  signaling.send(reply);
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
    const key = ended ? "device.refused.ended" : "device.refused.kept";
    $("device-refused-text").textContent = t(key);
    repaint = () => {
      $("device-refused-text").textContent = t(key);
    };
    $("device-start-again").hidden = !ended;
    show("device-refused");
  } else if (status === "revoked") {
    invalid();
  } else if (status === "refused") {
    get("/api/buyer/context").then(
      () => say("problem.reload"),
      () => invalid(),
    );
  } else if (status === "disconnected") {
    say("problem.reconnecting", {}, "info");
  } else if (status === "open") {
    if (notice.dataset.kind === "info") notice.hidden = true;
  }
}

/** Before any call of this page: consent, or how the link's last call ended. */
function showStart() {
  call = null;
  repaint = () => {};
  callState.hidden = true;
  setConsentBusy(false);
  const last = context.last_call;
  // a link that can start no more calls says so instead of asking for consent again
  const spent = last && last.state === "ended" && !linkCanCall();
  if (last && last.state === "ended" && (showsLastCall(last.end_reason) || spent) && !joinedHere) {
    showEndedScreen(last.end_reason, last.ended_at, last.answered);
    if (last.inspection && last.session_id) inspection.attach(last.session_id, "ended", true);
  } else {
    show("consent");
  }
}

function deviceWords(key, params = {}) {
  if (key === "problem.devices") {
    return params.problems
      .map(({ device, error }) =>
        t(device === "camera" ? "problem.camera_audio_only" : "problem.microphone", {
          problem: t(`device.${error}`),
        }),
      )
      .join(" ");
  }
  if (key === "problem.camera") return t("live.camera_problem", { problem: t(`device.${params.error}`) });
  return t(key, params);
}

function connect() {
  signaling = new Signaling("buyer", { onStatus });
  media = new CallMedia(signaling, {
    onProblem: (text) => showNotice(notice, text, "info"),
    onIceRefused: () => {
      iceRefused = true;
      $("waiting-hint").hidden = true;
      say("problem.turn_refused");
    },
    peerName: () => t("live.agent_voice", { name: agentName() }),
    maxSendWidth: CALL_VIDEO_MAX_WIDTH,
    words: deviceWords,
  });
  wireAgentCamera(signaling, { t, orderRef: () => context.order_ref });
  quality = new CallQuality(signaling, {
    side: "buyer",
    peerConnection: () => media.link.pc,
    onShow: showQuality,
  });
  signaling
    .on("welcome", (message) => {
      if (finished) return;
      media.socketReplaced();
      if (message.call) {
        joinedHere = true;
        renderCall(message.call);
      } else showStart();
    })
    .on("call", (message) => {
      if (finished) return;
      joinedHere = true;
      renderCall(message);
    })
    .on("position", (message) => {
      if (finished) return;
      renderPosition(message);
      renderSupport();
      refreshSupportSoon();
    })
    .on("chat", onChat)
    .on("take_photo", (message) => !finished && takePhoto(message))
    .on("inspection", (message) => inspection.changed(message))
    .on("camera_request", (message) => !finished && cameraRequest(message))
    .on("moved", () => onStatus("moved"))
    .on("no_common_codec", (message) => {
      // one browser has none of the call's video formats: talk on until the call ends
      if (finished || !call || message.session_id !== call.session_id) return;
      say(message.side === "buyer" ? "error.no_common_codec" : "error.no_common_codec_agent");
      media.showNoVideo(); // the agent's voice only
    })
    .on("device_pending", () => {
      if (finished) return;
      call = null;
      callState.hidden = true;
      show("device-pending");
    })
    .on("error", (message) => {
      setConsentBusy(false);
      if ((!call || call.state === "ended" || finished) && isLateMediaRefusal(message)) return;
      if (message.in_reply_to === "consent" && !$("waiting").hidden) {
        media.end(); // not in the line after all
        show("consent");
      }
      sayCode(message.code);
      if (message.code === "consent_outdated") reloadContext().then(() => show("consent"));
    });
  signaling.connect();
}

// ------------------------------------------------------------------ start

// ------------------------------------------------------------------ language

const languageSwitch = $("language-switch");

/** The context in the buyer's chosen language (or the link's, or the browser's: the
 *  server decides), and the page's words in the language it answered. */
async function reloadContext() {
  const wanted = chosenLocale();
  const query = wanted ? `?locale=${encodeURIComponent(wanted)}` : "";
  context = await get(`/api/buyer/context${query}`);
  await useLanguage(context.locale, context.dir);
  renderConsent();
}

async function useLanguage(code, dir) {
  await loadStrings(code);
  applyLanguage(currentLocale(), currentLocale() === code ? dir : "ltr");
  translate();
  fillLanguageSwitch();
  inspection.repaint();
  paintInvite();
  if (recording) await recording.relabel(currentLocale()).catch(() => {});
}

function fillLanguageSwitch() {
  const choices = (context && context.locales) || [];
  languageSwitch.replaceChildren(
    ...choices.map((choice) => {
      const option = el("option", { text: choice.name });
      option.value = choice.code;
      option.lang = choice.code;
      option.dir = choice.dir;
      return option;
    }),
  );
  languageSwitch.value = currentLocale();
  languageSwitch.hidden = choices.length < 2;
}

/** Another language mid-flow: the words of the screen on show change, the call goes on. */
languageSwitch.addEventListener("change", async () => {
  rememberLocale(languageSwitch.value);
  if (!context) {
    await languageWithoutContext();
    return;
  }
  try {
    await reloadContext();
  } catch {
    say("problem.unreachable");
    return;
  }
  repaint();
  if (noticeWords && !notice.hidden) say(...noticeWords);
});

/** The switch sits at the top of every screen; in the live call, in its top bar. */
function placeLanguageSwitch(testid) {
  const bar = $("language-bar");
  if (testid === "live") document.querySelector(".live-bar").append(bar);
  else if (bar.parentElement !== document.querySelector(".buyer-main")) document.querySelector(".buyer-main").prepend(bar);
}

/** Without a context (no call cookie): the browser's best language among the shipped
 *  ones (web/i18n/locales.json), or the buyer's own choice, else English. */
async function languageWithoutContext() {
  let choices = [];
  try {
    choices = await (await fetch("/static/i18n/locales.json", { credentials: "same-origin" })).json();
  } catch {
    return;
  }
  context = { locales: choices };
  const code = chosenLocale() || browserMatch(choices.map((choice) => choice.code));
  const choice = choices.find((c) => c.code === code);
  await useLanguage(code || "en", choice ? choice.dir : "ltr");
  context = null;
}

/** The first of navigator.languages that a shipped locale stands for (the server's
 *  rule: exact, then the language; Chinese by script or region). */
function browserMatch(codes) {
  const lower = new Map(codes.map((code) => [code.toLowerCase(), code]));
  for (const tag of navigator.languages || [navigator.language]) {
    const wanted = String(tag).toLowerCase();
    if (lower.has(wanted)) return lower.get(wanted);
    const [language, ...rest] = wanted.split("-");
    if (language === "zh") return rest.some((part) => ["hant", "tw", "hk", "mo"].includes(part)) ? "zh-TW" : "zh-CN";
    const family = codes.filter((code) => code.toLowerCase().split("-")[0] === language);
    if (family.length === 1) return family[0];
  }
  return null;
}

// ------------------------------------------------------------------ start

async function start() {
  try {
    await loadStrings(chosenLocale() || undefined);
  } catch {
    // without its words the page can say nothing useful; the loading screen stays
    return;
  }
  translate();
  wireNotice(notice);
  $("device-start-again").addEventListener("click", () => window.location.reload());
  $("record-instead").addEventListener("click", recordInstead);
  // the invitation's button is the consent screen's own "Start video call"
  $("case-invite-join").addEventListener("click", () => canJoinNow() && $("consent-accept").click());
  wireChat($("#chat-form"), $("chat-input"), { send: (message) => signaling.send(message) });
  try {
    await reloadContext();
    showReplies(currentLocale(), canJoinNow);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 404)) {
      await languageWithoutContext();
      invalid();
    } else {
      say("problem.unreachable");
    }
    return;
  }
  connect();
  setInterval(refreshSupport, SUPPORT_REFRESH_MS);
}

start();
