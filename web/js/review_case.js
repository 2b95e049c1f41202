// /review's recorded cases: the list of cases (what buyers recorded when nobody could
// take the call), and one case on one timeline in time order (GET /api/cases/{id}'s
// `timeline`): each submission with its note, its clips (playable) and photos, the
// stills agents took from a clip, the live calls of the same link (each opens in the
// review, and its page links back here), the replies and every change of the one
// verdict. The verdict itself is review.js's, the same controls as for a call.
import { stepName, useStepTitles } from "./case_step_names.js";
import { formatStaffDateTime as formatDateTime, t } from "./staff_i18n.js";
import { $, el, formatDuration } from "./ui.js";

const KIND_WORDS = {
  submission: "review.case.kind.submission",
  still: "review.case.kind.still",
  call: "review.case.kind.call",
  reply: "review.case.kind.reply",
  verdict: "review.case.kind.verdict",
};

/** The list's rows: one per case, newest first; the order opens the case. */
export function caseRows(cases, { vocabulary, reviewStateWords, onOpen }) {
  return cases.map((item) => {
    const started = formatDateTime(item.created_at);
    return el(
      "tr",
      {
        class: "session-row",
        testid: "case-row",
        dataset: { caseId: item.id, outcome: item.outcome || "" },
        onclick: (event) => {
          if (!event.target.closest("button, a")) onOpen(item.id);
        },
      },
      el("td", { text: started }),
      el(
        "td",
        {},
        el("button", {
          type: "button",
          class: "row-open",
          testid: "case-row-open",
          "aria-label": t("review.cases.open", { order: item.order_ref, started }),
          text: item.order_ref,
          onclick: () => onOpen(item.id),
        }),
      ),
      el("td", { text: vocabulary.label("purposes", item.purpose) }),
      el("td", {
        testid: "case-row-outcome",
        class: item.outcome ? "" : "muted",
        text: item.outcome ? vocabulary.label("outcomes", item.outcome) : t("review.untagged"),
      }),
      el("td", { text: vocabulary.label("decisions", item.decision) }),
      el("td", { text: reviewStateWords(item.review_state) }),
    );
  });
}

/** One case: its head and its timeline (the verdict controls are placed by review.js). */
export function renderCase(detail, { vocabulary, historyWords, onOpenCall }) {
  useStepTitles(detail.step_titles);
  $("case-view").dataset.caseId = String(detail.id);
  $("case-order").textContent = detail.order_ref;
  $("case-meta").textContent = [
    vocabulary.label("purposes", detail.purpose),
    t("review.case.since", { when: formatDateTime(detail.created_at) }),
  ].join(" · ");
  $("case-bundle").href = `/api/cases/${encodeURIComponent(detail.id)}/bundle`;
  const byId = (list) => new Map(list.map((item) => [String(item.id), item]));
  const found = {
    submission: byId(detail.submissions),
    still: byId(detail.files),
    call: byId(detail.calls),
    reply: byId(detail.replies),
    verdict: byId(detail.outcome_history),
  };
  const entries = detail.timeline
    .map((entry) => {
      const item = found[entry.kind] && found[entry.kind].get(String(entry.id));
      if (!item) return null;
      const body = {
        submission: () => submissionBody(item, detail.files),
        still: () => stillBody(item, detail.files),
        call: () => callBody(item, vocabulary, onOpenCall),
        reply: () => el("p", { text: t("review.case.reply", { text: item.text || "" }) }),
        verdict: () => el("p", { text: historyWords(item) }),
      }[entry.kind]();
      return el(
        "li",
        { class: `case-entry case-entry-${entry.kind}`, testid: "case-entry", dataset: { kind: entry.kind, id: entry.id } },
        // a verdict's line says its own time (the history's words)
        entry.kind === "verdict" ? null : el("time", { class: "case-entry-at", datetime: entry.at, text: formatDateTime(entry.at) }),
        el("strong", { class: "case-entry-kind", text: t(KIND_WORDS[entry.kind]) }),
        body,
      );
    })
    .filter(Boolean);
  $("case-timeline").replaceChildren(...entries);
}

/** Stop the case's clips (the page leaves the case). */
export function clearCase() {
  for (const video of $("case-timeline").querySelectorAll("video")) video.pause();
  $("case-timeline").replaceChildren();
}

function submissionBody(submission, files) {
  const own = files.filter((file) => file.submission_id === submission.id);
  return el(
    "div",
    { class: "case-entry-body" },
    submission.note ? el("p", { class: "case-note", testid: "review-case-note", text: submission.note }) : null,
    el(
      "div",
      { class: "case-files" },
      own.map((file) =>
        el(
          "figure",
          { class: "case-file", dataset: { kind: file.kind, fileId: file.id } },
          file.kind === "clip"
            ? el("video", { class: "case-clip", testid: "review-case-clip", src: file.url, controls: true, preload: "metadata", playsinline: true })
            : photoLink(file, stepName(file.step)),
          el("figcaption", {
            text: file.kind === "clip" && file.duration_ms ? `${stepName(file.step)} · ${formatDuration(file.duration_ms / 1000)}` : stepName(file.step),
          }),
        ),
      ),
    ),
  );
}

function stillBody(file, files) {
  const clip = files.find((item) => item.id === file.source_file_id);
  const words = t("console.cases.still_from", {
    step: stepName(clip ? clip.step : file.step),
    time: formatDuration((file.source_t_ms || 0) / 1000),
  });
  return el(
    "div",
    { class: "case-files" },
    el(
      "figure",
      { class: "case-file", dataset: { kind: "still", fileId: file.id, sourceTMs: file.source_t_ms } },
      photoLink(file, words),
      el("figcaption", { text: words }),
    ),
  );
}

function photoLink(file, alt) {
  return el(
    "a",
    { href: file.url, target: "_blank", rel: "noopener", title: t("photo.open") },
    el("img", { class: "case-photo", testid: "review-case-photo", src: file.url, alt, loading: "lazy" }),
  );
}

function callBody(call, vocabulary, onOpenCall) {
  const state = call.outcome
    ? vocabulary.label("outcomes", call.outcome)
    : vocabulary.label("call_states", call.state);
  return el(
    "p",
    {},
    `${t("review.case.call_of_link")} · ${state} `,
    el("button", {
      type: "button",
      class: "link-button",
      testid: "case-call-open",
      dataset: { sessionId: call.id },
      text: t("review.case.open_call"),
      onclick: () => onOpenCall(call.id),
    }),
  );
}
