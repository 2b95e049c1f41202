// /qa: the signed-in agent's calls that a supervisor scored or commented (GET
// /api/qa/calls, an agent's own only; a supervisor or admin sees every agent's): each
// call's total per reviewer, the value given for each criterion, and the comments at
// their times on the recording, each time a link that opens the recording there;
// ?agent_id=N: one agent's (an agent's own only).
import { get } from "./api.js";
import { fail, startPage } from "./page.js";
import { commentTime, valueWords } from "./qa_common.js";
import { formatStaffDateTime, t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

const PER_PAGE = 20;
// a supervisor's or admin's choice of agent (/qa?agent_id=N, linked from /analytics)
const AGENT_ID = new URLSearchParams(location.search).get("agent_id");
let page = 1;
let total = 0;

function recordingAt(call, videoMs) {
  return call.recording_url ? `${call.recording_url}#t=${(videoMs / 1000).toFixed(1)}` : null;
}

function scoreBlock(score) {
  return el(
    "div",
    { class: "qa-score-read", testid: "qa-call-score", dataset: { total: String(score.total_pct) } },
    el("p", {}, el("strong", { testid: "qa-call-total", text: t("qa.total", { total: score.total_pct }) }), " ", el("span", { class: "muted", text: t("qa.page.by", { name: score.reviewer_name || "?" }) })),
    el(
      "ul",
      { class: "qa-scores" },
      score.items.map((i) =>
        el("li", { testid: "qa-call-item", dataset: { criterion: String(i.criterion_id) } }, `${i.label}: `, el("strong", { text: valueWords(i) })),
      ),
    ),
  );
}

function commentItem(call, comment) {
  const href = recordingAt(call, comment.video_ms);
  const time = commentTime(comment.video_ms);
  return el(
    "li",
    { testid: "qa-call-comment", dataset: { videoMs: String(comment.video_ms) } },
    href
      ? el("a", { class: "qa-time", href, target: "_blank", rel: "noopener", testid: "qa-call-comment-time", text: time, "aria-label": t("qa.comment.seek", { time }) })
      : el("span", { class: "qa-time", testid: "qa-call-comment-time", text: time }),
    " ",
    el("span", { text: comment.text }),
    " ",
    el("span", { class: "muted", text: comment.author_name || "" }),
  );
}

function callBlock(call) {
  return el(
    "article",
    { class: "qa-call", testid: "qa-call", dataset: { sessionId: call.call_id } },
    el("h2", { text: t("qa.page.call", { order: call.order_ref, when: formatStaffDateTime(call.created_at) }) }),
    call.agent_name ? el("p", { class: "muted", text: t("review.meta.agent", { name: call.agent_name }) }) : null,
    call.recording_url
      ? el("p", {}, el("a", { href: call.recording_url, target: "_blank", rel: "noopener", testid: "qa-call-recording", text: t("qa.page.recording") }))
      : el("p", { class: "hint", text: t("qa.page.no_recording") }),
    call.scores.map(scoreBlock),
    call.comments.length ? el("h3", { text: t("qa.comments") }) : null,
    call.comments.length ? el("ul", { class: "qa-comments" }, call.comments.map((c) => commentItem(call, c))) : null,
  );
}

async function load() {
  let data;
  try {
    const params = new URLSearchParams({ page: String(page), per_page: String(PER_PAGE) });
    if (AGENT_ID && /^[1-9][0-9]*$/.test(AGENT_ID)) params.set("agent_id", AGENT_ID);
    data = await get(`/api/qa/calls?${params}`);
  } catch (err) {
    return fail(err);
  }
  total = data.total;
  $("qa-calls").replaceChildren(...data.items.map(callBlock));
  $("qa-calls-empty").hidden = data.items.length > 0;
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));
  $("qa-page-info").textContent = t("qa.page.pages", { page, pages });
  $("qa-page-prev").disabled = page <= 1;
  $("qa-page-next").disabled = page >= pages;
}

$("qa-page-prev").addEventListener("click", () => {
  page = Math.max(1, page - 1);
  load();
});
$("qa-page-next").addEventListener("click", () => {
  page += 1;
  load();
});

async function start() {
  const started = await startPage();
  if (!started) return;
  if (started.me.role !== "agent") {
    // a supervisor or admin reads the agents' scored calls, not their own
    for (const [id, key] of [["#qa-page-heading", "qa.page.heading_staff"], ["qa-calls-empty", "qa.page.empty_staff"]]) {
      $(id).dataset.t = key; // kept when the page's words are drawn again
      $(id).textContent = t(key);
    }
    document.title = t("qa.page.title_staff");
  }
  load();
}

start();
