// /admin's "Quick phrases": the phrases agents send with one click, each with its text
// per language (English required), switched on or off, deleted after a confirmation.
// GET/POST/PATCH/DELETE /api/quick-phrases; the languages come from GET /api/vocabulary.
import { del, get, patch, post } from "./api.js";
import { confirmAction } from "./confirm.js";
import { fail } from "./page.js";
import { phraseText } from "./quick_phrases.js";
import { languageName, staffLocale, t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

let locales = []; // [{code, name, dir}], the buyer page's languages, English first
let ownName = () => null;

/** Start the section: `vocabulary` lists the languages. */
export function mountPhrases(vocabulary) {
  locales = vocabulary.locales;
  ownName = (code) => vocabulary.ownName(code);
  $("#phrase-add-form").addEventListener("submit", addPhrase);
  return loadPhrases();
}

async function loadPhrases() {
  const { items } = await get("/api/quick-phrases");
  $("phrase-list").replaceChildren(...items.map(phraseItem));
  $("phrase-empty").hidden = items.length > 0;
}

function showError(err) {
  fail(err, $("phrase-error"));
}

async function addPhrase(event) {
  event.preventDefault();
  $("phrase-error").hidden = true;
  const input = $("phrase-new-en");
  const text = input.value.trim();
  if (!text) {
    $("phrase-error").textContent = t("admin.phrases.english_missing");
    $("phrase-error").hidden = false;
    return;
  }
  try {
    await post("/api/quick-phrases", { texts: { en: text } });
    input.value = "";
    await loadPhrases();
  } catch (err) {
    showError(err);
  }
}

/** One phrase: its text, its languages, and what can be done with it. */
function phraseItem(phrase) {
  const missing = locales.filter((loc) => !phrase.texts[loc.code]);
  const form = translationsForm(phrase);
  const edit = el("button", {
    type: "button",
    testid: "phrase-edit",
    "aria-expanded": "false",
    text: t("admin.phrases.edit"),
    onclick: () => {
      form.hidden = !form.hidden;
      edit.setAttribute("aria-expanded", String(!form.hidden));
      if (!form.hidden) form.querySelector("input").focus();
    },
  });
  return el(
    "li",
    {
      class: "phrase-item",
      testid: "phrase-item",
      dataset: { phraseId: phrase.id, active: String(phrase.active) },
    },
    el(
      "div",
      { class: "phrase-head" },
      el("strong", { testid: "phrase-text", text: phraseText(phrase, staffLocale()) }),
      phrase.active ? null : el("span", { class: "badge", testid: "phrase-off", text: t("admin.phrases.off") }),
      el("span", {
        class: "muted phrase-languages",
        testid: "phrase-languages",
        text: missing.length
          ? t("admin.phrases.languages_missing", {
              count: locales.length - missing.length,
              total: locales.length,
              missing: missing.map((loc) => loc.code).join(", "),
            })
          : t("admin.phrases.languages_all", { total: locales.length }),
      }),
      el(
        "span",
        { class: "phrase-actions" },
        edit,
        el("button", {
          type: "button",
          testid: "phrase-toggle",
          text: t(phrase.active ? "admin.phrases.switch_off" : "admin.phrases.switch_on"),
          onclick: () => change(phrase, { active: !phrase.active }),
        }),
        el("button", {
          type: "button",
          class: "danger",
          testid: "phrase-delete",
          text: t("admin.phrases.delete"),
          onclick: () => remove(phrase),
        }),
      ),
    ),
    form,
  );
}

/** The form with one field per language; saving replaces the phrase's texts. */
function translationsForm(phrase) {
  const fields = locales.map((loc) =>
    el(
      "label",
      { class: "phrase-field" },
      el("span", { text: languageName(loc.code, ownName(loc.code)) }),
      el("input", {
        type: "text",
        maxlength: "200",
        lang: loc.code,
        dir: loc.dir,
        required: loc.code === "en",
        testid: `phrase-text-${loc.code}`,
        value: phrase.texts[loc.code] || undefined,
      }),
    ),
  );
  const status = el("span", { class: "status", role: "status", testid: "phrase-status" });
  const form = el(
    "form",
    { class: "phrase-form", testid: "phrase-form", hidden: true, novalidate: true },
    el("div", { class: "phrase-fields" }, fields),
    el(
      "div",
      { class: "form-actions" },
      el("button", { type: "submit", class: "primary", testid: "phrase-save", text: t("admin.phrases.save") }),
      status,
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const texts = {};
    for (const loc of locales) {
      const value = form.querySelector(`[data-testid="phrase-text-${loc.code}"]`).value.trim();
      if (value) texts[loc.code] = value;
    }
    if (!texts.en) {
      status.textContent = t("admin.phrases.english_missing");
      return;
    }
    await change(phrase, { texts });
  });
  return form;
}

async function change(phrase, body) {
  $("phrase-error").hidden = true;
  try {
    await patch(`/api/quick-phrases/${phrase.id}`, body);
    await loadPhrases();
  } catch (err) {
    showError(err);
  }
}

async function remove(phrase) {
  const yes = await confirmAction(
    t("admin.phrases.delete_action"),
    t("admin.phrases.delete_text", { text: phraseText(phrase, staffLocale()) }),
  );
  if (!yes) return;
  try {
    await del(`/api/quick-phrases/${phrase.id}`);
    await loadPhrases();
  } catch (err) {
    showError(err);
  }
}
