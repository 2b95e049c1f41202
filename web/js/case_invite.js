// The shop's invitation to a live call at a proposed time, on the reopened link: the time
// in the buyer's own zone and language, and a button that starts the call through the
// page's own consent and line (it presses "Start video call", so the call is made from
// the same link and belongs to the same case). Before the time (less a few minutes'
// grace) the button waits and the page says from when it works. The invitation sent last
// supersedes earlier ones; once its time is past by INVITE_LATE_MS it is no longer shown.
// While it can be joined its button is the screen's one primary action.
import { formatDateTime, t } from "./i18n.js";
import { $ } from "./ui.js";

export const INVITE_EARLY_MS = 5 * 60_000; // the buyer may join this much before the time

let timer = null;
let shown = null; // the invitation on show, to repaint after a language change
let painted = () => {}; // told after every paint: the page picks its one leading button

/** `fn()` is called after each paint (the invitation's button may have started or stopped
 *  leading the screen). */
export function onPainted(fn) {
  painted = fn;
}

/** Whether the invitation's button is on show and works now: then it is the screen's one
 *  leading (primary) action. */
export function inviteLeads() {
  const join = $("case-invite-join");
  return !$("case-invite").hidden && !join.hidden && !join.disabled;
}

export const INVITE_LATE_MS = 30 * 60_000; // it still works this long after its time

/** The invitation that matters among `replies`: the one sent last (it supersedes every
 *  earlier one, whatever their times), while its time is not past by more than
 *  INVITE_LATE_MS; else none. */
export function currentInvite(replies, now = Date.now()) {
  const invites = replies.filter((reply) => reply.invite_at);
  invites.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const newest = invites[invites.length - 1];
  return newest && !isPast(newest, now) ? newest : null;
}

function isPast(reply, now = Date.now()) {
  return Date.parse(reply.invite_at) + INVITE_LATE_MS < now;
}

/** Show the invitation that matters among `replies` (or none); `canJoin()` says whether
 *  the page could start a call now (its consent screen is up with its button). */
export function showInvite(replies, canJoin) {
  const reply = currentInvite(replies);
  shown = reply ? { reply, canJoin } : null;
  paint();
}

/** Re-render the invitation (a language change, another screen) and its button's state. */
export function paint() {
  clearTimeout(timer);
  const box = $("case-invite");
  // only beside the consent screen: not during a call, a recording, or after it
  if (shown && isPast(shown.reply)) shown = null; // its time went by with the page open
  if (!shown || $("consent").hidden) {
    box.hidden = true;
    painted();
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
  join.classList.toggle("primary", !join.disabled && !join.hidden);
  const next = early ? opensAt : at.getTime() + INVITE_LATE_MS; // it opens, or goes
  timer = setTimeout(paint, Math.min(Math.max(next - Date.now() + 50, 50), 60_000));
  painted();
}

