// The review's inspection report of a remote-inspection call: each item with its photos,
// its clip (its times seek the review player there) and the buyer's decision and reason, the sign-off (name, decision, time), the evidence bundle's media SHA-256, and the PDF.
// Shown above the photos; a call without an inspection shows nothing.
import { ApiError, get } from "./api.js";
import { PhotoCache, decidedCount, itemRow, pdfLink, signoffNode } from "./inspection_report.js";
import { t } from "./staff_i18n.js";
import { el } from "./ui.js";

const photos = new PhotoCache();
let shownFor = null;

/** Show the inspection of call `detail` (GET /api/sessions/{id}) in a section placed
 *  before `before`; `fail(err)` says an error other than "no inspection"; `seek(tMs)`
 *  shows a moment of the call clock in the player (a clip's times). */
export async function renderInspection(detail, before, fail, seek = null) {
  let section = document.querySelector('[data-testid="review-inspection"]');
  if (!section) {
    section = el("section", { class: "inspection-panel review-inspection", testid: "review-inspection", hidden: true });
    before.before(section);
  }
  if (shownFor !== detail.id) {
    photos.clear();
    section.hidden = true;
    section.replaceChildren();
    shownFor = detail.id;
  }
  if (detail.purpose !== "remote_inspection") return;
  let report;
  try {
    report = await get(`/api/sessions/${encodeURIComponent(detail.id)}/inspection`);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) fail(err);
    return;
  }
  if (shownFor !== detail.id) return;
  section.replaceChildren(
    el(
      "div",
      { class: "inspection-panel-head" },
      el("h3", { text: t("inspection.title") }),
      el("span", {
        class: "count",
        testid: "inspection-progress",
        text: t("inspection.progress", { done: decidedCount(report), total: report.items.length }),
      }),
      pdfLink(report),
    ),
    el("ol", { class: "inspection-list", testid: "inspection-list" }, report.items.map((item) => itemRow(item, photos, { recordingStartMs: report.recording_start_ms, onSeek: seek }))),
    signoffNode(report),
    report.evidence_sha256
      ? el(
          "p",
          { class: "inspection-evidence muted", testid: "inspection-evidence-hash" },
          t("inspection.evidence_hash"),
          " ",
          el("code", { class: "wrap-anywhere", text: report.evidence_sha256 }),
        )
      : null,
  );
  section.hidden = false;
}
