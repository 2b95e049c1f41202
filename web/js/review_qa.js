// The review's QA box for a call: the supervisor's (or admin's) own score, a value for
// every active criterion of the rubric with the weighted total as it is filled in, and
// the comments pinned to the player's time (clicking one seeks the video there). Other
// reviewers' scores are listed read-only.
import { del, get, post, put } from "./api.js";
import { commentTime, totalOf, valueWords } from "./qa_common.js";
import { t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

let rubric = null; // the active criteria, by position
let callId = null;
let me = null;
let video = null;
let onFail = () => {};

async function activeCriteria() {
  if (!rubric) {
    const data = await get("/api/qa/rubric");
    rubric = data.criteria.filter((c) => !c.retired_at);
  }
  return rubric;
}

function criterionInput(criterion, value) {
  const common = { testid: "qa-criterion", dataset: { criterion: String(criterion.id) }, required: true };
  if (criterion.scale === "pass_fail") {
    const select = el(
      "select",
      common,
      el("option", { value: "", text: t("qa.choose") }),
      el("option", { value: "1", text: t("qa.pass") }),
      el("option", { value: "0", text: t("qa.fail") }),
    );
    select.value = value === undefined ? "" : String(value);
    return select;
  }
  const input = el("input", { ...common, type: "number", min: 1, max: criterion.points, step: 1, inputmode: "numeric" });
  if (value !== undefined) input.value = String(value);
  return input;
}

function formItems() {
  return rubric.map((c) => {
    const node = $("qa-criteria").querySelector(`[data-criterion="${c.id}"]`);
    const raw = node.value.trim();
    return { criterion: c, value: raw === "" ? null : Number(raw) };
  });
}

function renderTotal() {
  const items = formItems();
  const filled = items.filter((i) => i.value !== null && Number.isFinite(i.value));
  const total = $("qa-total");
  if (filled.length < items.length) {
    total.textContent = t("qa.total_missing");
    total.dataset.total = "";
    return;
  }
  const pct = totalOf(
    filled.map((i) => ({ value: i.value, scale: i.criterion.scale, points: i.criterion.points, weight: i.criterion.weight })),
  );
  total.dataset.total = String(pct);
  total.textContent = t("qa.total", { total: pct });
}

function renderForm(qa) {
  const mine = qa.scores.find((s) => s.reviewer_id === me.id);
  const given = new Map((mine ? mine.items : []).map((i) => [i.criterion_id, i.value]));
  const rows = rubric.map((c) => {
    const scale = c.scale === "pass_fail" ? t("qa.scale.pass_fail") : t("qa.scale.points", { points: c.points });
    return el(
      "label",
      { class: "qa-criterion" },
      el("span", { text: `${c.label} (${scale}, ${t("qa.weight", { weight: c.weight })})` }),
      c.hint ? el("small", { class: "hint", text: c.hint }) : null,
      criterionInput(c, given.get(c.id)),
    );
  });
  $("qa-criteria").replaceChildren(...rows);
  $("#qa-score").hidden = !qa.scorable || rubric.length === 0;
  $("qa-not-scorable").hidden = qa.scorable;
  $("qa-save").textContent = t(mine ? "qa.update" : "qa.save");
  renderTotal();
}

function renderScores(qa) {
  const others = qa.scores.filter((s) => s.reviewer_id !== me.id);
  $("qa-scores").replaceChildren(
    ...others.map((s) =>
      el(
        "li",
        { testid: "qa-other-score" },
        el("strong", { text: t("qa.by", { name: s.reviewer_name || "?", total: s.total_pct }) }),
        " ",
        s.items.map((i) => `${i.label}: ${valueWords(i)}`).join(" · "),
      ),
    ),
  );
}

function renderComments(qa) {
  const items = qa.comments.map((c) => {
    const seek = el("button", {
      type: "button",
      class: "link-button qa-time",
      testid: "qa-comment-time",
      dataset: { videoMs: String(c.video_ms) },
      text: commentTime(c.video_ms),
      "aria-label": t("qa.comment.seek", { time: commentTime(c.video_ms) }),
      onclick: () => {
        video.currentTime = c.video_ms / 1000;
      },
    });
    const remove =
      c.author_id === me.id || me.role === "admin"
        ? el("button", {
            type: "button",
            class: "link-button",
            testid: "qa-comment-delete",
            text: t("qa.comment.delete"),
            onclick: () => removeComment(c.id),
          })
        : null;
    return el(
      "li",
      { testid: "qa-comment-item", dataset: { commentId: String(c.id), videoMs: String(c.video_ms) } },
      seek,
      " ",
      el("span", { class: "qa-comment-text", text: c.text }),
      " ",
      el("span", { class: "muted", text: c.author_name || "" }),
      remove ? " " : null,
      remove,
    );
  });
  $("qa-comments").replaceChildren(...items);
  $("qa-comments-empty").hidden = items.length > 0;
  $("#qa-comment-form").hidden = qa.video_duration_ms === null;
}

async function load() {
  const id = callId;
  const [, qa] = await Promise.all([activeCriteria(), get(`/api/sessions/${encodeURIComponent(id)}/qa`)]);
  if (id !== callId) return;
  renderForm(qa);
  renderScores(qa);
  renderComments(qa);
}

async function removeComment(commentId) {
  try {
    await del(`/api/sessions/${encodeURIComponent(callId)}/qa/comments/${commentId}`);
    await load();
  } catch (err) {
    onFail(err, $("qa-error"));
  }
}

/** Show the QA box of the call `detail` (the page's `player` video, the signed-in `user`). */
export async function renderQa(detail, { player, user, fail }) {
  video = player;
  me = user;
  onFail = fail;
  const isNew = callId !== detail.id;
  callId = detail.id;
  if (isNew) {
    $("#qa-score").reset();
    $("#qa-comment-form").reset();
    $("qa-error").hidden = true;
  }
  try {
    await load();
  } catch (err) {
    fail(err, $("qa-error"));
  }
}

$("#qa-score").addEventListener("input", renderTotal);
$("#qa-score").addEventListener("change", renderTotal);
$("#qa-score").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("qa-error");
  error.hidden = true;
  const items = formItems();
  const missing = items.find((i) => i.value === null || !Number.isFinite(i.value));
  if (missing) {
    error.textContent = t("qa.missing", { label: missing.criterion.label });
    error.hidden = false;
    return;
  }
  try {
    await put(`/api/sessions/${encodeURIComponent(callId)}/qa/score`, {
      items: items.map((i) => ({ criterion_id: i.criterion.id, value: i.value })),
    });
    $("qa-status").textContent = t("qa.saved");
    await load();
  } catch (err) {
    onFail(err, error);
  }
});

$("#qa-comment-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("qa-error");
  error.hidden = true;
  const text = $("qa-comment").value.trim();
  if (!text) {
    $("qa-comment").focus();
    return;
  }
  const videoMs = Math.max(0, Math.round(video.currentTime * 1000));
  try {
    await post(`/api/sessions/${encodeURIComponent(callId)}/qa/comments`, { video_ms: videoMs, text });
    $("qa-comment").value = "";
    await load();
  } catch (err) {
    onFail(err, error);
  }
});

/** Pin-at time shown on the add button as the video plays. */
export function renderPinTime() {
  if (video) $("qa-comment-at").textContent = commentTime(Math.round(video.currentTime * 1000));
}
