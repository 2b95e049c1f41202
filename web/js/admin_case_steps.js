// /admin's "Recording steps": per purpose, the steps a buyer records when nobody can take
// the call (each a prompt per buyer language, English required; a clip, photos or both):
// add, reorder, edit, remove, save, or go back to the shipped steps.
// GET /api/case-steps, PUT / DELETE /api/case-steps/{purpose}; the server checks them.
import { del, get, put } from "./api.js";
import { confirmAction } from "./confirm.js";
import { attempt, listItem, sectionLines } from "./admin_item_list.js";
import { t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

const lines = sectionLines("steps");
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
  lines.say("");
  render();
}

/** One step: its English prompt, what it asks, the other languages folded, its moves. */
function stepItem(step, index) {
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
  return listItem({
    list: steps,
    index,
    key: step.key,
    texts: step.prompts,
    englishWords: "admin.steps.prompt_en",
    asks: [check("clip", "step-clip", "admin.steps.clip"), check("photos", "step-photos", "admin.steps.photos")],
    vocabulary,
    render,
    ids: { item: "steps-item", text: "step-prompt", move: "step" },
  });
}

function render() {
  $("steps-list").replaceChildren(...steps.map(stepItem));
}

async function save() {
  const purpose = $("steps-purpose").value;
  await attempt(lines, async () => {
    await put(`/api/case-steps/${purpose}`, { steps });
    await load(purpose);
  }, t("admin.steps.saved"));
}

async function reset() {
  const purpose = $("steps-purpose").value;
  if (!(await confirmAction(t("admin.steps.reset_action"), t("admin.steps.reset_text")))) return;
  await attempt(lines, async () => {
    await del(`/api/case-steps/${purpose}`);
    await load(purpose);
  }, t("admin.steps.reset_done"));
}
