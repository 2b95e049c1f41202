// The console's quick phrases: one button per active phrase (data-testid="quick-phrase")
// near the chat input during a call, each in the agent's language; a click sends it
// (the `phrase` message), and the buyer reads it in their own language.
import { get } from "./api.js";
import { staffLocale, t } from "./staff_i18n.js";
import { el } from "./ui.js";

/** The active quick phrases, by position (GET /api/quick-phrases). */
export async function loadQuickPhrases() {
  return (await get("/api/quick-phrases")).items.filter((phrase) => phrase.active);
}

/** A phrase's text in `locale`, else in English. */
export function phraseText(phrase, locale) {
  return (locale && phrase.texts[locale]) || phrase.texts.en || "";
}

/** Fill `container` with one button per phrase, in the staff language; its title says
 * what a buyer in `buyerLocale` reads. `send(phrase)` runs on a click. The container
 * stays hidden when there are no phrases. */
export function renderQuickPhrases(container, phrases, buyerLocale, send) {
  const buttons = phrases.map((phrase) =>
    el("button", {
      type: "button",
      class: "quick-phrase",
      testid: "quick-phrase",
      dataset: { phraseId: phrase.id },
      title: t("console.phrases.buyer_reads", { text: phraseText(phrase, buyerLocale) }),
      text: phraseText(phrase, staffLocale()),
      onclick: () => send(phrase),
    }),
  );
  container.replaceChildren(...buttons);
  container.hidden = buttons.length === 0;
}
