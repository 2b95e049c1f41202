// The console's checklist panel in a call of purpose remote_inspection: the agent picks
// the checklist's items and starts it, then photographs each item with their own camera
// (a one-use capture id per item, the still uploaded with it), sees each photo against
// its item, and sees the buyer's decisions and sign-off arrive (the `inspection`
// message). The report's PDF is one click away.
import { api, get } from "./api.js";
import { PhotoCache, decidedCount, itemLabel, itemRow, pdfLink, signoffNode } from "./inspection_report.js";
import { t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

const PURPOSE = "remote_inspection";
const route = (sessionId) => `/api/sessions/${encodeURIComponent(sessionId)}/inspection`;

export class ConsoleInspection {
  /** `takePhoto()`: a still of the agent's own camera (a Blob); `fail(err)`: say an error. */
  constructor({ takePhoto, fail }) {
    this.takePhoto = takePhoto;
    this.fail = fail;
    this.sessionId = null;
    this.report = null;
    this.templates = null;
    this.busy = new Set(); // items being photographed
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

  /** Before it starts: the checklist's items to choose from, all chosen. */
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
              el("span", { class: "muted", text: t("inspection.photos_needed", { count: item.photos }) }),
            ),
          ),
        ),
      );
    };
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
        extra: signed
          ? []
          : [
              el("button", {
                type: "button",
                class: item.photo_ids.length < item.photos_required ? "primary" : "",
                testid: "inspection-shoot",
                disabled: this.busy.has(item.key),
                text: t(this.busy.has(item.key) ? "inspection.shooting" : item.photo_ids.length ? "inspection.shoot_more" : "inspection.shoot"),
                onclick: () => this.shoot(item.key),
              }),
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
  }

  /** Photograph item `key`: a capture id, a still of the agent's camera, the upload. */
  async shoot(key) {
    if (this.busy.has(key)) return;
    this.busy.add(key);
    this.status.textContent = "";
    this.render();
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
}
