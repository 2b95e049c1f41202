// /admin's "Inspection checklists": the checklist templates an agent starts a remote
// inspection with, per product category: add, rename and delete templates, add, reorder,
// edit and remove their items (a label per buyer language, English required, the photos
// each needs and whether it needs a clip of the call's recording; with a clip, no photo
// may be asked), save the whole set, or go back to the shipped templates.
// GET / PUT / DELETE /api/inspection-template-set; the server checks them.
import { del, get, put } from "./api.js";
import { confirmAction } from "./confirm.js";
import { attempt, listItem, sectionLines } from "./admin_item_list.js";
import { t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

const MAX_PHOTOS = 10;
const lines = sectionLines("tmpl");
let vocabulary = null;
let templates = []; // the set as edited: [{key, category, name, items: [{key, labels, photos, clip_required}]}]
let shown = 0; // the index of the template on show

/** Start the section: `vocab` names the buyer languages. */
export function mountInspectionTemplates(vocab) {
  vocabulary = vocab;
  $("tmpl-pick").addEventListener("change", () => {
    shown = Number($("tmpl-pick").value);
    render();
  });
  $("tmpl-add").addEventListener("click", () => {
    templates.push({ key: null, category: "", name: { en: "" }, items: [newItem()] });
    shown = templates.length - 1;
    render();
    $("tmpl-name").focus();
  });
  $("tmpl-delete").addEventListener("click", () => {
    templates.splice(shown, 1);
    shown = Math.max(0, shown - 1);
    render();
  });
  $("tmpl-name").addEventListener("input", (event) => {
    templates[shown].name.en = event.target.value;
    renderPick();
  });
  $("tmpl-category").addEventListener("input", (event) => {
    templates[shown].category = event.target.value;
  });
  $("tmpl-item-add").addEventListener("click", () => {
    templates[shown].items.push(newItem());
    render();
    const inputs = document.querySelectorAll('[data-testid="tmpl-item-label-en"]');
    inputs[inputs.length - 1].focus();
  });
  $("tmpl-save").addEventListener("click", save);
  $("tmpl-reset").addEventListener("click", reset);
  return load();
}

function newItem() {
  return { key: null, labels: { en: "" }, photos: 1, clip_required: false };
}

async function load() {
  const found = await get("/api/inspection-template-set");
  templates = structuredClone(found.templates);
  shown = Math.min(shown, templates.length - 1);
  $("tmpl-origin").textContent = t(found.customized ? "admin.tmpl.own" : "admin.tmpl.shipped");
  $("tmpl-reset").disabled = !found.customized;
  render();
}

function titleOf(template) {
  const name = template.name.en || t("admin.tmpl.untitled");
  return template.category ? `${name} (${template.category})` : name;
}

function renderPick() {
  const select = $("tmpl-pick");
  select.replaceChildren(
    ...templates.map((template, index) => {
      const option = el("option", { text: titleOf(template) });
      option.value = String(index);
      return option;
    }),
  );
  select.value = String(shown);
}

/** One item: its English label, the photos it needs and whether it needs a clip, the
 * other languages folded, moves. */
function itemRow(items, item, index) {
  const count = el("input", {
    type: "number",
    min: item.clip_required ? "0" : "1",
    max: String(MAX_PHOTOS),
    step: "1",
    testid: "tmpl-item-photos",
    value: String(item.photos),
    oninput: (event) => {
      item.photos = Number(event.target.value);
    },
  });
  const photos = el("label", { class: "tmpl-photos" }, el("span", { text: t("admin.tmpl.photos") }), count);
  const clip = el(
    "label",
    { class: "checkbox tmpl-clip" },
    el("input", {
      type: "checkbox",
      testid: "tmpl-item-clip",
      checked: Boolean(item.clip_required),
      onchange: (event) => {
        item.clip_required = event.target.checked;
        count.min = item.clip_required ? "0" : "1";
      },
    }),
    el("span", { text: t("admin.tmpl.clip") }),
  );
  return listItem({
    list: items,
    index,
    key: item.key,
    texts: item.labels,
    englishWords: "admin.tmpl.label_en",
    asks: [photos, clip],
    vocabulary,
    render,
    ids: { item: "tmpl-item", text: "tmpl-item-label", move: "tmpl-item" },
  });
}

function render() {
  renderPick();
  const template = templates[shown];
  $("tmpl-name").value = template.name.en || "";
  $("tmpl-category").value = template.category || "";
  $("tmpl-delete").disabled = templates.length === 1;
  $("tmpl-items").replaceChildren(...template.items.map((item, index) => itemRow(template.items, item, index)));
}

async function save() {
  const body = { templates: templates.map(({ key, category, name, items }) => ({ key, category, name, items })) };
  await attempt(lines, async () => {
    await put("/api/inspection-template-set", body);
    await load();
  }, t("admin.tmpl.saved"));
}

async function reset() {
  if (!(await confirmAction(t("admin.tmpl.reset_action"), t("admin.tmpl.reset_text")))) return;
  await attempt(lines, async () => {
    await del("/api/inspection-template-set");
    shown = 0;
    await load();
  }, t("admin.tmpl.reset_done"));
}
