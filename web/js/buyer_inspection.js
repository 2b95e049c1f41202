// The buyer's side of a remote inspection: the checklist the agent works through, each
// item's photos as they arrive and its video clip (a stretch of the call's recording the
// agent films it in: being filmed, then its length), the buyer's approve or reject (with a reason) per item,
// and the sign-off of the whole inspection with the buyer's typed name; the report as a
// PDF from the buyer's own link. During the call it is a sheet over the bottom of the
// picture (opened as the list and the shots arrive, closed by the buyer); after the call
// it sits on the ended screen. Words from the buyer catalogues (i18n.js).
import { ApiError, api, get } from "./api.js";
import { currentLocale, formatDateTime, formatElapsed, has, t } from "./i18n.js";
import { $, el } from "./ui.js";

const base = (sessionId) => `/api/buyer/sessions/${encodeURIComponent(sessionId)}/inspection`;
const DECIDED = new Set(["approved", "rejected"]);
const STATE_WORDS = {
  pending: "inspection.state.pending",
  shot: "inspection.state.shot",
  approved: "inspection.state.approved",
  rejected: "inspection.state.rejected",
};
const SIGNED_WORDS = {
  approved: "inspection.signoff.done_approved",
  rejected: "inspection.signoff.done_rejected",
};

/** Whether the item's clip is finished (an item that needs none counts as done). */
function clipDone(item) {
  return !item.clip_required || Boolean(item.clip && item.clip.end_ms !== null);
}

/** Whether the item has its photos and clip, so the buyer may decide it. */
function evidenceDone(item) {
  return item.photo_ids.length >= item.photos_required && clipDone(item);
}

export class BuyerInspection {
  /** `say(key)`: show a catalogue sentence in the page's notice; `unsay(key)`: take the
   *  notice away if it still shows `key` (what the sheet said, once the buyer's next
   *  decision or sign-off has gone through). */
  constructor({ say, unsay = () => {} }) {
    this.said = null;
    this.say = (key) => {
      this.said = key;
      say(key);
    };
    this.unsay = () => {
      if (this.said) unsay(this.said);
      this.said = null;
    };
    this.sessionId = null;
    this.report = null;
    this.open = false;
    this.rejecting = new Set(); // items whose reason field is shown
    this.drafts = new Map(); // item key -> the reason typed so far
    this.signoffDraft = { name: "", reason: "" }; // kept when the list is drawn again
    this.sheet = el("section", {
      class: "inspection-sheet",
      testid: "inspection",
      "aria-labelledby": "inspection-title",
      hidden: true,
    });
    this.toggle = el("button", {
      type: "button",
      class: "inspection-toggle",
      testid: "inspection-toggle",
      "aria-expanded": "false",
      hidden: true,
      onclick: () => this.setOpen(!this.open),
    });
    this.loading = null;
  }

  /** Show the inspection of call `sessionId`: `where` is "live" (a sheet over the call
   *  screen, once an `inspection` message says it started) or "ended" (in the ended
   *  screen's flow, read at once when `started` or already shown). */
  async attach(sessionId, where, started = false) {
    const changed = this.sessionId !== sessionId;
    this.sessionId = sessionId;
    this.where = where;
    if (changed) {
      this.report = null;
      this.rejecting.clear();
      this.drafts.clear();
      this.signoffDraft = { name: "", reason: "" };
    }
    if (where === "live") {
      $("end-call", $("live")).before(this.toggle);
      $(".stage", $("live")).append(this.sheet);
    } else {
      $("call-ended").append(this.sheet);
      this.toggle.hidden = true;
    }
    this.sheet.dataset.where = where;
    if (this.report) this.render();
    if (where === "ended" && (started || this.report)) await this.reload();
  }

  /** The `inspection` message: read the report again; new shots or clips open the sheet. */
  async changed(message) {
    if (!this.sessionId || message.session_id !== this.sessionId) return;
    const before = this.report ? this.shotCount(this.report) : -1;
    await this.reload();
    if (this.report && this.where === "live") {
      const after = this.shotCount(this.report);
      if (before < 0 || after > before) this.setOpen(true);
    }
  }

  /** The photos and finished clips of the report. */
  shotCount(report) {
    return report.items.reduce((sum, item) => sum + item.photo_ids.length + (item.clip_required && clipDone(item) ? 1 : 0), 0);
  }

  async reload() {
    const sessionId = this.sessionId;
    let report;
    try {
      report = await get(base(sessionId));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        this.hide();
        return;
      }
      this.sayError(err);
      return;
    }
    if (sessionId !== this.sessionId) return;
    const first = this.report === null;
    this.report = report;
    this.render();
    if (first && this.where === "live") this.setOpen(true);
  }

  hide() {
    this.report = null;
    this.sheet.hidden = true;
    this.toggle.hidden = true;
  }

  /** Words again, in the page's (new) language. */
  repaint() {
    if (this.report) this.render();
  }

  setOpen(open) {
    this.open = open;
    this.sheet.hidden = !this.report || (this.where === "live" && !open);
    this.toggle.setAttribute("aria-expanded", String(open));
    this.renderToggle();
  }

  renderToggle() {
    if (!this.report || this.where !== "live") {
      this.toggle.hidden = true;
      return;
    }
    const waiting = this.report.items.filter((item) => item.state === "shot").length;
    this.toggle.hidden = false;
    this.toggle.replaceChildren(
      ...[
        el("span", { text: t(this.open ? "inspection.hide" : "inspection.show") }),
        waiting ? el("span", { class: "inspection-badge", testid: "inspection-waiting", text: String(waiting) }) : null,
      ].filter(Boolean),
    );
  }

  sayError(err) {
    const key = err instanceof ApiError && err.code ? `error.${err.code}` : "";
    this.say(key && has(key) ? key : "error.unknown");
  }

  render() {
    const report = this.report;
    const signed = report.signoff;
    const decided = report.items.filter((item) => DECIDED.has(item.state)).length;
    const head = el(
      "div",
      { class: "inspection-head" },
      el("h2", { id: "inspection-title", text: t("inspection.title") }),
      el("span", {
        class: "inspection-progress",
        testid: "inspection-progress",
        text: t("inspection.progress", { done: decided, total: report.items.length }),
      }),
      this.where === "live"
        ? el("button", {
            type: "button",
            class: "link-button inspection-close",
            testid: "inspection-close",
            text: t("inspection.hide"),
            onclick: () => this.setOpen(false),
          })
        : null,
    );
    const intro = signed ? null : el("p", { class: "inspection-intro", text: t("inspection.intro") });
    const list = el(
      "ol",
      { class: "checklist", testid: "checklist" },
      report.items.map((item) => this.itemNode(item, Boolean(signed))),
    );
    const pdf = el("a", {
      class: "inspection-pdf",
      testid: "inspection-pdf",
      href: report.pdf_url,
      target: "_blank",
      rel: "noopener",
      text: t("inspection.pdf"),
    });
    this.sheet.replaceChildren(...[head, intro, list, this.signoffNode(report, decided), pdf].filter(Boolean));
    this.sheet.dataset.signed = signed ? signed.decision : "";
    this.setOpen(this.open);
  }

  itemNode(item, signed) {
    const label = (item.labels && item.labels[currentLocale()]) || item.label;
    const needed = Math.max(item.photos_required - item.photo_ids.length, 0);
    const photos = item.photo_urls.map((url, n) =>
      el(
        "a",
        { class: "checklist-photo", href: url, target: "_blank", rel: "noopener" },
        el("img", {
          src: url,
          alt: t("inspection.photo_alt", { item: label, number: n + 1 }),
          loading: "lazy",
          testid: "checklist-photo",
        }),
      ),
    );
    const stateWords = item.state === "pending" && !needed && !clipDone(item) ? "inspection.state.pending_clip" : STATE_WORDS[item.state];
    const parts = [
      el(
        "div",
        { class: "checklist-line" },
        el("strong", { class: "checklist-label", text: label }),
        el("span", {
          class: "checklist-state",
          testid: "checklist-state",
          dataset: { state: item.state },
          text: t(stateWords),
        }),
      ),
      photos.length ? el("div", { class: "checklist-photos" }, photos) : null,
      needed ? el("p", { class: "muted checklist-needed", text: t("inspection.photos_needed", { count: needed }) }) : null,
      item.clip_required ? this.clipNode(item) : null,
      item.state === "rejected" && item.reason
        ? el("p", { class: "checklist-reason", testid: "checklist-reason", text: t("inspection.reason_given", { reason: item.reason }) })
        : null,
    ];
    if (!signed && evidenceDone(item)) parts.push(this.decisionNode(item));
    return el(
      "li",
      { class: "checklist-item", testid: "checklist-item", dataset: { item: item.key, state: item.state } },
      parts,
    );
  }

  /** The item's clip: still to come, being filmed now, or filmed (its length). */
  clipNode(item) {
    const clip = item.clip;
    const state = !clip ? "missing" : clip.end_ms === null ? "recording" : "done";
    const text =
      state === "done"
        ? t("inspection.clip_done", { length: formatElapsed(Math.round((clip.end_ms - clip.start_ms) / 1000)) })
        : t(state === "recording" ? "inspection.clip_recording" : "inspection.clip_needed");
    return el("p", { class: `checklist-clip ${state === "done" ? "" : "muted"}`, testid: "checklist-clip", dataset: { state }, text });
  }

  decisionNode(item) {
    const reasonShown = this.rejecting.has(item.key);
    const reason = el("textarea", {
      class: "item-reason",
      testid: "item-reason",
      rows: "2",
      maxlength: "1000",
      "aria-label": t("inspection.reason"),
      placeholder: t("inspection.reason"),
      hidden: !reasonShown,
      oninput: (event) => this.drafts.set(item.key, event.target.value),
    });
    reason.value = this.drafts.get(item.key) || "";
    const approve = el("button", {
      type: "button",
      class: item.state === "approved" ? "primary" : "",
      testid: "item-approve",
      "aria-pressed": String(item.state === "approved"),
      text: t("inspection.approve"),
      onclick: () => this.decide(item.key, "approved", null),
    });
    const reject = el("button", {
      type: "button",
      class: item.state === "rejected" ? "danger" : "",
      testid: "item-reject",
      "aria-pressed": String(item.state === "rejected"),
      text: t(reasonShown ? "inspection.reject_send" : "inspection.reject"),
      onclick: () => {
        if (!this.rejecting.has(item.key)) {
          this.rejecting.add(item.key);
          this.render();
          this.focusReason(item.key);
          return;
        }
        const text = (this.drafts.get(item.key) || "").trim();
        if (!text) {
          this.say("error.reason_required");
          this.focusReason(item.key);
          return;
        }
        this.decide(item.key, "rejected", text);
      },
    });
    return el("div", { class: "checklist-decide" }, reason, el("div", { class: "buttons" }, approve, reject));
  }

  focusReason(key) {
    const node = this.sheet.querySelector(`[data-item="${CSS.escape(key)}"] [data-testid="item-reason"]`);
    if (node) node.focus();
  }

  async decide(key, decision, reason) {
    try {
      this.report = await api(`${base(this.sessionId)}/items/${encodeURIComponent(key)}/decision`, {
        method: "POST",
        body: { decision, reason },
        as: "buyer",
      });
      this.rejecting.delete(key);
      this.drafts.delete(key);
      this.unsay();
      this.render();
    } catch (err) {
      this.sayError(err);
    }
  }

  signoffNode(report, decided) {
    const signed = report.signoff;
    if (signed) {
      const when = formatDateTime(signed.at);
      return el(
        "section",
        { class: "inspection-signoff", testid: "inspection-signoff", dataset: { decision: signed.decision } },
        el("h3", { text: t("inspection.signoff.title") }),
        el("p", {
          class: "signoff-done",
          testid: "signoff-done",
          text: t(SIGNED_WORDS[signed.decision], { name: signed.name, when }),
        }),
        signed.reason ? el("p", { class: "checklist-reason", text: t("inspection.reason_given", { reason: signed.reason }) }) : null,
      );
    }
    const ready = decided === report.items.length;
    const name = el("input", {
      type: "text",
      testid: "signoff-name",
      maxlength: "100",
      autocomplete: "name",
      disabled: !ready,
      oninput: (event) => (this.signoffDraft.name = event.target.value),
    });
    const reason = el("textarea", {
      testid: "signoff-reason",
      rows: "2",
      maxlength: "1000",
      disabled: !ready,
      oninput: (event) => (this.signoffDraft.reason = event.target.value),
    });
    name.value = this.signoffDraft.name;
    reason.value = this.signoffDraft.reason;
    const send = async (decision) => {
      const typed = name.value.trim();
      const why = reason.value.trim();
      if (!typed) {
        this.say("error.name_required");
        name.focus();
        return;
      }
      if (decision === "rejected" && !why) {
        this.say("error.reason_required");
        reason.focus();
        return;
      }
      try {
        this.report = await api(`${base(this.sessionId)}/signoff`, {
          method: "POST",
          body: { decision, reason: why || null, name: typed },
          as: "buyer",
        });
        this.unsay();
        this.render();
      } catch (err) {
        this.sayError(err);
      }
    };
    return el(
      "section",
      { class: "inspection-signoff", testid: "inspection-signoff", dataset: { decision: "" } },
      el("h3", { text: t("inspection.signoff.title") }),
      el("p", { class: "muted", text: t(ready ? "inspection.signoff.text" : "inspection.signoff.wait") }),
      el("label", {}, el("span", { text: t("inspection.signoff.name") }), name),
      el("label", {}, el("span", { text: t("inspection.signoff.reason") }), reason),
      el(
        "div",
        { class: "buttons" },
        el("button", {
          type: "button",
          class: "primary",
          testid: "signoff-approve",
          disabled: !ready,
          text: t("inspection.signoff.approve"),
          onclick: () => send("approved"),
        }),
        el("button", {
          type: "button",
          class: "danger",
          testid: "signoff-reject",
          disabled: !ready,
          text: t("inspection.signoff.reject"),
          onclick: () => send("rejected"),
        }),
      ),
    );
  }
}
