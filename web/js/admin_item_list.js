// The parts /admin's ordered editors share (recording steps, inspection checklists, the
// QA rubric): a section's status and error lines, an item's moves (up, down and, where
// items may go, remove; the last item stays), and one numbered item of a list as edited:
// its text in English with the other buyer languages folded, what it asks for, and its
// moves.
import { fail } from "./page.js";
import { languageName, t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

/** The status line `${prefix}-status` and the error line `${prefix}-error` of a section:
 * `say(text)` tells how it went, `refused(err)` shows the server's refusal beside the
 * form; each clears the other. */
export function sectionLines(prefix) {
  const status = () => $(`${prefix}-status`);
  const error = () => $(`${prefix}-error`);
  return {
    say(text) {
      error().hidden = true;
      error().textContent = "";
      status().textContent = text;
    },
    refused(err) {
      status().textContent = "";
      fail(err, error());
    },
  };
}

/** Run `job` (a save or a reset); `done` is said after it, a refusal shown instead. */
export async function attempt(lines, job, done) {
  try {
    await job();
    lines.say(done);
  } catch (err) {
    lines.refused(err);
  }
}

function move(list, index, by, render) {
  const [item] = list.splice(index, 1);
  list.splice(index + by, 0, item);
  render();
}

/**
 * The moves of the item at `index` of `list` ("Move up", "Move down" and, with `remove`,
 * "Remove", which the last item cannot): each changes `list` in place, then calls
 * `render()` (which may also save the new order). Test ids `${testid}-up`, `-down`,
 * `-remove`.
 */
export function moveButtons({ list, index, render, testid, remove = true }) {
  const button = (what, words, disabled, onclick, className = null) =>
    el("button", { type: "button", class: className, testid: `${testid}-${what}`, text: t(words), disabled, onclick });
  const removeItem = () => {
    list.splice(index, 1);
    render();
  };
  return el(
    "div",
    { class: "steps-moves" },
    button("up", "admin.steps.up", index === 0, () => move(list, index, -1, render)),
    button("down", "admin.steps.down", index === list.length - 1, () => move(list, index, 1, render)),
    remove ? button("remove", "admin.steps.remove", list.length === 1, removeItem, "danger") : null,
  );
}

/**
 * One item of `list` (at `index`) as a list entry: `texts` (a text per buyer locale, edited
 * in place) under `englishWords`, `asks` (elements: what the item asks for), the other
 * languages folded, and the moves; `render()` draws the list again after a move. Test ids:
 * `ids.item` on the entry (with `data-key`), `${ids.text}-en` and `ids.text` (with
 * `data-locale`) on the inputs, `${ids.move}-up`, `-down` and `-remove` on the buttons.
 */
export function listItem({ list, index, key, texts, englishWords, asks, vocabulary, render, ids }) {
  const others = vocabulary.locales.filter((loc) => loc.code !== "en");
  const filled = others.filter((loc) => texts[loc.code]).length;
  const textInput = (code, testid) =>
    el("input", {
      type: "text",
      maxlength: "200",
      lang: code,
      testid,
      dataset: { locale: code },
      value: texts[code] || "",
      oninput: (event) => {
        texts[code] = event.target.value;
      },
    });
  return el(
    "li",
    { class: "steps-item", testid: ids.item, dataset: { key: key || "" } },
    el(
      "div",
      { class: "steps-item-head" },
      el("span", { class: "steps-number", text: String(index + 1) }),
      el("label", { class: "steps-prompt" }, el("span", { text: t(englishWords) }), textInput("en", `${ids.text}-en`)),
    ),
    el("div", { class: "steps-asks" }, ...asks),
    el(
      "details",
      { class: "steps-languages" },
      el("summary", { text: t("admin.steps.languages", { count: filled, total: others.length }) }),
      ...others.map((loc) =>
        el("label", { class: "phrase-field" }, el("span", { text: languageName(loc.code, vocabulary.ownName(loc.code)) }), textInput(loc.code, ids.text)),
      ),
    ),
    moveButtons({ list, index, render, testid: ids.move }),
  );
}
