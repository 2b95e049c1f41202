// The shop's invitation to a live call at a proposed time, on the reopened link: the time
// in the buyer's own zone and language, and a button that starts the call through the
// page's own consent and line (it presses "Start video call", so the call is made from
// the same link and belongs to the same case). Before the time (less a few minutes'
// grace) the button waits and the page says from when it works.
import { formatDateTime, t } from "./i18n.js";
import { $ } from "./ui.js";

export const INVITE_EARLY_MS = 5 * 60_000; // the buyer may join this much before the time

let timer = null;
let shown = null; // the invitation on show, to repaint after a language change

/** Show the newest invitation among `replies` (or none); `canJoin()` says whether the
 *  page could start a call now (its consent screen is up with its button). */
export function showInvite(replies, canJoin) {
  const invites = replies.filter((reply) => reply.invite_at);
  shown = invites.length ? { reply: invites[invites.length - 1], canJoin } : null;
  paint();
}

/** Re-render the invitation (a language change, another screen) and its button's state. */
export function paint() {
  clearTimeout(timer);
  const box = $("case-invite");
  // only beside the consent screen: not during a call, a recording, or after it
  if (!shown || $("consent").hidden) {
    box.hidden = true;
    return;
  }
  const at = new Date(shown.reply.invite_at);
  const opensAt = at.getTime() - INVITE_EARLY_MS;
  const early = Date.now() < opensAt;
  box.hidden = false;
  box.dataset.inviteAt = shown.reply.invite_at;
  box.dataset.state = early ? "early" : "open";
  $("case-invite-when").textContent = t("invite.when", { time: formatDateTime(at) });
  $("case-invite-text").textContent = shown.reply.text || "";
  $("case-invite-text").hidden = !shown.reply.text;
  $("case-invite-status").textContent = early
    ? t("invite.early", { time: formatDateTime(new Date(opensAt)) })
    : t("invite.ready");
  const join = $("case-invite-join");
  join.disabled = early || !shown.canJoin();
  join.hidden = !shown.canJoin() && !early;
  if (early) timer = setTimeout(paint, Math.min(opensAt - Date.now() + 50, 60_000));
}

