// A product card in the chat (the agent's `product_card`, signaling/PROTOCOL.md "Product
// cards"): its name, SKU, price and a link that opens in a new tab. Shown by chat.js on
// the console, the buyer page and the review; each page gives its own words.
import { el } from "./ui.js";

const ENGLISH = {
  "card.label": "Product",
  "card.sku": "SKU {sku}",
  "card.open": "Open product page",
};

let words = (key, params = {}) => (ENGLISH[key] || key).replace("{sku}", params.sku ?? "");

/** Use `t(key, params)` for the card's words ("card.label", "card.sku" with {sku},
 *  "card.open"); a page that never calls this shows them in English. */
export function useCardWords(t) {
  words = t;
}

/** Whether `url` is an absolute http(s) URL with a host and no user name or password
 *  (what the server accepts; anything else is never made a link). */
export function isWebLink(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    (parsed.protocol === "http:" || parsed.protocol === "https:") &&
    Boolean(parsed.hostname) &&
    !parsed.username &&
    !parsed.password &&
    !/\s/.test(url)
  );
}

/** The card of a chat line: {name, sku, price, url}. */
export function productCardNode(card) {
  const open = isWebLink(card.url)
    ? el("a", {
        class: "product-card-open",
        testid: "product-card-open",
        href: card.url,
        target: "_blank",
        rel: "noopener noreferrer",
        text: words("card.open"),
      })
    : null;
  return el(
    "span",
    { class: "product-card", testid: "product-card", role: "group", "aria-label": words("card.label") },
    el("strong", { class: "product-card-name", testid: "product-card-name", text: card.name }),
    el("span", { class: "product-card-sku", testid: "product-card-sku", text: words("card.sku", { sku: card.sku }) }),
    el("span", { class: "product-card-price", testid: "product-card-price", text: card.price }),
    open,
  );
}
