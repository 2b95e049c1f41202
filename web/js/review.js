// /review: supervisors find calls (filters, counts per outcome, pages), watch the
// recording with a timeline of the call's events, see the photos, the chat and the
// verdict, and confirm or override it.
import { get, post } from "./api.js";
import { chatLine } from "./chat.js";
import { fail, say, startPage } from "./page.js";
import { photoTile } from "./photos.js";
import { $, el, formatDateTime, formatDuration } from "./ui.js";

// stored event kinds -> timeline marker kinds (others are not shown)
const MARKER_KINDS = {
  answered: "joined",
  reconnecting: "reconnect",
  resumed: "reconnect",
  photo: "photo",
  chat: "chat",
  outcome: "outcome",
  ended: "ended",
};
const MARKER_WORDS = {
  joined: "Agent joined",
  reconnect: "Reconnect",
  photo: "Photo taken",
  chat: "Chat message",
  outcome: "Outcome",
  ended: "Call ended",
};
const PER_PAGE = 25;
const POLL_MS = 2000;

const video = $("review-video");
let vocabulary = null; // the staff labels (vocabulary.js), once the page has started
let page = 1;
let total = 0;
let current = null; // the open call's detail
let pollTimer = null;
const agents = new Map(); // id -> name, from the calls seen

const UNTAGGED = "untagged"; // the count of ended calls without an outcome

const outcomeWords = (code) =>
  code === UNTAGGED ? "Untagged" : vocabulary.label("outcomes", code);
const decisionWords = (code) => vocabulary.label("decisions", code);
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
  const since = $("filter-since").value;
  const until = $("filter-until").value;
  if (since) params.set("since", new Date(`${since}T00:00:00`).toISOString());
  if (until) {
    const end = new Date(`${until}T00:00:00`);
    end.setDate(end.getDate() + 1); // the whole "to" day
    params.set("until", end.toISOString());
  }
  if ($("filter-untagged").checked) params.set("untagged", "true");
  return params;
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
  $("page-info").textContent = `Page ${page} of ${pages} · ${total} call${total === 1 ? "" : "s"}`;
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
        "aria-label": `Open the call for order ${item.order_ref}, started ${started}`,
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
      text: item.outcome
        ? outcomeWords(item.outcome)
        : item.state === "ended"
          ? outcomeWords(UNTAGGED)
          : vocabulary.label("call_states", item.state),
    }),
    el("td", { testid: "session-row-decision", text: decisionWords(item.decision) }),
    el("td", { text: item.review_state || "" }),
  );
}

function renderAgents() {
  const select = $("filter-agent");
  const chosen = select.value;
  const options = [...agents.entries()]
    .sort((a, b) => String(a[1]).localeCompare(String(b[1])))
    .map(([id, name]) => el("option", { value: id, text: name || `Agent ${id}` }));
  select.replaceChildren(el("option", { value: "", text: "Any" }), ...options);
  select.value = chosen;
}

function renderCounts(counts) {
  const chosen = $("filter-outcome").value || ($("filter-untagged").checked ? UNTAGGED : "");
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
          $("filter-outcome").value = off || outcome === UNTAGGED ? "" : outcome;
          $("filter-untagged").checked = !off && outcome === UNTAGGED;
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
for (const id of ["filter-outcome", "filter-decision", "filter-purpose", "filter-agent", "filter-since", "filter-until", "filter-untagged"]) {
  $(id).addEventListener("change", () => {
    if (id === "filter-outcome" && $(id).value) $("filter-untagged").checked = false;
    if (id === "filter-untagged" && $(id).checked) $("filter-outcome").value = "";
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
  video.pause();
  video.removeAttribute("src");
  video.load();
  $("session-view").hidden = true;
  $("list-view").hidden = false;
}

$("session-close").addEventListener("click", () => {
  history.pushState(null, "", "/review");
  showList();
  loadList();
});

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
  const isNew = !current || current.id !== detail.id;
  current = detail;
  $("list-view").hidden = true;
  $("session-view").hidden = false;
  $("session-view").dataset.sessionId = detail.id;
  $("session-order").textContent = detail.order_ref;
  const bits = [
    purposeWords(detail.purpose),
    formatDateTime(detail.created_at),
    detail.agent_name ? `agent ${detail.agent_name}` : "no agent",
    detail.buyer_name ? `buyer ${detail.buyer_name}` : null,
    detail.duration_s !== null ? `length ${formatDuration(detail.duration_s)}` : null,
    detail.end_reason
      ? `ended: ${vocabulary.label("end_reasons", detail.end_reason)}`
      : vocabulary.label("call_states", detail.state),
  ];
  $("session-meta").textContent = bits.filter(Boolean).join(" · ");
  renderRecording(detail, isNew);
  renderTimeline(detail);
  renderPhotos(detail);
  renderChat(detail);
  renderVerdict(detail);
  if (isNew) {
    $("override-reason").value = "";
    $("review-error").hidden = true;
  }
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
      ? "The call is still going on: its recording is made when it ends."
      : "This call has no recording.";
    if (live) pollTimer = setTimeout(() => refresh(detail.id), POLL_MS);
  } else if (rec.state === "failed") {
    status.textContent = "The recording could not be prepared for playback.";
  } else {
    status.textContent = `Preparing the recording for playback… ${rec.progress}%`;
    pollTimer = setTimeout(() => refresh(detail.id), POLL_MS);
  }
}

async function refresh(id) {
  if (current && current.id === id) await showSession(id);
}

function seekTo(tMs) {
  const seconds = Math.max(0, (tMs - videoOrigin()) / 1000);
  const length = videoLength();
  video.currentTime = length ? Math.min(seconds, Math.max(0, length - 0.05)) : seconds;
}

function markerLabel(kind, event) {
  const at = formatDuration(Math.max(0, event.t_ms - videoOrigin()) / 1000);
  let what = MARKER_WORDS[kind];
  if (kind === "chat") what = `${event.data.name || event.data.from}: ${event.data.text}`;
  if (kind === "outcome") {
    const action = event.data.action === "set" ? "Outcome" : event.data.action;
    what = `${action}: ${outcomeWords(event.data.outcome)}`;
  }
  return `${at} ${what}`;
}

function renderTimeline(detail) {
  const markers = [];
  const legend = [];
  const length = videoLength();
  for (const event of detail.events) {
    const kind = MARKER_KINDS[event.kind];
    if (!kind) continue;
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
}

video.addEventListener("loadedmetadata", () => current && renderTimeline(current));
video.addEventListener("durationchange", () => current && renderTimeline(current));

function renderPhotos(detail) {
  const items = detail.photos.map((photo) =>
    photoTile(photo, { atMs: photo.t_ms - videoOrigin(), onSeek: () => seekTo(photo.t_ms) }),
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
        title: "Show this moment in the video",
        text: formatDuration(Math.max(0, line.t_ms - videoOrigin()) / 1000),
        onclick: () => seekTo(line.t_ms),
      }),
    }),
  );
  $("chat-transcript").replaceChildren(...lines);
  $("chat-empty").hidden = lines.length > 0;
}

function historyWords(change) {
  const who = change.by_name || `user ${change.by_user_id}`;
  const verdict = [outcomeWords(change.outcome), decisionWords(change.decision)]
    .filter(Boolean)
    .join(", ");
  const action = { set: "set", confirm: "confirmed", override: "overrode to" }[change.action] || change.action;
  let text = `${formatDateTime(change.at)} · ${who} ${action} ${verdict}`;
  if (change.note) text += ` — “${change.note}”`;
  if (change.reason) text += ` — reason: ${change.reason}`;
  return text;
}

function renderVerdict(detail) {
  const node = $("session-outcome");
  node.dataset.outcome = detail.outcome || "";
  node.dataset.decision = detail.decision || "";
  node.dataset.reviewState = detail.review_state || "";
  if (detail.outcome) {
    const decision = detail.decision ? ` · ${decisionWords(detail.decision)}` : "";
    const review = detail.review_state ? ` (${detail.review_state})` : "";
    node.textContent = `${outcomeWords(detail.outcome)}${decision}${review}`;
  } else {
    node.textContent = "Untagged: the agent did not set an outcome.";
  }
  $("session-note").textContent = detail.outcome_note ? `Agent's note: ${detail.outcome_note}` : "";
  $("outcome-history").replaceChildren(
    ...detail.outcome_history.map((change) =>
      el("li", { testid: "history-item", dataset: { action: change.action }, text: historyWords(change) }),
    ),
  );
  $("review-confirm").disabled = !detail.outcome;
  if (detail.outcome) $("override-outcome").value = detail.outcome;
}

async function review(body) {
  const error = $("review-error");
  error.hidden = true;
  if (!current) return;
  try {
    const detail = await post(`/api/sessions/${encodeURIComponent(current.id)}/review`, body);
    current = detail;
    renderVerdict(detail);
    renderTimeline(detail);
    say(body.action === "confirm" ? "Outcome confirmed." : "Outcome overridden.", "info");
    if (body.action === "override") $("override-reason").value = "";
  } catch (err) {
    fail(err, error);
  }
}

$("review-confirm").addEventListener("click", () => review({ action: "confirm" }));

$("#override-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const reason = $("override-reason").value.trim();
  if (!reason) {
    const error = $("review-error");
    error.textContent = "Give a reason for the override.";
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
  const id = new URLSearchParams(location.search).get("session");
  if (id) showSession(id);
  else {
    showList();
    loadList();
  }
}

async function start() {
  const started = await startPage();
  if (!started) return;
  ({ vocabulary } = started);
  route();
}

start();
