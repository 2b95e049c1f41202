// The console's "Share a product" dialog: a product card (name, SKU, price, link) sent into
// the call's chat as `product_card` (signaling/PROTOCOL.md "Product cards"). The buyer
// sees it as a card they can open; the server checks every field again.
import { isWebLink, useCardWords } from "./product_card.js";
import { t } from "./staff_i18n.js";
import { $ } from "./ui.js";

const FIELDS = ["name", "sku", "price", "url"];
// a card's words (product_card.js) in the staff catalogue
const CARD_WORDS = { "card.label": "console.card.label", "card.sku": "console.card.sku", "card.open": "console.card.open" };

/** A card's words in the staff language, for useCardWords (the console and the review). */
export function staffCardWords() {
  return (key, params) => t(CARD_WORDS[key] || key, params);
}

/** Wire the form; `signaling` sends through the console's current socket. Cards in the
 *  chat read in the staff language. */
export function wireProductCardForm(signaling) {
  useCardWords(staffCardWords());
  const form = $("#product-card-form");
  const dialog = $("product-card-dialog");
  if (!form || !dialog) return;
  const error = $("product-card-error");
  const input = (field) => $(`product-card-${field}-input`);
  const close = () => {
    form.reset();
    error.hidden = true;
    dialog.close();
  };
  $("product-card-toggle").addEventListener("click", () => {
    dialog.showModal();
    input("name").focus();
  });
  $("product-card-cancel").addEventListener("click", close);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const card = Object.fromEntries(FIELDS.map((field) => [field, input(field).value.trim()]));
    let problem = null;
    if (FIELDS.some((field) => !card[field])) problem = "console.card.missing";
    else if (!isWebLink(card.url)) problem = "console.card.bad_url";
    error.hidden = !problem;
    error.textContent = problem ? t(problem) : "";
    if (problem) {
      input(FIELDS.find((field) => !card[field]) || "url").focus();
      return;
    }
    signaling.send({ type: "product_card", card });
    close();
  });
}
