// /admin's "Recording steps": per purpose, the steps a buyer records when nobody can take
// the call (each a prompt per buyer language, English required; a clip, photos or both):
// add, reorder, edit, remove, save, or go back to the shipped steps.
// GET /api/case-steps, PUT / DELETE /api/case-steps/{purpose}; the server checks them.
import { del, get, put } from "./api.js";
import { confirmAction } from "./confirm.js";
import { fail } from "./page.js";
import { languageName, t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

let vocabulary = null;
let all = []; // [{purpose, customized, steps}]
let steps = []; // the purpose on show, as edited: [{key, prompts, clip, photos}]

/** Start the section: `vocab` names the purposes and the buyer languages. */
export function mountCaseSteps(vocab) {
  vocabulary = vocab;
  $("steps-purpose").addEventListener("change", () => pick($("steps-purpose").value));
  $("steps-add").addEventListener("click", () => {
    steps.push({ key: null, prompts: { en: "" }, clip: true, photos: true });
    render();
    const inputs = document.querySelectorAll('[data-testid="step-prompt-en"]');
    inputs[inputs.length - 1].focus();
  });
  $("steps-save").addEventListener("click", save);
  $("steps-reset").addEventListener("click", reset);
  return load();
}

async function load(purpose = null) {
  all = (await get("/api/case-steps")).purposes;
  const select = $("steps-purpose");
  const chosen = purpose || select.value || all[0].purpose;
  select.replaceChildren(
    ...all.map((item) => {
      const option = el("option", { text: vocabulary.label("purposes", item.purpose) });
      option.value = item.purpose;
      return option;
    }),
  );
  select.value = chosen;
  pick(chosen);
}

function pick(purpose) {
  const found = all.find((item) => item.purpose === purpose);
  steps = structuredClone(found.steps);
  $("steps-origin").textContent = t(found.customized ? "admin.steps.own" : "admin.steps.shipped");
  $("steps-reset").disabled = !found.customized;
  say("");
  render();
}

function say(text, isError = false) {
  $("steps-error").hidden = !isError;
  $("steps-error").textContent = isError ? text : "";
  $("steps-status").textContent = isError ? "" : text;
}

function move(index, by) {
  const [step] = steps.splice(index, 1);
  steps.splice(index + by, 0, step);
  render();
}

/** One step: its English prompt, the other languages folded, what it asks, its moves. */
function stepItem(step, index) {
  const others = vocabulary.locales.filter((loc) => loc.code !== "en");
  const filled = others.filter((loc) => step.prompts[loc.code]).length;
  const promptInput = (code, testid) =>
    el("input", {
      type: "text",
      maxlength: "200",
      lang: code,
      testid,
      dataset: { locale: code },
      value: step.prompts[code] || "",
      oninput: (event) => {
        step.prompts[code] = event.target.value;
      },
    });
  const check = (what, testid, words) =>
    el(
      "label",
      { class: "checkbox step-check" },
      el("input", {
        type: "checkbox",
        testid,
        checked: step[what],
        onchange: (event) => {
          step[what] = event.target.checked;
        },
      }),
      el("span", { text: t(words) }),
    );
  return el(
    "li",
    { class: "steps-item", testid: "steps-item", dataset: { key: step.key || "" } },
    el(
      "div",
      { class: "steps-item-head" },
      el("span", { class: "steps-number", text: String(index + 1) }),
      el(
        "label",
        { class: "steps-prompt" },
        el("span", { text: t("admin.steps.prompt_en") }),
        promptInput("en", "step-prompt-en"),
      ),
    ),
    el("div", { class: "steps-asks" }, check("clip", "step-clip", "admin.steps.clip"), check("photos", "step-photos", "admin.steps.photos")),
    el(
      "details",
      { class: "steps-languages" },
      el("summary", { text: t("admin.steps.languages", { count: filled, total: others.length }) }),
      ...others.map((loc) =>
        el("label", { class: "phrase-field" }, el("span", { text: languageName(loc.code, vocabulary.ownName(loc.code)) }), promptInput(loc.code, "step-prompt")),
      ),
    ),
    el(
      "div",
      { class: "steps-moves" },
      el("button", { type: "button", testid: "step-up", text: t("admin.steps.up"), disabled: index === 0, onclick: () => move(index, -1) }),
      el("button", { type: "button", testid: "step-down", text: t("admin.steps.down"), disabled: index === steps.length - 1, onclick: () => move(index, 1) }),
      el("button", {
        type: "button",
        class: "danger",
        testid: "step-remove",
        text: t("admin.steps.remove"),
        disabled: steps.length === 1,
        onclick: () => {
          steps.splice(index, 1);
          render();
        },
      }),
    ),
  );
}

function render() {
  $("steps-list").replaceChildren(...steps.map(stepItem));
}

async function save() {
  const purpose = $("steps-purpose").value;
  try {
    await put(`/api/case-steps/${purpose}`, { steps });
    await load(purpose);
    say(t("admin.steps.saved"));
  } catch (err) {
    fail(err, $("steps-error"));
  }
}

async function reset() {
  const purpose = $("steps-purpose").value;
  const action = t("admin.steps.reset_action");
  if (!(await confirmAction(action, t("admin.steps.reset_text")))) return;
  try {
    await del(`/api/case-steps/${purpose}`);
    await load(purpose);
    say(t("admin.steps.reset_done"));
  } catch (err) {
    fail(err, $("steps-error"));
  }
}
