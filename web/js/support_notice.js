// The buyer page's word on whether anyone can answer now: outside the support hours
// ("Our team is back at <time>", in the buyer's own time zone), nobody available, or a
// wait past the shop's threshold. It reads the context's `support` object
// (GET /api/buyer/context); `recordingOffer` says whether to offer recording instead.
import { currentLocale, formatNumber, t } from "./i18n.js";

const REASONS = ["closed", "nobody", "long_wait"];

/** Whether the page should offer to record a video instead of waiting, and why:
 *  "closed" (hours are set and it is outside them), "nobody" (no agent available or in
 *  a call), "long_wait" (the expected wait passes `record_offer_wait_s`), else
 *  {offer: false, reason: null}. The same rule as the server's (server/hours/offer.py),
 *  so a caller may pass a support object with a fresher `expected_wait_s`. */
export function recordingOffer(support) {
  if (!support) return { offer: false, reason: null };
  let reason = null;
  if (support.hours_configured && !support.within_hours) reason = "closed";
  else if (support.agents_available === 0 && (support.agents_busy || 0) === 0) reason = "nobody";
  else if (support.expected_wait_s !== null && support.expected_wait_s > support.record_offer_wait_s) {
    reason = "long_wait";
  }
  return { offer: reason !== null, reason };
}

/** A moment as the buyer reads it: weekday, date and time in the browser's own zone. */
export function localMoment(iso) {
  const date = new Date(iso);
  const options = { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" };
  try {
    return new Intl.DateTimeFormat(currentLocale(), options).format(date);
  } catch {
    return date.toString();
  }
}

function minutes(seconds) {
  const count = Math.max(1, Math.round(seconds / 60));
  return formatNumber(count, { style: "unit", unit: "minute", unitDisplay: "long" });
}

/** The notice's sentence for `support`, or "" when there is nothing to say. */
export function supportWords(support) {
  const { reason } = recordingOffer(support);
  if (reason === "closed") {
    return support.next_open_at ? t("support.back_at", { time: localMoment(support.next_open_at) }) : t("support.closed");
  }
  if (reason === "nobody") return t("support.nobody");
  if (reason === "long_wait") return t("support.long_wait", { duration: minutes(support.record_offer_wait_s) });
  return "";
}

/** Paint `node` (data-testid="support-notice") for `support`: hidden when all is well;
 *  `data-reason` one of closed | nobody | long_wait, `data-back-at` the next opening. */
export function renderSupportNotice(node, support) {
  const { reason } = recordingOffer(support);
  const words = supportWords(support);
  node.hidden = !words;
  node.textContent = words;
  node.dataset.reason = REASONS.includes(reason) ? reason : "";
  node.dataset.backAt = reason === "closed" && support.next_open_at ? support.next_open_at : "";
}
