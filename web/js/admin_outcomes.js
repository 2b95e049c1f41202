// /admin's "Outcomes": the shop's outcome codes in their return-reason categories. An
// admin adds a code or a category, renames either, moves a code to another category,
// and retires one (or brings it back). Nothing is deleted: a retired code is no longer
// offered for a new verdict but stays on the calls that have it and in their history.
// GET /api/outcome-taxonomy, POST/PATCH /api/outcome-codes and /api/outcome-categories.
import { api, get, patch, post } from "./api.js";
import { confirmAction } from "./confirm.js";
import { fail } from "./page.js";
import { t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

let categories = [];

/** Start the section. */
export function mountOutcomes() {
  $("#outcome-add-form").addEventListener("submit", addCode);
  $("#category-add-form").addEventListener("submit", addCategory);
  return loadOutcomes();
}

/** After a change: the browser's kept copy of the vocabulary (which the other staff pages
 * read their outcome selects and labels from) is asked again, so they show it at once. */
function refreshVocabulary() {
  api("/api/vocabulary", { cache: "reload" }).catch(() => {});
}

async function loadOutcomes() {
  const data = await get("/api/outcome-taxonomy");
  categories = data.categories;
  const active = categories.filter((c) => !c.retired_at);
  const select = $("outcome-new-category");
  const chosen = select.value;
  select.replaceChildren(...active.map((c) => new Option(c.label, c.code)));
  if (chosen) select.value = chosen;
  $("outcome-categories").replaceChildren(
    ...categories.map((category) =>
      categoryItem(category, data.codes.filter((code) => code.category === category.code)),
    ),
  );
}

function showError(err) {
  fail(err, $("outcome-error"));
}

async function change(path, body) {
  $("outcome-error").hidden = true;
  try {
    await patch(path, body);
    refreshVocabulary();
    await loadOutcomes();
  } catch (err) {
    showError(err);
  }
}

/** A label with a rename box that opens on "Rename". */
function renamer(item, path, testid) {
  const input = el("input", { type: "text", maxlength: "80", value: item.label, testid: `${testid}-label` });
  const form = el(
    "form",
    {
      class: "inline-form",
      hidden: true,
      onsubmit: (event) => {
        event.preventDefault();
        const label = input.value.trim();
        if (label) change(path, { label });
      },
    },
    el("label", {}, el("span", { class: "visually-hidden", text: t("admin.outcomes.new_label") }), input),
    el("button", { type: "submit", testid: `${testid}-save`, text: t("admin.outcomes.save") }),
  );
  const open = el("button", {
    type: "button",
    class: "link-button",
    testid: `${testid}-rename`,
    text: t("admin.outcomes.rename"),
    onclick: () => {
      form.hidden = !form.hidden;
      if (!form.hidden) input.focus();
    },
  });
  return { open, form };
}

function retireButton(item, path, testid) {
  const retired = Boolean(item.retired_at);
  return el("button", {
    type: "button",
    class: "link-button",
    testid: `${testid}-${retired ? "restore" : "retire"}`,
    text: t(retired ? "admin.outcomes.restore" : "admin.outcomes.retire"),
    onclick: async () => {
      if (!retired) {
        const sure = await confirmAction(
          t("admin.outcomes.retire_action", { label: item.label }),
          t("admin.outcomes.retire_text"),
        );
        if (!sure) return;
      }
      change(path, { retired: !retired });
    },
  });
}

function categoryItem(category, codes) {
  const path = `/api/outcome-categories/${encodeURIComponent(category.code)}`;
  const rename = renamer(category, path, "category");
  return el(
    "li",
    { class: "outcome-category", testid: "outcome-category", dataset: { code: category.code, retired: category.retired_at ? "true" : "false" } },
    el(
      "div",
      { class: "outcome-category-head" },
      el("strong", { testid: "category-name", text: category.label }),
      el("code", { text: category.code }),
      category.retired_at ? el("span", { class: "badge", text: t("admin.outcomes.retired") }) : null,
      rename.open,
      retireButton(category, path, "category"),
    ),
    rename.form,
    el("ul", { class: "outcome-codes" }, ...codes.map(codeItem)),
  );
}

function codeItem(code) {
  const path = `/api/outcome-codes/${encodeURIComponent(code.code)}`;
  const rename = renamer(code, path, "outcome");
  const move = el(
    "select",
    {
      testid: "outcome-move",
      "aria-label": t("admin.outcomes.move", { label: code.label }),
      onchange: (event) => change(path, { category: event.target.value }),
    },
    ...categories
      .filter((c) => !c.retired_at || c.code === code.category)
      .map((c) => new Option(c.label, c.code, false, c.code === code.category)),
  );
  return el(
    "li",
    { class: "outcome-code", testid: "outcome-code", dataset: { code: code.code, retired: code.retired_at ? "true" : "false" } },
    el("span", { testid: "outcome-name", text: code.label }),
    el("code", { text: code.code }),
    code.retired_at ? el("span", { class: "badge", text: t("admin.outcomes.retired") }) : null,
    move,
    rename.open,
    retireButton(code, path, "outcome"),
    rename.form,
  );
}

async function addCode(event) {
  event.preventDefault();
  $("outcome-error").hidden = true;
  const body = {
    code: $("outcome-new-code").value.trim(),
    label: $("outcome-new-label").value.trim(),
    category: $("outcome-new-category").value,
  };
  try {
    await post("/api/outcome-codes", body);
    refreshVocabulary();
    $("outcome-new-code").value = "";
    $("outcome-new-label").value = "";
    await loadOutcomes();
  } catch (err) {
    showError(err);
  }
}

async function addCategory(event) {
  event.preventDefault();
  $("outcome-error").hidden = true;
  const body = { code: $("category-new-code").value.trim(), label: $("category-new-label").value.trim() };
  try {
    await post("/api/outcome-categories", body);
    refreshVocabulary();
    $("category-new-code").value = "";
    $("category-new-label").value = "";
    await loadOutcomes();
  } catch (err) {
    showError(err);
  }
}
