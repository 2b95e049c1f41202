// One chat line component: the live chat on the console and the buyer page, and the
// transcript in the review. A line reads "Name: text"; the reader's own side is marked.
import { productCardNode } from "./product_card.js";
import { el } from "./ui.js";

/** One chat line for `message` ({from, name, text, card?}: a product card is shown as
 * one, product_card.js); `ownSide` is the reader's side
 * ("agent" or "buyer"); `before` (a node, e.g. the time in the review) comes first;
 * `ownName` (e.g. "You") names the reader's own lines instead of their name. */
export function chatLine(message, ownSide, { before, ownName } = {}) {
  const own = message.from === ownSide;
  const name = own && ownName ? ownName : message.name || message.from;
  return el(
    "li",
    {
      class: `chat-line ${own ? "chat-own" : "chat-other"}`,
      dataset: { from: message.from },
    },
    before ? [before, " "] : null,
    el("span", { class: "chat-name", text: `${name}:` }),
    " ",
    message.card
      ? el("span", { class: "chat-text" }, productCardNode(message.card))
      : el("span", { class: "chat-text", text: message.text }),
  );
}

/** Append one chat line to `log`, newest at the bottom (`options` as chatLine's). */
export function appendChat(log, message, ownSide, options = {}) {
  log.append(chatLine(message, ownSide, options));
  log.scrollTop = log.scrollHeight;
}

/** Wire a chat form: submit sends {"type":"chat","text"} through `signaling`. */
export function wireChat(form, input, signaling) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    signaling.send({ type: "chat", text: text.slice(0, 2000) });
    input.value = "";
    input.focus();
  });
}
