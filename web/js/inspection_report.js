// A remote inspection's report as staff read it, shared by the console's checklist
// panel and the review page: each item (its label in the staff language where the
// checklist has it), its photos, its clip (a stretch of the call's recording, its times
// counted from the recording's start; on the review, buttons that seek the player there),
// the buyer's decision and reason, and the sign-off with
// the buyer's name and time. Photos are staff-only files whose views are audited, so one
// <img> per photo is made once and kept across redraws.
import { formatStaffDateTime, staffLocale, t } from "./staff_i18n.js";
import { el, formatDuration } from "./ui.js";

export const STATE_WORDS = {
  pending: "inspection.state.pending",
  shot: "inspection.state.shot",
  approved: "inspection.state.approved",
  rejected: "inspection.state.rejected",
};

/** The item's label in the staff language, else English, else the call's. */
export function itemLabel(item) {
  const labels = item.labels || {};
  return labels[staffLocale()] || labels.en || item.label;
}

export class PhotoCache {
  constructor() {
    this.nodes = new Map(); // url -> <a><img></a>
  }

  /** The thumbnail link of the photo at `url` (made once). */
  thumb(url, alt) {
    let node = this.nodes.get(url);
    if (!node) {
      node = el(
        "a",
        { class: "inspection-thumb", href: url, target: "_blank", rel: "noopener" },
        el("img", { src: url, alt, testid: "inspection-photo" }),
      );
      this.nodes.set(url, node);
    }
    return node;
  }

  clear() {
    this.nodes.clear();
  }
}

/** How many of the report's items the buyer has decided. */
export function decidedCount(report) {
  return report.items.filter((item) => item.state === "approved" || item.state === "rejected").length;
}

/** Whether the item still waits for its clip (one that needs none never does). */
export function clipMissing(item) {
  return Boolean(item.clip_required) && !(item.clip && item.clip.end_ms !== null);
}

/** "1:05": a moment of the call clock (ms) as a time in the recording starting at `originMs`. */
export function recordingTime(tMs, originMs) {
  return formatDuration(Math.max(0, tMs - (originMs || 0)) / 1000);
}

/**
 * The item's clip line: none yet, being recorded since a time, or "Clip 0:12–0:31 of the
 * recording"; with `onSeek(tMs)` each time is a button that seeks the player there.
 */
export function clipLine(item, originMs, onSeek = null) {
  const clip = item.clip;
  if (!clip) return el("p", { class: "inspection-clip muted", testid: "inspection-clip", dataset: { state: "missing" }, text: t("inspection.clip_missing") });
  const start = recordingTime(clip.start_ms, originMs);
  if (clip.end_ms === null) {
    return el("p", { class: "inspection-clip", testid: "inspection-clip", dataset: { state: "recording" }, text: t("inspection.clip_recording", { start }) });
  }
  const end = recordingTime(clip.end_ms, originMs);
  const time = (words, tMs) =>
    onSeek
      ? el("button", {
          type: "button",
          class: "link-button clip-time",
          testid: "inspection-clip-seek",
          title: t("inspection.clip_seek", { time: words }),
          text: words,
          onclick: () => onSeek(tMs),
        })
      : words;
  // the sentence's own order, its two times put in where {start} and {end} stand
  const nodes = t("inspection.clip_range", { start: "\u0000start\u0000", end: "\u0000end\u0000" })
    .split("\u0000")
    .map((part) => (part === "start" ? time(start, clip.start_ms) : part === "end" ? time(end, clip.end_ms) : part))
    .filter((part) => part !== "");
  return el("p", { class: "inspection-clip", testid: "inspection-clip", dataset: { state: "done", startMs: clip.start_ms, endMs: clip.end_ms } }, ...nodes);
}

/**
 * One item's row: label, state, photo count and thumbnails, its clip, the buyer's reason;
 * `extra` (nodes) is added at the end (the console's photograph and clip buttons);
 * `recordingStartMs` places the clip in the recording, `onSeek(tMs)` makes its times
 * buttons.
 */
export function itemRow(item, photos, { testid = "inspection-item", extra = [], recordingStartMs = 0, onSeek = null } = {}) {
  const label = itemLabel(item);
  const photosDone = item.photo_ids.length >= item.photos_required;
  const stateWords = item.state === "pending" && photosDone && clipMissing(item) ? "inspection.state.pending_clip" : STATE_WORDS[item.state];
  return el(
    "li",
    { class: "inspection-row", testid, dataset: { item: item.key, state: item.state } },
    el(
      "div",
      { class: "inspection-row-head" },
      el("strong", { class: "inspection-label", text: label }),
      el("span", {
        class: "inspection-state",
        testid: "inspection-state",
        dataset: { state: item.state },
        text: t(stateWords),
      }),
      item.photos_required || item.photo_ids.length
        ? el("span", {
            class: "inspection-count muted",
            text: t("inspection.photos_count", { count: item.photo_ids.length, required: item.photos_required }),
          })
        : null,
    ),
    item.photo_urls.length
      ? el(
          "div",
          { class: "inspection-thumbs" },
          item.photo_urls.map((url, n) => photos.thumb(url, t("inspection.photo_alt", { item: label, number: n + 1 }))),
        )
      : null,
    item.clip_required || item.clip ? clipLine(item, recordingStartMs, onSeek) : null,
    item.reason ? el("p", { class: "inspection-reason", testid: "inspection-reason", text: t("inspection.reason", { reason: item.reason }) }) : null,
    item.decided_at
      ? el("p", { class: "muted inspection-when", text: t("inspection.decided_at", { when: formatStaffDateTime(item.decided_at) }) })
      : null,
    extra,
  );
}

/** The sign-off line: who signed, how and when, or that the buyer has not yet. */
export function signoffNode(report) {
  const signed = report.signoff;
  if (!signed) {
    return el("p", { class: "inspection-signoff-line muted", testid: "inspection-signoff-line", dataset: { decision: "" }, text: t("inspection.signoff.none") });
  }
  return el(
    "div",
    { class: "inspection-signoff-line", testid: "inspection-signoff-line", dataset: { decision: signed.decision } },
    el("strong", {
      text: t(signed.decision === "approved" ? "inspection.signoff.approved" : "inspection.signoff.rejected", {
        name: signed.name,
        when: formatStaffDateTime(signed.at, { withZone: true }),
      }),
    }),
    signed.reason ? el("p", { class: "inspection-reason", text: t("inspection.reason", { reason: signed.reason }) }) : null,
  );
}

/** The link to the report's PDF. */
export function pdfLink(report) {
  return el("a", {
    class: "inspection-pdf",
    testid: "inspection-pdf",
    href: report.pdf_url,
    target: "_blank",
    rel: "noopener",
    text: t("inspection.pdf"),
  });
}
