// A remote inspection's report as staff read it, shared by the console's checklist
// panel and the review page: each item (its label in the staff language where the
// checklist has it), its photos, the buyer's decision and reason, and the sign-off with
// the buyer's name and time. Photos are staff-only files whose views are audited, so one
// <img> per photo is made once and kept across redraws.
import { formatStaffDateTime, staffLocale, t } from "./staff_i18n.js";
import { el } from "./ui.js";

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

/**
 * One item's row: label, state, photo count and thumbnails, the buyer's reason; `extra`
 * (nodes) is added at the end (the console's photograph button).
 */
export function itemRow(item, photos, { testid = "inspection-item", extra = [] } = {}) {
  const label = itemLabel(item);
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
        text: t(STATE_WORDS[item.state]),
      }),
      el("span", {
        class: "inspection-count muted",
        text: t("inspection.photos_count", { count: item.photo_ids.length, required: item.photos_required }),
      }),
    ),
    item.photo_urls.length
      ? el(
          "div",
          { class: "inspection-thumbs" },
          item.photo_urls.map((url, n) => photos.thumb(url, t("inspection.photo_alt", { item: label, number: n + 1 }))),
        )
      : null,
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
