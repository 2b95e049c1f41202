// /review: supervisors find calls (filters, counts per outcome, pages), watch the
// recording with a timeline of the call's events, see the photos, the chat and the
// verdict, and confirm or override it; the buyer's consent (review_consent.js). Recorded
// cases are listed under the calls and open on one timeline (review_case.js) with the
// same verdict controls; a call of a case's link links to its case and back. Times are
// in the supervisor's time zone (staff_i18n.js). The call's QA score and its comments
// at the video's times are review_qa.js's.
import { get, post } from "./api.js";
import { chatLine } from "./chat.js";
import { orderBox } from "./order.js";
import { AgentPicture } from "./review_agent_video.js";
import { fail, notice, say, startPage } from "./page.js";
import { answerOffsetMs, photoTile } from "./photos.js";
import { caseRows, clearCase, renderCase } from "./review_case.js";
import { buyerCopy, renderConsent, renderStart } from "./review_consent.js";
import { renderInspection } from "./review_inspection.js";
import { addLinkedFilters, takeLinkedFilters } from "./review_link.js";
import { renderPinTime, renderQa } from "./review_qa.js";
import { formatStaffDateTime as formatDateTime, t } from "./staff_i18n.js";
import { $, el, formatDuration } from "./ui.js";

// stored event kinds -> timeline marker kinds (others are not shown). Photos are marked
// from the photos themselves (their t_ms), so a photo has one time everywhere; verdicts
// are moments of the video only when the agent set one during the call; a supervisor's
// confirm or override, or a verdict set after the end, is in the outcome's history.
const MARKER_KINDS = {
  answered: "joined",
  reconnecting: "reconnect",
  resumed: "reconnect",
  chat: "chat",
  ended: "ended",
};
const MARKER_WORDS = {
  joined: "review.mark.joined",
  reconnect: "review.mark.reconnect",
  photo: "review.mark.photo",
  chat: "review.mark.chat",
  outcome: "review.mark.outcome",
  ended: "review.mark.ended",
};
const PER_PAGE = 25;
const POLL_MS = 2000;

const video = $("review-video");
const agentPicture = new AgentPicture(video);
let vocabulary = null; // the staff labels (vocabulary.js), once the page has started
let me = null; // the signed-in supervisor or admin (GET /api/me)
let page = 1;
let total = 0;
let current = null; // the open call's (or case's) detail
let currentKind = "call"; // what `current` is: "call" or "case"
const verdictPanel = $("#verdict-panel"); // a call's verdict controls, also a case's
const verdictHome = verdictPanel.parentElement;
let pollTimer = null;
const agents = new Map(); // id -> name, from the calls seen

const UNTAGGED = "untagged"; // the count of answered, ended calls without an outcome
const NOT_REACHED = "not_reached"; // the count of calls that ended before an agent answered
const STATUS_FILTERS = { [UNTAGGED]: "filter-untagged", [NOT_REACHED]: "filter-not-reached" };

const outcomeWords = (code) =>
  code === UNTAGGED
    ? t("review.untagged")
    : code === NOT_REACHED
      ? t("review.not_reached")
      : vocabulary.label("outcomes", code);
const decisionWords = (code) => vocabulary.label("decisions", code);
const REVIEW_STATES = { confirmed: "review.state.confirmed", overridden: "review.state.overridden" };
const reviewStateWords = (state) => (REVIEW_STATES[state] ? t(REVIEW_STATES[state]) : state || "");
const purposeWords = (code) => vocabulary.label("purposes", code);

// ------------------------------------------------------------------ the list

function filters() {
  const params = new URLSearchParams();
  const add = (name, value) => value && params.set(name, value);
  add("outcome", $("filter-outcome").value);
  add("decision", $("filter-decision").value);
  add("purpose", $("filter-purpose").value);
  add("agent_id", $("filter-agent").value);
  add("order_ref", $("filter-order").value.trim());
  add("sku", $("filter-sku").value.trim());
  add("carrier", $("filter-carrier").value.trim());
  add("channel", $("filter-channel").value.trim());
  add("buyer_country", $("filter-country").value.trim());
  const since = $("filter-since").value;
  const until = $("filter-until").value;
  if (since) params.set("since", new Date(`${since}T00:00:00`).toISOString());
  if (until) {
    const end = new Date(`${until}T00:00:00`);
    end.setDate(end.getDate() + 1); // the whole "to" day
    params.set("until", end.toISOString());
  }
  if ($("filter-untagged").checked) params.set("untagged", "true");
  if ($("filter-not-reached").checked) params.set("not_reached", "true");
  addLinkedFilters(params);
  return params;
}

async function loadCases() {
  let data;
  try {
    data = await get("/api/cases");
  } catch (err) {
    return fail(err);
  }
  const rows = caseRows(data.cases, { vocabulary, reviewStateWords, onOpen: openCase });
  $("case-rows").replaceChildren(...rows);
  $("cases-empty").hidden = rows.length > 0;
}

async function loadList() {
  const params = filters();
  params.set("page", String(page));
  params.set("per_page", String(PER_PAGE));
  let data;
  try {
    data = await get(`/api/sessions?${params}`);
  } catch (err) {
    return fail(err);
  }
  total = data.total;
  for (const item of data.items) if (item.agent_id) agents.set(item.agent_id, item.agent_name);
  renderAgents();
  renderCounts(data.counts);
  const rows = data.items.map(sessionRow);
  $("session-rows").replaceChildren(...rows);
  $("sessions-empty").hidden = rows.length > 0;
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));
  $("page-info").textContent = t("review.list.page", { page, pages, count: total });
  $("page-prev").disabled = page <= 1;
  $("page-next").disabled = page >= pages;
  return data;
}

/** One call in the list. The order is a real button (Tab reaches it, Enter and Space open
 * the call); a click anywhere on the row opens it too. */
function sessionRow(item) {
  const open = () => openSession(item.id);
  const started = formatDateTime(item.created_at);
  return el(
    "tr",
    {
      class: "session-row",
      testid: "session-row",
      dataset: { sessionId: item.id, outcome: item.outcome || "" },
      onclick: (event) => {
        if (!event.target.closest("button, a")) open();
      },
    },
    el("td", { text: started }),
    el(
      "td",
      { testid: "session-row-order" },
      el("button", {
        type: "button",
        class: "row-open",
        testid: "session-row-open",
        "aria-label": t("review.list.open", { order: item.order_ref, started }),
        text: item.order_ref,
        onclick: open,
      }),
    ),
    el("td", { text: purposeWords(item.purpose) }),
    el("td", { text: item.agent_name || "–" }),
    el("td", { text: item.duration_s === null ? "–" : formatDuration(item.duration_s) }),
    el("td", {
      testid: "session-row-outcome",
      class: item.outcome ? "" : "muted",
      dataset: { status: rowStatus(item) },
      text: item.outcome
        ? outcomeWords(item.outcome)
        : item.state !== "ended"
          ? vocabulary.label("call_states", item.state)
          : item.answered_at
            ? outcomeWords(UNTAGGED)
            : t("review.list.not_reached", { why: vocabulary.label("end_reasons", item.end_reason) }),
    }),
    el("td", { testid: "session-row-decision", text: decisionWords(item.decision) }),
    el("td", { text: reviewStateWords(item.review_state) }),
  );
}

/** tagged | untagged | not_reached | the call's state while it is not ended */
function rowStatus(item) {
  if (item.outcome) return "tagged";
  if (item.state !== "ended") return item.state;
  return item.answered_at ? UNTAGGED : NOT_REACHED;
}

function renderAgents() {
  const select = $("filter-agent");
  const chosen = select.value;
  const options = [...agents.entries()]
    .sort((a, b) => String(a[1]).localeCompare(String(b[1])))
    .map(([id, name]) => el("option", { value: id, text: name || t("review.agent_id", { id }) }));
  select.replaceChildren(el("option", { value: "", text: t("review.filter.any") }), ...options);
  select.value = chosen;
}

function renderCounts(counts) {
  const status = Object.keys(STATUS_FILTERS).find((key) => $(STATUS_FILTERS[key]).checked);
  const chosen = $("filter-outcome").value || status || "";
  const chips = Object.entries(counts).map(([outcome, n]) =>
    el(
      "li",
      {},
      el("button", {
        type: "button",
        class: outcome === chosen ? "chip chosen" : "chip",
        testid: "outcome-count",
        dataset: { outcome, count: n },
        "aria-pressed": String(outcome === chosen),
        text: `${outcomeWords(outcome)} ${n}`,
        onclick: () => {
          const off = outcome === chosen;
          const isStatus = outcome in STATUS_FILTERS;
          $("filter-outcome").value = off || isStatus ? "" : outcome;
          for (const [key, id] of Object.entries(STATUS_FILTERS)) {
            $(id).checked = !off && outcome === key;
          }
          page = 1;
          loadList();
        },
      }),
    ),
  );
  $("outcome-counts").replaceChildren(...chips);
}

$("#filters").addEventListener("submit", (event) => {
  event.preventDefault();
  page = 1;
  loadList();
});
const FILTER_IDS = ["filter-outcome", "filter-decision", "filter-purpose", "filter-agent", "filter-since", "filter-until", "filter-untagged", "filter-not-reached"];
for (const id of FILTER_IDS) {
  $(id).addEventListener("change", () => {
    // an outcome, "untagged" and "never reached" exclude each other
    const exclusive = ["filter-outcome", ...Object.values(STATUS_FILTERS)];
    if (exclusive.includes(id) && ($(id).value && $(id).type !== "checkbox" || $(id).checked)) {
      for (const other of exclusive) {
        if (other === id) continue;
        if (other === "filter-outcome") $(other).value = "";
        else $(other).checked = false;
      }
    }
    page = 1;
    loadList();
  });
}
let orderTimer = null;
$("filter-order").addEventListener("input", () => {
  clearTimeout(orderTimer);
  orderTimer = setTimeout(() => {
    page = 1;
    loadList();
  }, 300);
});
$("page-prev").addEventListener("click", () => {
  page = Math.max(1, page - 1);
  loadList();
});
$("page-next").addEventListener("click", () => {
  page += 1;
  loadList();
});

// ------------------------------------------------------------------ one call

function showList() {
  clearTimeout(pollTimer);
  current = null;
  startClean();
  $("session-view").hidden = true;
  $("case-view").hidden = true;
  $("list-view").hidden = false;
}

for (const id of ["session-close", "case-close"]) {
  $(id).addEventListener("click", () => {
    history.pushState(null, "", "/review");
    showList();
    loadList();
    loadCases();
  });
}

$("session-case").addEventListener("click", () => current && current.case_id && openCase(current.case_id));

async function openCase(id) {
  history.pushState(null, "", `/review?case=${encodeURIComponent(id)}`);
  await showCase(id);
}

/** One recorded case: its timeline, and the verdict with a call's controls. */
async function showCase(id) {
  clearTimeout(pollTimer);
  let detail;
  try {
    detail = await get(`/api/cases/${encodeURIComponent(id)}`);
  } catch (err) {
    return fail(err);
  }
  const isNew = currentKind !== "case" || !current || current.id !== detail.id;
  if (isNew) startClean();
  current = detail;
  currentKind = "case";
  $("list-view").hidden = true;
  $("session-view").hidden = true;
  $("case-view").hidden = false;
  $("case-verdict-slot").append(verdictPanel);
  renderCase(detail, { vocabulary, historyWords, onOpenCall: openSession });
  renderVerdict(detail, isNew);
}

window.addEventListener("popstate", () => route());

async function openSession(id) {
  history.pushState(null, "", `/review?session=${encodeURIComponent(id)}`);
  await showSession(id);
}

async function showSession(id) {
  clearTimeout(pollTimer);
  let detail;
  try {
    detail = await get(`/api/sessions/${encodeURIComponent(id)}`);
  } catch (err) {
    return fail(err);
  }
  const isNew = currentKind !== "call" || !current || current.id !== detail.id;
  if (isNew) startClean();
  current = detail;
  currentKind = "call";
  $("list-view").hidden = true;
  $("case-view").hidden = true;
  $("session-view").hidden = false;
  verdictHome.append(verdictPanel);
  $("session-case").hidden = !detail.case_id;
  $("session-view").dataset.sessionId = detail.id;
  $("session-order").textContent = detail.order_ref;
  const bits = [
    purposeWords(detail.purpose),
    detail.agent_name ? t("review.meta.agent", { name: detail.agent_name }) : t("review.meta.no_agent"),
    detail.buyer_name ? t("review.meta.buyer", { name: detail.buyer_name }) : null,
    detail.duration_s !== null ? t("review.meta.length", { length: formatDuration(detail.duration_s) }) : null,
    detail.end_reason
      ? t("review.meta.ended", { why: vocabulary.label("end_reasons", detail.end_reason) })
      : vocabulary.label("call_states", detail.state),
  ];
  $("session-meta").textContent = bits.filter(Boolean).join(" · ");
  $("session-order-box").replaceChildren(orderBox(detail.order, { testid: "session-order-details", open: true }) || "");
  $("session-bundle").href = `/api/sessions/${encodeURIComponent(detail.id)}/bundle`;
  renderStart(detail);
  renderConsent(detail, vocabulary);
  renderRecording(detail, isNew);
  agentPicture.render(detail);
  renderNetwork(detail);
  renderTimeline(detail);
  renderPhotos(detail);
  renderInspection(detail, $("#session-view .session-columns"), fail, seekTo);
  renderChat(detail);
  renderVerdict(detail, isNew);
  if (isNew) renderQa(detail, { player: video, user: me, fail });
}

/** A call's page starts with nothing of the call shown before: no notice, no typed
 * reason or note, no error, no pictures, marks or lines of the other call. */
function startClean() {
  notice.hidden = true;
  $("review-error").hidden = true;
  $("#override-form").reset();
  $("#set-form").reset();
  for (const id of ["photos", "chat-transcript", "timeline", "timeline-list", "outcome-history"]) {
    $(id).replaceChildren();
  }
  $("session-outcome").textContent = "";
  $("session-note").textContent = "";
  clearCase();
  video.pause();
  video.removeAttribute("src");
  video.load();
}

/** Where the agent answered on the call clock (ms): every moment shown counts from here,
 * as the console's call timer does (photos.js `answerOffsetMs`). */
function answerOrigin() {
  return current ? answerOffsetMs(current.created_at, current.answered_at) : 0;
}

/** "0:07": a moment of the call (t_ms on the call clock) as staff read it. */
function momentWords(tMs) {
  return formatDuration(Math.max(0, tMs - answerOrigin()) / 1000);
}

/** Where the review video starts on the call clock (ms). */
function videoOrigin() {
  const rec = current && current.review_recording;
  return rec ? rec.start_offset_ms : 0;
}

/** The video's length in seconds (from the player, the row, or the call). */
function videoLength() {
  if (Number.isFinite(video.duration) && video.duration > 0) return video.duration;
  const rec = current && current.review_recording;
  if (rec && rec.duration_ms) return rec.duration_ms / 1000;
  return (current && current.duration_s) || 0;
}

function renderRecording(detail, isNew) {
  const status = $("recording-status");
  const rec = detail.review_recording;
  status.dataset.state = rec ? rec.state : "none";
  $("player-controls").hidden = !(rec && rec.state === "ready");
  if (rec && rec.state === "ready") {
    status.textContent = "";
    status.hidden = true;
    video.hidden = false;
    if (isNew || !video.getAttribute("src")) {
      video.src = rec.url;
      video.load();
    }
    return;
  }
  video.hidden = true;
  status.hidden = false;
  if (!rec) {
    const live = detail.state !== "ended";
    status.textContent = live
      ? t("review.recording.live")
      : t("review.recording.none");
    if (live) pollTimer = setTimeout(() => refresh(detail.id), POLL_MS);
  } else if (rec.state === "failed") {
    status.textContent = t("review.recording.failed");
  } else {
    status.textContent = t("review.recording.preparing", { progress: rec.progress });
    pollTimer = setTimeout(() => refresh(detail.id), POLL_MS);
  }
}

/** Beside the recording, how the buyer's network was during the call (the server's
 * measure): a supervisor sees that a gap or a frozen moment in the video was the network.
 * Marked when it was poor; nothing for a call without a measure. */
function renderNetwork(detail) {
  const node = $("network-quality");
  const quality = detail.quality;
  node.hidden = !quality;
  if (!quality) return;
  const parts = [
    quality.freezes
      ? t("review.network.freezes", { count: quality.freezes })
      : t("review.network.no_freezes"),
  ];
  if (quality.freezes) {
    parts.push(t("review.network.longest", { seconds: (quality.worst_stall_ms / 1000).toFixed(1) }));
  }
  if (quality.loss_pct !== null) parts.push(t("review.network.loss", { loss: quality.loss_pct }));
  if (quality.rtt_ms !== null) parts.push(t("review.network.rtt", { ms: quality.rtt_ms }));
  $("network-summary").replaceChildren(
    el("strong", { text: t("review.network.label") }),
    " ",
    parts.join(t("review.network.join")),
  );
  node.dataset.poor = String(quality.poor);
  $("network-poor").hidden = !quality.poor;
}

async function refresh(id) {
  if (current && current.id === id) await showSession(id);
}

function seekTo(tMs) {
  const seconds = Math.max(0, (tMs - videoOrigin()) / 1000);
  const length = videoLength();
  video.currentTime = length ? Math.min(seconds, Math.max(0, length - 0.05)) : seconds;
  renderPosition();
}

function markerLabel(kind, moment) {
  let what = t(MARKER_WORDS[kind]);
  if (kind === "chat") what = `${moment.data.name || moment.data.from}: ${moment.data.text}`;
  if (kind === "photo" && moment.caption) what = t("review.mark.photo_caption", { caption: moment.caption });
  if (kind === "outcome") what = t("review.mark.outcome_is", { outcome: outcomeWords(moment.data.outcome) });
  return `${momentWords(moment.t_ms)} ${what}`;
}

/** The moments marked on the scrubber: the call's events and its photos, in time order. */
function moments(detail) {
  const found = [];
  const end = detail.events.find((event) => event.kind === "ended");
  for (const event of detail.events) {
    const data = event.data || {};
    const inCall = !end || event.t_ms <= end.t_ms;
    const kind =
      event.kind === "outcome" && data.action === "set" && inCall ? "outcome" : MARKER_KINDS[event.kind];
    if (kind) found.push({ kind, t_ms: event.t_ms, data });
  }
  for (const photo of detail.photos) {
    found.push({ kind: "photo", t_ms: photo.t_ms, data: {}, caption: photo.caption });
  }
  return found.sort((a, b) => a.t_ms - b.t_ms);
}

function renderKey(kinds) {
  $("timeline-key").replaceChildren(
    ...Object.keys(MARKER_WORDS)
      .filter((kind) => kinds.has(kind))
      .map((kind) =>
        el(
          "li",
          { dataset: { kind } },
          el("span", { class: `key-swatch marker-${kind}`, "aria-hidden": "true" }),
          t(MARKER_WORDS[kind]),
        ),
      ),
  );
}

function renderTimeline(detail) {
  const markers = [];
  const legend = [];
  const kinds = new Set();
  const length = videoLength();
  for (const event of moments(detail)) {
    const { kind } = event;
    kinds.add(kind);
    const seconds = Math.max(0, (event.t_ms - videoOrigin()) / 1000);
    const percent = length ? Math.min(100, (seconds / length) * 100) : 0;
    const label = markerLabel(kind, event);
    const marker = el("button", {
      type: "button",
      class: `timeline-marker marker-${kind}`,
      testid: "timeline-marker",
      dataset: { kind, tMs: event.t_ms },
      title: label,
      "aria-label": label,
      onclick: () => seekTo(event.t_ms),
    });
    marker.style.left = `${percent}%`;
    markers.push(marker);
    legend.push(
      el(
        "li",
        {},
        el("button", {
          type: "button",
          class: "link-button",
          dataset: { kind },
          text: label,
          onclick: () => seekTo(event.t_ms),
        }),
      ),
    );
  }
  $("timeline").replaceChildren(...markers);
  $("timeline-list").replaceChildren(...legend);
  renderKey(kinds);
}

// the player's own controls under the picture: play, the one scrubber (the position,
// with the call's moments marked on its track), the time, sound and full screen
const scrubber = $("scrubber-range");
const playButton = $("player-play");
const muteButton = $("player-mute");
const fullButton = $("player-fullscreen");
const player = $("player");
const SCRUB_STEP_S = 1; // arrow keys on the scrubber
const SCRUB_PAGE_S = 10; // Page Up / Page Down
let dragging = false; // the scrubber's thumb is held: the playing video does not move it

function seekSeconds(seconds) {
  const length = videoLength();
  if (!length) return;
  video.currentTime = Math.min(Math.max(0, seconds), Math.max(0, length - 0.05));
  renderPosition();
}

function renderPosition() {
  const length = videoLength();
  if (length && !dragging) {
    scrubber.value = String(Math.round((video.currentTime / length) * 1000));
  }
  const words = t("review.player.position", {
    time: formatDuration(video.currentTime),
    length: formatDuration(length),
  });
  scrubber.setAttribute("aria-valuetext", words);
  $("player-time").textContent = `${formatDuration(video.currentTime)} / ${formatDuration(length)}`;
}

function renderPlay() {
  const playing = !video.paused && !video.ended;
  playButton.dataset.state = playing ? "playing" : "paused";
  playButton.textContent = t(playing ? "review.player.pause" : "review.player.play");
}

function renderMute() {
  muteButton.dataset.state = video.muted ? "muted" : "sound";
  muteButton.textContent = t(video.muted ? "review.player.unmute" : "review.player.mute");
}

function renderFullscreen() {
  const full = document.fullscreenElement === player;
  fullButton.dataset.state = full ? "full" : "normal";
  fullButton.textContent = t(full ? "review.player.exit_fullscreen" : "review.player.fullscreen");
}

function togglePlay() {
  if (video.paused || video.ended) video.play().catch(() => renderPlay());
  else video.pause();
}

playButton.addEventListener("click", togglePlay);
video.addEventListener("click", togglePlay);
muteButton.addEventListener("click", () => {
  video.muted = !video.muted;
});
fullButton.addEventListener("click", () => {
  if (document.fullscreenElement) document.exitFullscreen();
  else player.requestFullscreen().catch(() => renderFullscreen());
});
document.addEventListener("fullscreenchange", renderFullscreen);
for (const kind of ["play", "pause", "ended"]) video.addEventListener(kind, renderPlay);
video.addEventListener("volumechange", renderMute);
for (const kind of ["timeupdate", "seeked", "durationchange", "loadedmetadata", "emptied"]) {
  video.addEventListener(kind, renderPosition);
  video.addEventListener(kind, renderPinTime);
}

scrubber.addEventListener("pointerdown", () => {
  dragging = true;
});
for (const kind of ["pointerup", "pointercancel", "change"]) {
  scrubber.addEventListener(kind, () => {
    dragging = false;
  });
}
scrubber.addEventListener("input", () => {
  const length = videoLength();
  if (length) video.currentTime = Math.min((Number(scrubber.value) / 1000) * length, length - 0.05);
  renderPosition();
});
// the keys move by seconds, whatever the recording's length
scrubber.addEventListener("keydown", (event) => {
  const now = video.currentTime;
  const moves = {
    ArrowLeft: now - SCRUB_STEP_S,
    ArrowDown: now - SCRUB_STEP_S,
    ArrowRight: now + SCRUB_STEP_S,
    ArrowUp: now + SCRUB_STEP_S,
    PageDown: now - SCRUB_PAGE_S,
    PageUp: now + SCRUB_PAGE_S,
    Home: 0,
    End: videoLength(),
  };
  if (!(event.key in moves)) return;
  event.preventDefault();
  seekSeconds(moves[event.key]);
});

video.addEventListener("loadedmetadata", () => current && renderTimeline(current));
video.addEventListener("durationchange", () => current && renderTimeline(current));

function renderPhotos(detail) {
  const items = detail.photos.map((photo) =>
    photoTile(photo, { atMs: photo.t_ms - answerOrigin(), onSeek: () => seekTo(photo.t_ms) }),
  );
  $("photos").replaceChildren(...items);
  $("photos-empty").hidden = items.length > 0;
}

function renderChat(detail) {
  const lines = detail.chat.map((line) =>
    chatLine(line, "agent", {
      before: el("button", {
        type: "button",
        class: "link-button chat-time",
        title: t("photo.seek"),
        text: momentWords(line.t_ms),
        onclick: () => seekTo(line.t_ms),
      }),
    }),
  );
  detail.chat.forEach((line, index) => {
    const copy = buyerCopy(line, vocabulary);
    if (copy) lines[index].append(" ", copy);
  });
  $("chat-transcript").replaceChildren(...lines);
  $("chat-empty").hidden = lines.length > 0;
}

function historyWords(change) {
  const who = change.by_name || t("review.history.user", { id: change.by_user_id });
  const verdict = [outcomeWords(change.outcome), decisionWords(change.decision)]
    .filter(Boolean)
    .join(", ");
  const actions = { set: "review.history.set", confirm: "review.history.confirm", override: "review.history.override" };
  const action = actions[change.action] ? t(actions[change.action]) : change.action;
  let text = t("review.history.line", { when: formatDateTime(change.at), who, action, verdict });
  if (change.note) text += t("review.history.note", { note: change.note });
  if (change.reason) text += t("review.history.reason", { reason: change.reason });
  return text;
}

function renderVerdict(detail, isNew = false) {
  const node = $("session-outcome");
  node.dataset.outcome = detail.outcome || "";
  node.dataset.decision = detail.decision || "";
  node.dataset.reviewState = detail.review_state || "";
  if (detail.outcome) {
    const decision = detail.decision ? ` · ${decisionWords(detail.decision)}` : "";
    const review = detail.review_state ? ` (${reviewStateWords(detail.review_state)})` : "";
    node.textContent = `${outcomeWords(detail.outcome)}${decision}${review}`;
  } else if (currentKind === "case") {
    node.textContent = t("review.verdict.case_untagged");
  } else if (detail.answered_at) {
    node.textContent = t("review.verdict.untagged");
  } else {
    node.textContent = t("review.verdict.not_reached");
  }
  $("session-note").textContent = detail.outcome_note ? t("review.verdict.note", { note: detail.outcome_note }) : "";
  $("outcome-history").replaceChildren(
    ...detail.outcome_history.map((change) =>
      el("li", { testid: "history-item", dataset: { action: change.action }, text: historyWords(change) }),
    ),
  );
  // an untagged call (or case) is given an outcome (no reason needed); a tagged one is
  // confirmed or overridden; a call nobody answered has nothing to review
  const reached = currentKind === "case" || Boolean(detail.answered_at);
  if (isNew) {
    // the verdict takes only the call's purpose's outcomes (a demo's results apart)
    for (const id of ["set-outcome", "override-outcome"]) {
      vocabulary.fillSelect($(id), "outcomes", detail.purpose);
    }
  }
  $("#set-form").hidden = !reached || Boolean(detail.outcome);
  $("review-confirm").hidden = !detail.outcome;
  $("#override-form").hidden = !detail.outcome;
  if (isNew && detail.outcome) {
    $("override-outcome").value = detail.outcome;
    $("override-decision").value = detail.decision || "";
  }
}

async function review(body) {
  const error = $("review-error");
  error.hidden = true;
  if (!current) return;
  try {
    const base = currentKind === "case" ? "/api/cases" : "/api/sessions";
    const detail = await post(`${base}/${encodeURIComponent(current.id)}/review`, body);
    current = detail;
    renderVerdict(detail);
    if (currentKind === "case") renderCase(detail, { vocabulary, historyWords, onOpenCall: openSession });
    else renderTimeline(detail);
    const words = { set: "review.done.set", confirm: "review.done.confirm", override: "review.done.override" };
    say(t(words[body.action]), "info");
    if (body.action === "override") $("override-reason").value = "";
    if (body.action === "set") $("#set-form").reset();
  } catch (err) {
    fail(err, error);
  }
}

$("review-confirm").addEventListener("click", () => review({ action: "confirm" }));

$("#set-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const note = $("set-note").value.trim();
  review({
    action: "set",
    outcome: $("set-outcome").value,
    decision: $("set-decision").value || null,
    note: note || null,
  });
});

$("#override-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const reason = $("override-reason").value.trim();
  if (!reason) {
    const error = $("review-error");
    error.textContent = t("review.override.reason_missing");
    error.hidden = false;
    $("override-reason").focus();
    return;
  }
  review({
    action: "override",
    outcome: $("override-outcome").value,
    decision: $("override-decision").value || null,
    reason,
  });
});

// ------------------------------------------------------------------ start

function route() {
  const query = new URLSearchParams(location.search);
  const id = query.get("session");
  const caseId = query.get("case");
  if (id) showSession(id);
  else if (caseId) showCase(caseId);
  else {
    takeLinkedFilters((list, code) => vocabulary.label(list, code), loadList);
    showList();
    loadList();
    loadCases();
  }
}

async function start() {
  const started = await startPage();
  if (!started) return;
  ({ vocabulary, me } = started);
  route();
}

start();
