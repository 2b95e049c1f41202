// The console's checklist panel in a call of purpose remote_inspection: the agent picks
// the checklist's items and starts it, then photographs each item with their own camera
// (a one-use capture id per item, the still uploaded with it), sees each photo against
// its item, records the clip of an item that needs one ("Record clip" and "Stop": the
// server marks that stretch of the call's own recording, stopped by itself at
// CLIP_MAX_MS), and sees the buyer's decisions and sign-off arrive (the `inspection`
// message). The report's PDF is one click away. While the agent's phone is the live
// camera, "Take photo" has the phone take it (`phone_camera_photo`): the item waits for
// the photo's `inspection` message, the phone's `phone_camera_photo_failed`, a refusal,
// or PHONE_PHOTO_WAIT_MS, whichever comes first.
import { api, get } from "./api.js";
import { PhotoCache, clipMissing, decidedCount, itemLabel, itemRow, pdfLink, signoffNode } from "./inspection_report.js";
import { t } from "./staff_i18n.js";
import { $, el, formatDuration } from "./ui.js";

const PURPOSE = "remote_inspection";
const CLIP_MAX_MS = 60_000; // the server's own maximum: a clip stops by itself there
const DECIDED = new Set(["approved", "rejected"]);
const PHONE_PHOTO_WAIT_MS = 20_000; // the phone takes, uploads and the server tells: a few s
const PHONE_PROBLEMS = {
  camera_off: "inspection.phone_failed.camera_off",
  upload_failed: "inspection.phone_failed.upload_failed",
};
const route = (sessionId) => `/api/sessions/${encodeURIComponent(sessionId)}/inspection`;

export class ConsoleInspection {
  /**
   * `takePhoto()`: a still of the agent's own camera (a Blob); `phone`: the agent's phone
   * as the camera (`live`: its picture reaches the buyer; `ask(sessionId, captureId)`:
   * have it take the photo); `orderOf(sessionId)`: the call's order (or null), whose
   * lines' product categories pick the checklist template; `fail(err)`: say an error.
   */
  constructor({ takePhoto, phone, orderOf = () => null, fail }) {
    this.takePhoto = takePhoto;
    this.phone = phone;
    this.orderOf = orderOf;
    this.fail = fail;
    this.waiting = null; // {key, captureId, before, timer}: a photo asked of the phone
    this.sessionId = null;
    this.report = null;
    this.templates = null;
    this.busy = new Set(); // items being photographed, or whose clip is starting or stopping
    this.callStartMs = null; // the call clock's zero (epoch ms), for a clip being recorded
    this.clipTimer = null; // ticks the running clip's time, stops it at CLIP_MAX_MS
    this.photos = new PhotoCache();
    this.panel = el("section", {
      class: "inspection-panel",
      testid: "console-inspection",
      "aria-labelledby": "console-inspection-title",
      hidden: true,
    });
    this.status = el("p", { class: "status", testid: "inspection-status", role: "status" });
  }

  /** A call message: show the panel for an inspection call, hide it for any other. */
  async attach(call) {
    if (call.purpose !== PURPOSE) {
      this.detach();
      return;
    }
    const stage = $(".call-stage", $("call-view"));
    if (this.panel.parentElement !== stage) $("evidence").before(this.panel);
    $("call-view").dataset.inspection = "true";
    this.callStartMs = call.started_at_ms ?? null;
    if (this.sessionId === call.session_id) return; // the same call again (reconnected)
    this.sessionId = call.session_id;
    this.report = null;
    this.photos.clear();
    this.panel.hidden = false;
    // a started inspection reaches a joining page as an `inspection` message; until
    // then the panel offers to start one
    await this.renderStart();
  }

  detach() {
    this.stopWaiting();
    this.stopTicking();
    this.sessionId = null;
    this.report = null;
    this.photos.clear();
    this.panel.hidden = true;
    this.panel.replaceChildren();
    delete $("call-view").dataset.inspection;
  }

  /** The `inspection` message: read the report again. */
  async changed(message) {
    if (message.session_id === this.sessionId) await this.reload();
  }

  async reload() {
    const sessionId = this.sessionId;
    try {
      const report = await get(route(sessionId));
      if (sessionId !== this.sessionId) return;
      this.report = report;
      this.photoArrived();
      this.render();
    } catch (err) {
      if (sessionId === this.sessionId) this.fail(err);
    }
  }

  head(extra = []) {
    return el(
      "div",
      { class: "inspection-panel-head" },
      el("h3", { id: "console-inspection-title", text: t("inspection.title") }),
      extra,
    );
  }

  /** Before it starts: the checklist's items to choose from, all chosen; the template
   *  is the one of the order's product category (`templateFor`). */
  async renderStart() {
    if (!this.templates) {
      try {
        this.templates = await get("/api/inspection-templates");
      } catch (err) {
        this.fail(err);
        return;
      }
    }
    if (this.report || !this.sessionId) return; // it started meanwhile
    const select = el(
      "select",
      { testid: "inspection-template", "aria-label": t("inspection.template") },
      this.templates.map((template) =>
        el("option", { value: template.key, text: template.name.en || template.key }),
      ),
    );
    const list = el("ul", { class: "inspection-picks", testid: "inspection-picks" });
    const fill = () => {
      const template = this.templates.find((one) => one.key === select.value) || this.templates[0];
      list.replaceChildren(
        ...template.items.map((item) =>
          el(
            "li",
            {},
            el(
              "label",
              { class: "checkbox inspection-pick" },
              el("input", { type: "checkbox", checked: true, value: item.key, testid: "inspection-pick", dataset: { item: item.key } }),
              el("span", { text: itemLabel({ labels: item.labels, label: item.key }) }),
              el("span", { class: "muted", text: needsWords(item) }),
            ),
          ),
        ),
      );
    };
    select.value = templateFor(this.templates, this.orderOf(this.sessionId)).key;
    select.addEventListener("change", fill);
    fill();
    const start = el("button", {
      type: "button",
      class: "primary",
      testid: "inspection-start",
      text: t("inspection.start"),
      onclick: async () => {
        const items = [...list.querySelectorAll("input:checked")].map((box) => box.value);
        if (!items.length) {
          this.status.textContent = t("inspection.choose_items");
          return;
        }
        start.disabled = true;
        try {
          this.report = await api(route(this.sessionId), {
            method: "POST",
            body: { template: select.value, items },
          });
          this.render();
        } catch (err) {
          this.fail(err, this.status);
          start.disabled = false;
        }
      },
    });
    this.status.textContent = "";
    this.panel.replaceChildren(
      ...[
        this.head(),
        el("p", { class: "hint", text: t("inspection.pick_hint") }),
        this.templates.length > 1 ? select : null,
        list,
        el("div", { class: "form-actions" }, start, this.status),
      ].filter(Boolean),
    );
  }

  render() {
    const report = this.report;
    const signed = Boolean(report.signoff);
    const rows = report.items.map((item) =>
      itemRow(item, this.photos, {
        recordingStartMs: report.recording_start_ms,
        extra: signed
          ? []
          : [
              el(
                "div",
                { class: "buttons inspection-actions" },
                el("button", {
                  type: "button",
                  class: item.photo_ids.length < item.photos_required ? "primary" : "",
                  testid: "inspection-shoot",
                  disabled: this.busy.has(item.key),
                  text: t(this.busy.has(item.key) ? "inspection.shooting" : item.photo_ids.length ? "inspection.shoot_more" : "inspection.shoot"),
                  onclick: () => this.shoot(item.key),
                }),
                item.clip_required ? this.clipButton(item) : null,
              ),
            ],
      }),
    );
    this.panel.dataset.signed = report.signoff ? report.signoff.decision : "";
    this.panel.replaceChildren(
      this.head([
        el("span", {
          class: "count",
          testid: "inspection-progress",
          text: t("inspection.progress", { done: decidedCount(report), total: report.items.length }),
        }),
        pdfLink(report),
      ]),
      el("ol", { class: "inspection-list", testid: "inspection-list" }, rows),
      signoffNode(report),
      this.status,
    );
    this.tick();
  }

  /** The item's clip button: "Record clip" (again), or "Stop clip" with its time so far. */
  clipButton(item) {
    const recording = item.clip && item.clip.end_ms === null;
    if (recording) {
      return el("button", {
        type: "button",
        class: "danger",
        testid: "inspection-clip-stop",
        dataset: { item: item.key },
        disabled: this.busy.has(item.key),
        text: t("inspection.clip_stop", { elapsed: formatDuration(this.clipElapsedMs(item) / 1000), max: formatDuration(CLIP_MAX_MS / 1000) }),
        onclick: () => this.clip(item.key, "stop"),
      });
    }
    return el("button", {
      type: "button",
      class: clipMissing(item) ? "primary" : "",
      testid: "inspection-clip-record",
      dataset: { item: item.key },
      disabled: this.busy.has(item.key) || DECIDED.has(item.state) || this.recordingItem() !== null,
      text: t(item.clip ? "inspection.clip_again" : "inspection.clip_record"),
      onclick: () => this.clip(item.key, "start"),
    });
  }

  /** The item whose clip is being recorded, or null. */
  recordingItem() {
    return (this.report && this.report.items.find((item) => item.clip && item.clip.end_ms === null)) || null;
  }

  /** How long the item's running clip has been recorded, by the call clock. */
  clipElapsedMs(item) {
    if (this.callStartMs === null) return 0;
    return Math.max(0, Date.now() - this.callStartMs - item.clip.start_ms);
  }

  /** While a clip is recorded: its button counts the time, and at CLIP_MAX_MS it stops. */
  tick() {
    const item = this.recordingItem();
    if (!item || this.report.signoff) {
      this.stopTicking();
      return;
    }
    if (this.clipTimer) return;
    this.clipTimer = setInterval(() => {
      const running = this.recordingItem();
      if (!running) {
        this.stopTicking();
        return;
      }
      if (this.clipElapsedMs(running) >= CLIP_MAX_MS) {
        this.stopTicking();
        this.clip(running.key, "stop");
        return;
      }
      const button = this.panel.querySelector(`[data-testid="inspection-clip-stop"][data-item="${CSS.escape(running.key)}"]`);
      if (button) {
        button.textContent = t("inspection.clip_stop", { elapsed: formatDuration(this.clipElapsedMs(running) / 1000), max: formatDuration(CLIP_MAX_MS / 1000) });
      }
    }, 250);
  }

  stopTicking() {
    if (this.clipTimer) clearInterval(this.clipTimer);
    this.clipTimer = null;
  }

  /** Start or stop item `key`'s clip: the server marks that moment of the call. */
  async clip(key, action) {
    if (this.busy.has(key)) return;
    this.busy.add(key);
    this.status.textContent = "";
    this.render();
    try {
      const path = `${route(this.sessionId)}/items/${encodeURIComponent(key)}/clip${action === "stop" ? "/stop" : ""}`;
      this.report = await api(path, { method: "POST" });
    } catch (err) {
      this.fail(err, this.status);
    } finally {
      this.busy.delete(key);
      if (this.report) this.render();
    }
  }

  /** Photograph item `key`: a capture id, a still of the agent's camera, the upload;
   *  or, while the phone is the live camera, the capture id asked of the phone. */
  async shoot(key) {
    if (this.busy.has(key) || this.waiting) return;
    this.busy.add(key);
    this.status.textContent = "";
    delete this.status.dataset.state;
    this.render();
    if (this.phone.live) {
      await this.shootWithPhone(key);
      return;
    }
    try {
      let photo;
      try {
        photo = await this.takePhoto();
      } catch {
        this.status.textContent = t("inspection.camera_off");
        return;
      }
      const { capture_id: captureId } = await api(`${route(this.sessionId)}/captures`, {
        method: "POST",
        body: { item: key },
      });
      await api(`${route(this.sessionId)}/photos?capture_id=${encodeURIComponent(captureId)}`, {
        method: "POST",
        file: photo.type ? photo : new Blob([photo], { type: "image/jpeg" }),
      });
    } catch (err) {
      this.fail(err, this.status);
    } finally {
      this.busy.delete(key);
      if (this.report) this.render();
    }
  }

  async shootWithPhone(key) {
    const sessionId = this.sessionId;
    let captureId;
    try {
      ({ capture_id: captureId } = await api(`${route(sessionId)}/captures`, {
        method: "POST",
        body: { item: key },
      }));
    } catch (err) {
      this.fail(err, this.status);
      this.busy.delete(key);
      if (this.report) this.render();
      return;
    }
    if (sessionId !== this.sessionId) return;
    const item = this.report.items.find((one) => one.key === key);
    this.waiting = {
      key,
      captureId,
      before: item ? item.photo_ids.length : 0,
      timer: setTimeout(() => this.phoneGaveUp("inspection.phone_timeout"), PHONE_PHOTO_WAIT_MS),
    };
    this.status.textContent = t("inspection.phone_waiting");
    this.status.dataset.state = "waiting";
    this.phone.ask(sessionId, captureId);
  }

  /** The report shows the photo the phone was asked for: the item is done waiting. */
  photoArrived() {
    if (!this.waiting) return;
    const item = this.report.items.find((one) => one.key === this.waiting.key);
    if (!item || item.photo_ids.length <= this.waiting.before) return;
    this.stopWaiting();
    this.status.textContent = "";
    delete this.status.dataset.state;
  }

  /** The phone's `phone_camera_photo_failed`: say why, the item can be shot again. */
  phoneFailed(message) {
    if (!this.waiting || message.session_id !== this.sessionId) return;
    if (message.capture_id !== this.waiting.captureId) return;
    this.phoneGaveUp(PHONE_PROBLEMS[message.problem] || PHONE_PROBLEMS.upload_failed);
  }

  /** The server refused `phone_camera_photo` (the phone is not the live camera now). */
  phoneRefused() {
    if (this.waiting) this.phoneGaveUp("inspection.phone_not_live");
  }

  phoneGaveUp(words) {
    if (!this.waiting) return;
    this.stopWaiting();
    this.status.textContent = t(words);
    this.status.dataset.state = "failed";
    if (this.report) this.render();
  }

  stopWaiting() {
    if (!this.waiting) return;
    clearTimeout(this.waiting.timer);
    this.busy.delete(this.waiting.key);
    this.waiting = null;
  }
}

/**
 * The template an inspection of `order` starts with: the one whose category is that of
 * the first order line whose category has a template (trimmed, any case), else the
 * first template.
 */
export function templateFor(templates, order) {
  const fold = (text) => String(text || "").trim().toLocaleLowerCase("en");
  for (const line of (order && order.lines) || []) {
    const wanted = fold(line.category);
    if (!wanted) continue;
    const found = templates.find((template) => fold(template.category) === wanted);
    if (found) return found;
  }
  return templates[0];
}

/** What a checklist item asks for, as the start list shows it. */
function needsWords(item) {
  if (!item.clip_required) return t("inspection.photos_needed", { count: item.photos });
  if (!item.photos) return t("inspection.clip_only");
  return `${t("inspection.photos_needed", { count: item.photos })} ${t("inspection.clip_needed")}`;
}
