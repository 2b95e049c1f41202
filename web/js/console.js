// /console: the agent's live queue, availability, and the call view.
import { ApiError, api, get, toLogin } from "./api.js";
import { CallMedia, defaultDevices, defaultWords } from "./callmedia.js";
import { ConsoleStage } from "./console_stage.js";
import { mountCameraRequests } from "./camera_requests.js";
import { ConsoleCases } from "./console_cases.js";
import { wireProductCardForm } from "./console_product_card.js";
import { ConsoleInspection } from "./console_inspection.js";
import { ConsolePhoneCamera } from "./console_phone_camera.js";
import { appendChat, wireChat } from "./chat.js";
import { wireLinkForm } from "./linkform.js";
import { allowLanguageChange, fail, notice, say, startPage, whoamiText } from "./page.js";
import { orderBox } from "./order.js";
import { answerOffsetMs, photoTile, photoUrl } from "./photos.js";
import { PlayoutTarget, applyPlayoutTarget } from "./playout.js";
import { CallQuality } from "./quality.js";
import { loadQuickPhrases, renderQuickPhrases } from "./quick_phrases.js";
import { Signaling, isLateMediaRefusal } from "./signaling.js";
import { clockIn, languageName, t } from "./staff_i18n.js";
import { $, beep, el, formatDuration, unlockAudio } from "./ui.js";

const LONG_WAIT_S = 120; // a queue item waiting longer than this shows in the warning colour
const CALL_TAKERS = new Set(["agent", "admin"]);
const CONNECTION_WORDS = {
  connecting: "console.connection.connecting",
  open: "console.connection.open",
  reconnecting: "console.connection.reconnecting",
  disconnected: "console.connection.disconnected",
  superseded: "console.connection.superseded",
  refused: "console.connection.closed",
  closed: "console.connection.closed",
};

const MEDIA_WORDS = {
  "live.mute": "console.media.mute",
  "live.unmute": "console.media.unmute",
  "live.camera_stop": "console.media.camera_stop",
  "live.camera_start": "console.media.camera_start",
  "problem.video_failed": "console.media.video_failed",
  "problem.turn_refused": "console.media.turn_refused",
};

// The connection indicator's words: [state, whose] -> key ("peer" is the buyer).
const QUALITY_WORDS = {
  good: "console.quality.good",
  connecting: "console.quality.connecting",
  "poor:peer": "console.quality.poor_buyer",
  "poor:own": "console.quality.poor_own",
  "lost:peer": "console.quality.lost_buyer",
  "lost:own": "console.quality.lost_own",
};

/** The call controls' words in the staff language (a device's error stays English). */
function mediaWords(key, params = {}) {
  return MEDIA_WORDS[key] ? t(MEDIA_WORDS[key], params) : defaultWords(key, params);
}

/** The buyer's language in the staff language with its own name ("German (Deutsch)"):
 * the consent's language, else the link's; "Language not given" without either. */
function buyerLanguage(buyerLocale, linkLocale) {
  const code = buyerLocale || linkLocale;
  return code ? languageName(code, vocabulary.ownName(code)) : t("console.language_unknown");
}

/** "21:04 their time (Europe/Berlin)" now, or null when the time zone is unknown. */
function buyerTimeWords(zone) {
  const time = clockIn(Date.now() + clockOffsetMs, zone);
  return time === null ? null : t("console.buyer_time", { time, zone });
}

/** The buyer's local time node: hidden (empty) when the time zone is unknown; ticks. */
function showBuyerTime(node, zone) {
  node.dataset.timezone = zone || "";
  const words = zone ? buyerTimeWords(zone) : null;
  node.textContent = words || "";
  node.hidden = words === null;
}

/** A clear sentence for an `error` message from the server. */
function errorWords(message) {
  const accepting = message.in_reply_to === "accept" || message.in_reply_to === "accept_next";
  if (accepting && message.code === "conflict" && !call) {
    return t("console.error.taken");
  }
  if (message.in_reply_to === "accept_next" && message.code === "not_found") {
    return t("console.error.nobody_waiting");
  }
  if (message.in_reply_to === "accept" && message.code === "not_found") {
    return t("console.error.gone");
  }
  const text = message.message || t("page.went_wrong");
  return text[0].toUpperCase() + text.slice(1);
}

const queueView = $("#queue-view");
const newLinkPanel = $("new-link-panel");
const callView = $("call-view");
const queueList = $("queue");
const availability = $("availability");

let me = null;
let vocabulary = null; // the staff labels (vocabulary.js), once the page has started
let takesCalls = false;
let state = "away"; // available | away | busy
let items = [];
let known = new Set(); // session ids seen in the queue
let clockOffsetMs = 0; // server clock - local clock, estimated from queue messages
let call = null;
let signaling = null;
let media = null;
let stage = null; // which picture is the large one
let phoneCamera = null; // the agent's phone as the call's camera
let quality = null; // the call's connection quality (quality.js)
let shownQuality = { state: "good", whose: null };
let agentsAvailable = 0; // from the last queue message
let outcomeTarget = null; // {session_id, order_ref}: the call the outcome form is for
let orders = new Map(); // session id -> its order (queue items, welcome), for the call view
let openOrders = new Set(); // session ids whose queue item shows its order opened
let phrases = []; // the active quick phrases (GET /api/quick-phrases), loaded at start
let inspection = null; // the checklist panel of an inspection call (console_inspection.js)
const linkLocales = new Map(); // session id -> its link's locale, from the queue items seen

// ------------------------------------------------------------------ availability

function renderAvailability() {
  // data-state is what the switch says (available | away); a call shows as data-busy
  // (the agent is available again when it ends)
  availability.dataset.state = state === "away" ? "away" : "available";
  availability.dataset.busy = String(state === "busy");
  const [now, next] =
    state === "available"
      ? ["console.availability.available", "console.availability.go_away"]
      : state === "busy"
        ? ["console.availability.busy", "console.availability.after_call"]
        : ["console.availability.away", "console.availability.take_calls"];
  availability.replaceChildren(
    el("span", { class: "availability-state", text: t(now) }),
    el("span", { class: "availability-action", text: t(next) }),
  );
  availability.disabled = state === "busy";
  availability.setAttribute("aria-pressed", String(state === "available"));
  availability.title = t(next);
  renderQueue();
}

function renderHint() {
  const hint = $("queue-hint");
  if (!takesCalls) hint.textContent = t("console.hint.watch");
  else if (state === "away") hint.textContent = t("console.hint.away");
  else if (state === "busy") hint.textContent = t("console.hint.busy");
  else {
    const count = Math.max(agentsAvailable, 1); // this agent counts, whatever the last figure said
    hint.textContent = t("console.hint.available", { count });
  }
}

availability.addEventListener("click", () => {
  unlockAudio();
  askNotificationPermission();
  if (state === "busy") return;
  signaling.send({
    type: "set_availability",
    state: state === "available" ? "away" : "available",
  });
});

function askNotificationPermission() {
  try {
    if ("Notification" in window && Notification.permission === "default") {
      Notification.requestPermission().catch(() => {});
    }
  } catch {
    // notifications unavailable
  }
}

function notifyArrival(item) {
  beep();
  try {
    if ("Notification" in window && Notification.permission === "granted") {
      const note = new Notification(t("console.notify.title"), {
        body: t("console.notify.body", {
          order: item.order_ref,
          purpose: vocabulary.label("purposes", item.purpose),
        }),
        tag: "showdesk-queue",
      });
      note.addEventListener("click", () => {
        window.focus();
        note.close();
      });
    }
  } catch {
    // no desktop notification then
  }
}

// ------------------------------------------------------------------ queue

function waitedSeconds(item) {
  return (Date.now() + clockOffsetMs - item.waiting_since_ms) / 1000;
}

function renderQueue() {
  const canAccept = takesCalls && state === "available" && !call;
  const rows = items.map((item) => {
    const buyer = item.buyer_name ? ` · ${item.buyer_name}` : "";
    return el(
      "li",
      { class: "queue-item", testid: "queue-item", dataset: { sessionId: item.session_id } },
      el(
        "div",
        { class: "queue-main" },
        el("strong", { testid: "queue-order", text: item.order_ref }),
        el("span", { class: "muted", text: buyer }),
        el(
          "div",
          { class: "queue-meta" },
          el("span", {
            class: "purpose",
            testid: "queue-purpose",
            text: vocabulary.label("purposes", item.purpose),
          }),
          el("span", {
            class: "locale",
            testid: "queue-locale",
            dataset: { locale: item.buyer_locale || item.locale || "" },
            text: buyerLanguage(item.buyer_locale, item.locale),
          }),
          queueBuyerTime(item),
          el(
            "span",
            { class: "waited-label" },
            t("console.queue.waiting"),
            " ",
            el("span", {
              class: "waited",
              testid: "queue-waited",
              dataset: { since: item.waiting_since_ms, long: String(waitedSeconds(item) > LONG_WAIT_S) },
              text: formatDuration(waitedSeconds(item)),
            }),
          ),
        ),
        orderBox(item.order, {
          testid: "queue-order-details",
          open: openOrders.has(item.session_id),
          onToggle: (open) => (open ? openOrders.add(item.session_id) : openOrders.delete(item.session_id)),
        }),
      ),
      takesCalls
        ? el("button", {
            type: "button",
            class: "primary",
            testid: "accept",
            disabled: !canAccept,
            text: t("console.queue.accept"),
            onclick: () => {
              unlockAudio();
              signaling.send({ type: "accept", session_id: item.session_id });
            },
          })
        : null,
    );
  });
  queueList.replaceChildren(...rows);
  $("queue-count").textContent = String(items.length);
  $("queue-empty").hidden = items.length > 0;
  const acceptNext = $("accept-next");
  acceptNext.hidden = !takesCalls;
  acceptNext.disabled = !canAccept || items.length === 0;
  renderHint();
  const title = t("console.title");
  document.title = items.length > 0 ? `(${items.length}) ${title}` : title;
}

/** A queue item's buyer local time, or null when the buyer's time zone is unknown. */
function queueBuyerTime(item) {
  if (!item.buyer_timezone) return null;
  const node = el("span", { class: "buyer-time", testid: "buyer-local-time" });
  showBuyerTime(node, item.buyer_timezone);
  return node;
}

function onQueue(message) {
  items = message.items;
  for (const item of items) if (item.order) orders.set(item.session_id, item.order);
  const now = Date.now();
  if (items.length > 0) {
    // waiting_s is whole seconds on the server's clock: only correct a real skew
    const first = items[0];
    const estimate = first.waiting_since_ms + first.waiting_s * 1000 + 500 - now;
    if (Math.abs(estimate - clockOffsetMs) > 2000) clockOffsetMs = estimate;
  }
  for (const item of items) if (item.locale) linkLocales.set(item.session_id, item.locale);
  const arrived = items.filter((item) => !known.has(item.session_id));
  known = new Set(items.map((item) => item.session_id));
  if (takesCalls && state === "available" && arrived.length > 0) notifyArrival(arrived[0]);
  agentsAvailable = message.agents_available;
  renderQueue();
}

$("accept-next").addEventListener("click", () => {
  unlockAudio();
  signaling.send({ type: "accept_next" });
});

function tick() {
  for (const node of queueList.querySelectorAll(".waited")) {
    const since = Number(node.dataset.since);
    const waited = (Date.now() + clockOffsetMs - since) / 1000;
    node.textContent = formatDuration(waited);
    node.dataset.long = String(waited > LONG_WAIT_S);
  }
  for (const node of document.querySelectorAll('[data-testid="buyer-local-time"]')) {
    if (node.dataset.timezone) showBuyerTime(node, node.dataset.timezone);
  }
  if (call) {
    // the call's time counts from the answer (the queue is not the agent's call time)
    const from = call.answered_at_ms ?? call.started_at_ms;
    $("call-timer").textContent = formatDuration((Date.now() + clockOffsetMs - from) / 1000);
  }
}

// ------------------------------------------------------------------ connection quality

const playout = { target: new PlayoutTarget(), pc: null };

/** The buyer's video waits in the browser as long as the link's late pictures need
 *  (playout.js); a new connection starts again from the browser's own buffer. */
function keepPlayoutTarget(figures, pc, now) {
  if (pc !== playout.pc) {
    playout.pc = pc;
    playout.target.reset();
  }
  applyPlayoutTarget(pc, playout.target.add(figures, now));
}

/** The connection's quality in the call: the indicator by the call's state; while nothing
 * gets through, an overlay on the buyer's picture saying whose connection it is (the
 * frozen frame is not the buyer holding still), and the call timer marked. */
function showQuality(shown) {
  shownQuality = shown;
  const key = QUALITY_WORDS[shown.whose ? `${shown.state}:${shown.whose}` : shown.state];
  const node = $("connection-quality");
  node.dataset.quality = shown.state;
  node.dataset.whose = shown.whose || "";
  node.querySelector(".quality-text").textContent = t(key);
  const reconnecting = Boolean(call && call.state === "reconnecting");
  // nothing of the buyer's has arrived yet: say so on the black picture
  $("connecting-overlay").hidden = shown.state !== "connecting" || reconnecting;
  const lost = shown.state === "lost" && !reconnecting;
  const overlay = $("connection-unstable");
  overlay.hidden = !lost;
  overlay.dataset.whose = shown.whose || "";
  const buyers = shown.whose === "peer";
  $("connection-unstable-title").textContent = t(buyers ? "console.unstable.buyer_title" : "console.unstable.own_title");
  $("connection-unstable-text").textContent = t(buyers ? "console.unstable.buyer_text" : "console.unstable.own_text");
  const timer = $("call-timer");
  timer.dataset.unstable = String(lost);
  timer.title = lost ? t("console.call.timer_unstable") : t("console.call.timer_title");
}

// ------------------------------------------------------------------ call

function onCall(message) {
  if (message.state === "live" || message.state === "reconnecting") {
    const isNew = !call || call.session_id !== message.session_id;
    call = message;
    if (isNew) {
      $("chat-log").replaceChildren();
      resetEvidence();
      openOutcomeForm(message, "call");
    }
    $("call-order").textContent = message.order_ref;
    $("#call-order-details").replaceChildren(
      orderBox(orders.get(message.session_id) || null, { testid: "call-order-details" }) || "",
    );
    $("call-purpose").textContent = vocabulary.label("purposes", message.purpose);
    $("call-buyer").textContent = message.buyer_name || t("console.call.buyer");
    const linkLocale = linkLocales.get(message.session_id);
    const locale = $("call-locale");
    locale.textContent = buyerLanguage(message.buyer_locale, linkLocale);
    locale.dataset.locale = message.buyer_locale || linkLocale || "";
    showBuyerTime($("#call-buyer-time"), message.buyer_timezone);
    renderQuickPhrases($("quick-phrases"), phrases, message.buyer_locale, (phrase) =>
      signaling.send({ type: "phrase", session_id: message.session_id, phrase_id: phrase.id }),
    );
    allowLanguageChange(false);
    const stateNode = $("call-state");
    stateNode.dataset.state = message.state;
    stateNode.textContent = vocabulary.label("call_states", message.state);
    $("reconnecting-overlay").hidden = message.state !== "reconnecting";
    quality.start(message.session_id);
    showQuality(shownQuality);
    // every answered call is recorded (the server records each call from its answer;
    // links and settings have no way to turn it off), so a live call always says so
    const recording = $("recording-indicator");
    recording.hidden = false;
    recording.dataset.state = "on";
    callView.hidden = false;
    placeNotice(true);
    queueView.hidden = true;
    newLinkPanel.hidden = true;
    $("cases-view").hidden = true; // a live call has the screen; cases wait
    $("case-view").hidden = true;
    if (isNew) $("chat-input").focus({ preventScroll: true });
    stage.start(message);
    media.ensure(defaultDevices("agent", message.purpose));
    inspection.attach(message);
    if (message.state === "live") phoneCamera.attach(message.session_id);
  } else if (message.state === "ended") {
    if (call && call.session_id === message.session_id) {
      $("call-state").dataset.state = "ended";
      $("device-request").hidden = true;
      $("reconnecting-overlay").hidden = true;
      $("recording-indicator").dataset.state = "off";
      $("recording-indicator").hidden = true;
      call = null;
      inspection.detach();
      phoneCamera.detach();
      quality.stop();
      media.end();
      stage.end();
      allowLanguageChange(true);
      $("#call-buyer-time").dataset.timezone = "";
      callView.hidden = true;
      placeNotice(false);
      queueView.hidden = false;
      newLinkPanel.hidden = false;
      $("cases-view").hidden = false;
      const why = message.end_reason ? vocabulary.label("end_reasons", message.end_reason) : "";
      if (outcomeTarget && outcomeTarget.session_id === message.session_id) {
        openOutcomeForm(message, "wrap-up");
        $("wrap-up-reason").textContent = why ? t("console.wrap_up.reason", { why }) : t("console.wrap_up.ended");
        const saved = outcomeForm.dataset.saved;
        // an outcome saved during the call is not asked for again: the wrap-up says so
        $("wrap-up-saved-text").textContent = saved
          ? t("console.wrap_up.saved", { outcome: vocabulary.label("outcomes", saved) })
          : "";
        $("wrap-up-saved").hidden = !saved;
        $("wrap-up-ask").hidden = Boolean(saved);
        outcomeForm.hidden = Boolean(saved);
        $("wrap-up-skip").textContent = saved ? t("console.wrap_up.done") : t("console.wrap_up.skip");
        window.scrollTo({ top: 0 });
        $("#wrap-up-title").focus({ preventScroll: true });
      } else if (why && message.end_reason !== "agent_ended") {
        say(t("console.call.ended", { order: message.order_ref, why }), "info");
      }
    }
  }
  tick();
  renderQueue();
}

/** During a call the page's notice sits over the top of the chat column, where it covers
 * none of the call's controls; otherwise at the top of the page. */
const noticeHome = { parent: notice.parentElement, next: notice.nextElementSibling };
function placeNotice(inCall) {
  if (inCall) {
    const side = $("#call-side");
    if (notice.parentElement !== side) side.prepend(notice);
  } else if (notice.parentElement !== noticeHome.parent) {
    noticeHome.parent.insertBefore(notice, noticeHome.next);
  }
}

$("end-call").addEventListener("click", () => signaling.send({ type: "end" }));

// ------------------------------------------------------------------ another buyer device

function onDeviceRequest(message) {
  const mine = call && call.session_id === message.session_id;
  $("device-request").hidden = !(mine && message.pending);
}

for (const [testid, admit] of [
  ["device-admit", true],
  ["device-refuse", false],
]) {
  $(testid).addEventListener("click", () => {
    $("device-request").hidden = true;
    signaling.send({ type: "admit_device", admit });
  });
}

// ------------------------------------------------------------------ evidence photos

const captureButton = $("capture");
captureButton.addEventListener("click", () => {
  if (!call) return;
  signaling.send({ type: "capture" });
  captureButton.disabled = true; // one request at a time; the photo or an error frees it
  captureButton.textContent = t("console.photo.taking");
  clearTimeout(captureButton.timer);
  captureButton.timer = setTimeout(captureDone, 8000);
});

function captureDone() {
  clearTimeout(captureButton.timer);
  captureButton.disabled = false;
  captureButton.textContent = t("console.photo.capture");
}

function resetEvidence() {
  $("evidence-strip").replaceChildren();
  $("evidence-count").textContent = "0";
  $("evidence-empty").hidden = false;
  captureDone();
}

function onPhoto(message) {
  if (!call || message.session_id !== call.session_id) return;
  captureDone();
  const strip = $("evidence-strip");
  const photo = {
    id: message.photo_id,
    url: photoUrl(message.session_id, message.photo_id),
    t_ms: message.t_ms,
    width: message.width,
    height: message.height,
    caption: null,
  };
  const atMs = photo.t_ms - answerOffsetMs(call.started_at_ms, call.answered_at_ms);
  const item = photoTile(photo, { atMs, editable: true });
  strip.append(item);
  $("evidence-count").textContent = String(strip.children.length);
  $("evidence-empty").hidden = true;
}

// ------------------------------------------------------------------ outcome and wrap-up

const outcomeForm = $("#outcome-form");
const wrapUp = $("wrap-up");

/** Point the outcome form at `target` (a call message), in the call view or the wrap-up. */
function openOutcomeForm(target, where) {
  const isNew = !outcomeTarget || outcomeTarget.session_id !== target.session_id;
  outcomeTarget = { session_id: target.session_id, order_ref: target.order_ref };
  if (isNew) {
    // a call is offered only its purpose's outcomes: a demo's results, else return reasons
    vocabulary.fillSelect($("outcome-select"), "outcomes", target.purpose);
    outcomeForm.reset();
    delete outcomeForm.dataset.saved;
    $("outcome-status").textContent = "";
  }
  $(where === "call" ? "#outcome-in-call" : "#outcome-in-wrap-up").append(outcomeForm);
  outcomeForm.hidden = false;
  $("wrap-up-order").textContent = target.order_ref || "";
  wrapUp.hidden = where !== "wrap-up";
}

function closeWrapUp() {
  wrapUp.hidden = true;
  if (!call) {
    outcomeForm.hidden = true;
    outcomeTarget = null;
  }
}

$("wrap-up-skip").addEventListener("click", closeWrapUp);
$("wrap-up-change").addEventListener("click", () => {
  $("wrap-up-saved").hidden = true;
  outcomeForm.hidden = false;
  $("outcome-select").focus();
});

outcomeForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("outcome-status");
  if (!outcomeTarget) return;
  const outcome = $("outcome-select").value;
  if (!outcome) {
    status.textContent = t("console.outcome.choose_first");
    status.dataset.kind = "error";
    return;
  }
  const note = $("outcome-note").value.trim();
  const body = { outcome, decision: $("decision-select").value || null, note: note || null };
  const target = outcomeTarget;
  $("outcome-save").disabled = true;
  try {
    await api(`/api/sessions/${encodeURIComponent(target.session_id)}/outcome`, {
      method: "PUT",
      body,
    });
    status.textContent = t("console.outcome.saved_for", { order: target.order_ref });
    status.dataset.kind = "ok";
    outcomeForm.dataset.saved = outcome;
    if (!wrapUp.hidden && outcomeTarget === target) closeWrapUp();
    if (!call) say(t("console.outcome.saved_notice", { order: target.order_ref }), "info");
  } catch (err) {
    fail(err, status);
    status.dataset.kind = "error";
  } finally {
    $("outcome-save").disabled = false;
  }
});

// ------------------------------------------------------------------ links

wireLinkForm("new-link-");

// ------------------------------------------------------------------ socket

function onStatus(status) {
  const node = $("connection");
  node.dataset.state = status;
  node.textContent = CONNECTION_WORDS[status] ? t(CONNECTION_WORDS[status]) : status;
  if (status === "superseded") {
    say(t("console.connection.superseded_notice"));
  } else if (status === "refused") {
    get("/api/me").then(
      () => say(t("console.connection.refused_notice")),
      (err) => (err instanceof ApiError && err.status === 401 ? toLogin() : null),
    );
  }
}

function connect() {
  signaling = new Signaling("staff", { onStatus });
  stage = new ConsoleStage(document.querySelector("#call-view .videos"), $("stage-swap"));
  media = new CallMedia(signaling, {
    onProblem: (text) => say(text, "info"),
    onPictures: (shown) => stage.pictures(shown),
    onIceRefused: () => say(mediaWords("problem.turn_refused")), // an error: no call without it
    peerName: () => t("console.media.peer_camera_off"),
    words: mediaWords,
  });
  mountCameraRequests($("camera-requests"), signaling);
  inspection = new ConsoleInspection({
    takePhoto: () => media.takePhoto(),
    phone: {
      get live() {
        return Boolean(phoneCamera && phoneCamera.live);
      },
      ask: (sessionId, captureId) =>
        signaling.send({ type: "phone_camera_photo", session_id: sessionId, capture_id: captureId }),
    },
    orderOf: (sessionId) => orders.get(sessionId) || null,
    fail,
  });
  phoneCamera = new ConsolePhoneCamera({ signaling: () => signaling, media: () => media, fail });
  quality = new CallQuality(signaling, {
    side: "agent",
    peerConnection: () => media.link.pc,
    onShow: showQuality,
    onFigures: keepPlayoutTarget,
  });
  signaling
    .on("welcome", (message) => {
      media.socketReplaced();
      if (message.name) $("whoami").textContent = whoamiText(message.name, message.role);
      if (message.availability) state = message.availability;
      if (message.call && message.order) orders.set(message.call.session_id, message.order);
      renderAvailability();
      if (message.call) onCall(message.call);
    })
    .on("queue", onQueue)
    .on("availability", (message) => {
      state = message.state;
      renderAvailability();
    })
    .on("call", onCall)
    .on("chat", (message) => {
      if (call && message.session_id === call.session_id) {
        const log = $("chat-log");
        appendChat(log, message, "agent");
        if (message.phrase_id) log.lastElementChild.dataset.phraseId = message.phrase_id;
      }
    })
    .on("photo", onPhoto)
    .on("inspection", (message) => inspection.changed(message))
    .on("phone_camera", (message) => phoneCamera.changed(message))
    .on("phone_camera_photo_failed", (message) => inspection.phoneFailed(message))
    .on("device_request", onDeviceRequest)
    .on("no_common_codec", (message) => {
      // one browser has none of the call's video formats: talk on until the call ends
      if (!call || message.session_id !== call.session_id) return;
      say(t(message.side === "agent" ? "console.codec.own" : "console.codec.buyer"));
      media.showNoVideo(t("console.media.no_video"));
    })
    .on("error", (message) => {
      if (message.in_reply_to === "capture") captureDone();
      if (message.in_reply_to === "phone_camera_photo") {
        inspection.phoneRefused();
        return;
      }
      if (!call && isLateMediaRefusal(message)) return;
      say(errorWords(message));
    });
  signaling.connect();
}

// ------------------------------------------------------------------ start

async function start() {
  const started = await startPage({ beforeSignOut: () => signaling && signaling.close() });
  if (!started) return;
  ({ me, vocabulary } = started);
  takesCalls = CALL_TAKERS.has(me.role);
  availability.hidden = !takesCalls;
  renderAvailability();
  wireChat($("#chat-form"), $("chat-input"), signalingProxy);
  wireProductCardForm(signalingProxy);
  phrases = await loadQuickPhrases().catch((err) => {
    fail(err);
    return [];
  });
  new ConsoleCases({ vocabulary, phrases, fail }).start();
  connect();
  setInterval(tick, 1000);
}

// the chat form sends through the current socket
const signalingProxy = { send: (message) => signaling && signaling.send(message) };

start();
