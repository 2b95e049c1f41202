// The order a call is about (a link's `order`: lines with their SKU, name, lot and product
// category, carrier, tracking number, channel,
// the buyer's country, dates), shown to staff as a compact, collapsible box: one summary
// line (items, carrier, country) that opens to the lines and the rest. Shared by the
// console's queue items and call view and the review's call detail.
import { formatStaffDateTime, t } from "./staff_i18n.js";
import { el } from "./ui.js";

/** The summary line's words: "3 items · DHL Express · DE". */
export function orderSummaryText(order) {
  const count = (order.lines || []).reduce((sum, line) => sum + line.quantity, 0);
  const parts = [];
  if (order.lines && order.lines.length) parts.push(t("order.items", { count }));
  if (order.carrier) parts.push(order.carrier);
  if (order.buyer_country) parts.push(order.buyer_country);
  return parts.join(" · ") || t("order.title");
}

function fact(key, value, testid) {
  if (!value) return null;
  return el("div", { class: "order-fact" }, el("dt", { text: t(key) }), el("dd", { testid, text: value }));
}

/**
 * A <details> box for `order` (null: no box). `open` opens it at first; `onToggle(open)`
 * hears each change, so a list that is drawn again can keep it open.
 */
export function orderBox(order, { testid = "order", open = false, onToggle = null } = {}) {
  if (!order) return null;
  const lines = (order.lines || []).map((line) =>
    el(
      "li",
      { testid: `${testid}-line` },
      el("span", { class: "order-qty", text: `${line.quantity} ×` }),
      " ",
      el("span", { text: line.name }),
      " ",
      el("code", { class: "order-sku", testid: `${testid}-sku`, text: line.sku }),
      line.lot ? el("span", { class: "muted", text: ` · ${t("order.lot")} ${line.lot}` }) : null,
      line.category
        ? el("span", { class: "muted order-category", testid: `${testid}-category`, text: ` · ${t("order.category")} ${line.category}` })
        : null,
    ),
  );
  const box = el(
    "details",
    { class: "order-box", testid, open },
    el("summary", { testid: `${testid}-summary`, text: orderSummaryText(order) }),
    lines.length ? el("ul", { class: "order-lines" }, ...lines) : null,
    el(
      "dl",
      { class: "order-facts" },
      fact("order.carrier", order.carrier, `${testid}-carrier`),
      fact("order.tracking", order.tracking_number, `${testid}-tracking`),
      fact("order.channel", order.channel, `${testid}-channel`),
      fact("order.country", order.buyer_country, `${testid}-country`),
      fact("order.ordered", formatStaffDateTime(order.ordered_at), `${testid}-ordered`),
      fact("order.delivered", formatStaffDateTime(order.delivered_at), `${testid}-delivered`),
    ),
  );
  if (onToggle) box.addEventListener("toggle", () => onToggle(box.open));
  return box;
}
