// The console's recorded cases: what buyers recorded when nobody could take the call.
// A list (queue-item with data-case-id), one case at a time: its notes, clips
// (case-clip <video>, served with range requests, their metadata loaded at once so they
// play at once; "Take a still" keeps the frame shown as a photo of the case), photos
// (a still says which clip and moment it came from), the calls of the same link, its
// outcome and decision, and replies (text or a quick phrase, which the buyer reads in
// their own language).
import { api, get } from "./api.js";
import { CaseInviteForm } from "./case_invite_form.js";
import { stepName, useStepTitles } from "./case_step_names.js";
import { phraseText } from "./quick_phrases.js";
import { formatStaffDateTime, staffLocale, t } from "./staff_i18n.js";
import { $, el, formatDuration } from "./ui.js";

const STILL_TYPE = "image/jpeg";
const STILL_QUALITY = 0.92;

const REFRESH_MS = 15000;

export class ConsoleCases {
  constructor({ vocabulary, phrases, fail }) {
    this.vocabulary = vocabulary;
    this.phrases = phrases;
    this.fail = fail;
    this.open = null;
    this.clips = new Map(); // file id -> its <figure>, kept while the case is open, so a
    // playing clip goes on playing when the case is drawn again (a still, a reply)
    vocabulary.fillSelects($("case-view"));
    $("case-close").addEventListener("click", () => this.close());
    $("case-outcome-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveOutcome();
    });
    $("case-reply-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("case-reply-input").value.trim();
      if (text) this.reply({ text });
    });
    this.inviteForm = new CaseInviteForm({ send: (body) => this.reply(body) });
  }

  async refresh() {
    let found;
    try {
      found = await get("/api/cases");
    } catch (err) {
      this.fail(err);
      return;
    }
    const items = found.cases.map((item) =>
      el(
        "li",
        { class: "queue-item case-item", testid: "queue-item", dataset: { caseId: item.id } },
        el(
          "span",
          { class: "case-item-text" },
          el("strong", { text: item.order_ref }),
          ` · ${this.vocabulary.label("purposes", item.purpose)} · ${formatStaffDateTime(item.created_at)}`,
          item.outcome ? ` · ${this.vocabulary.label("outcomes", item.outcome)}` : "",
        ),
        el("button", { type: "button", testid: "case-open", text: t("console.cases.open"), onclick: () => this.show(item.id) }),
      ),
    );
    $("case-list").replaceChildren(...items);
    $("cases-count").textContent = String(items.length);
    $("cases-empty").hidden = items.length > 0;
  }

  start() {
    this.refresh();
    setInterval(() => this.refresh(), REFRESH_MS);
  }

  close() {
    this.open = null;
    this.clips.clear();
    $("case-view").hidden = true;
    $("case-files").replaceChildren();
  }

  async show(caseId) {
    let found;
    try {
      found = await get(`/api/cases/${caseId}`);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (!this.open || this.open.id !== found.id) this.clips.clear();
    this.open = found;
    this.render(found);
    $("case-view").hidden = false;
    $("case-view").dataset.caseId = String(found.id);
  }

  render(found) {
    useStepTitles(found.step_titles);
    $("case-order").textContent = found.order_ref;
    $("case-purpose").textContent = this.vocabulary.label("purposes", found.purpose);
    $("case-notes").replaceChildren(
      ...found.submissions
        .filter((item) => item.note)
        .map((item) => el("p", { class: "case-note", testid: "case-note", text: item.note })),
    );
    const files = found.files.map((file) => (file.kind === "clip" ? this.clipFigure(file) : photoFigure(file, found.files)));
    $("case-files").replaceChildren(...files);
    $("case-calls").replaceChildren(
      ...found.calls.map((call) =>
        el("li", { testid: "case-call", text: `${formatStaffDateTime(call.created_at)} · ${this.vocabulary.label("call_states", call.state)}` }),
      ),
    );
    this.vocabulary.fillSelect($("case-outcome-select"), "outcomes", found.purpose);
    $("case-outcome-select").value = found.outcome || "";
    $("case-decision-select").value = found.decision || "";
    $("case-replies-sent").replaceChildren(
      ...found.replies.map((reply) =>
        el("li", { testid: "case-reply-sent", text: this.replyText(reply) }),
      ),
    );
    this.inviteForm.show(found);
    $("case-reply-phrases").replaceChildren(
      ...this.phrases.map((phrase) =>
        el("button", {
          type: "button",
          class: "quick-phrase",
          testid: "case-reply-phrase",
          text: phraseText(phrase, staffLocale()),
          onclick: () => this.reply({ phrase_id: phrase.id }),
        }),
      ),
    );
  }

  replyText(reply) {
    const said = reply.text || (reply.phrase_key ? this.phraseById(reply.phrase_key) : "");
    if (!reply.invite_at) return said;
    const invite = t("console.cases.invite_sent", { when: formatStaffDateTime(reply.invite_at, { withZone: true }) });
    return said ? `${invite} ${said}` : invite;
  }

  /** A clip (kept across renders), with its "Take a still" button. */
  clipFigure(file) {
    if (this.clips.has(file.id)) return this.clips.get(file.id);
    const video = el("video", { class: "case-clip", testid: "case-clip", src: file.url, controls: true, preload: "metadata", playsinline: true });
    video.preload = "metadata"; // its length and first frame at once: it plays at once
    const status = el("span", { class: "status", testid: "case-still-status", role: "status" });
    const figure = el(
      "figure",
      { class: "case-file", dataset: { step: file.step, kind: file.kind, fileId: file.id } },
      video,
      el("figcaption", { text: stepName(file.step) }),
      el(
        "div",
        { class: "case-still-row" },
        el("button", { type: "button", class: "link-button", testid: "case-still", text: t("console.cases.still"), onclick: () => this.takeStill(file, video, status) }),
        " ",
        status,
      ),
    );
    this.clips.set(file.id, figure);
    return figure;
  }

  /** The clip's frame now shown, as a JPEG of its own size, kept as a photo of the case. */
  async takeStill(file, video, status) {
    if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || !video.videoWidth) {
      status.textContent = t("console.cases.still_not_ready");
      return;
    }
    const tMs = Math.round(video.currentTime * 1000);
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, STILL_TYPE, STILL_QUALITY));
    if (!blob) {
      status.textContent = t("console.cases.still_not_ready");
      return;
    }
    try {
      const found = await api(`/api/cases/${this.open.id}/files/${file.id}/stills?t_ms=${tMs}`, { method: "POST", file: blob });
      this.open = found;
      this.render(found);
      status.textContent = t("console.cases.still_taken", { time: formatDuration(tMs / 1000) });
    } catch (err) {
      this.fail(err);
    }
  }

  phraseById(key) {
    const phrase = this.phrases.find((item) => String(item.id) === String(key));
    return phrase ? phraseText(phrase, staffLocale()) : "";
  }

  async saveOutcome() {
    const outcome = $("case-outcome-select").value;
    const decision = $("case-decision-select").value;
    if (!outcome || !decision) {
      $("case-outcome-status").textContent = t("console.outcome.choose_first");
      return;
    }
    try {
      const found = await api(`/api/cases/${this.open.id}/outcome`, { method: "PUT", body: { outcome, decision } });
      this.open = found;
      this.render(found);
      $("case-outcome-status").textContent = t("console.cases.saved");
      this.refresh();
    } catch (err) {
      this.fail(err);
    }
  }

  /** Send a reply (text, quick phrase or invitation); whether it was taken. A refused
   *  invitation's reason is told beside its time. */
  async reply(body) {
    try {
      const found = await api(`/api/cases/${this.open.id}/replies`, { method: "POST", body });
      $("case-reply-input").value = "";
      this.open = found;
      this.render(found);
      return true;
    } catch (err) {
      if (body.invite_at) this.inviteForm.refused(err);
      else this.fail(err);
      return false;
    }
  }
}

/** A photo of the case; a still names the clip and the moment it was taken from. */
function photoFigure(file, files) {
  const clip = file.source_file_id ? files.find((item) => item.id === file.source_file_id) : null;
  const caption = file.source_file_id
    ? t("console.cases.still_from", { step: stepName(clip ? clip.step : file.step), time: formatDuration((file.source_t_ms || 0) / 1000) })
    : stepName(file.step);
  return el(
    "figure",
    { class: "case-file", dataset: { step: file.step, kind: file.kind, fileId: file.id, sourceFileId: file.source_file_id || "", sourceTMs: file.source_t_ms ?? "" } },
    el("img", { class: "case-photo", testid: "case-photo", src: file.url, alt: caption }),
    el("figcaption", { text: caption }),
  );
}
