// The console's invitation to a live call, in a case's reply form: a date and time typed
// in the agent's time zone (their own, else the browser's), shown again in the buyer's
// zone when their page told it, sent as `invite_at` (UTC) to POST /api/cases/{id}/replies.
// The server checks the time (ahead, before the link expires) and says what is wrong.
import { clockIn, formatStaffDateTime, staffTimeZone, t } from "./staff_i18n.js";
import { $ } from "./ui.js";

// the server's refusals of an invitation's time, in the staff language
const REFUSALS = {
  invite_in_past: "console.cases.invite_error.invite_in_past",
  invite_after_link_expiry: "console.cases.invite_error.invite_after_link_expiry",
  link_revoked: "console.cases.invite_error.link_revoked",
};

/** The offset of `zone` from UTC at the moment `ms`, in milliseconds. */
function offsetMs(ms, zone) {
  const parts = {};
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  for (const part of format.formatToParts(new Date(ms))) parts[part.type] = Number(part.value);
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The moment a wall time ("2026-12-03T10:00", as a datetime-local input gives it) names
 *  in `zone`; null for an empty or broken value. */
export function wallTimeIn(value, zone) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
  if (!match) return null;
  const [year, month, day, hour, minute] = match.slice(1).map(Number);
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  let guess = asUtc - offsetMs(asUtc, zone);
  guess = asUtc - offsetMs(guess, zone); // once more, across a change of offset
  return new Date(guess);
}

/** A wall time for a datetime-local input: `ms` in `zone`. */
function wallValue(ms, zone) {
  const shifted = new Date(ms + offsetMs(ms, zone));
  return shifted.toISOString().slice(0, 16);
}

export class CaseInviteForm {
  /** `send(body)` posts the reply and returns whether it was taken. */
  constructor({ send }) {
    this.send = send;
    this.buyerZone = null;
    $("case-invite-at").addEventListener("input", () => this.preview());
    $("case-invite-send").addEventListener("click", () => this.submit());
  }

  /** A case opened: its buyer's zone and its link's expiry bound the input. */
  show(found) {
    const zone = staffTimeZone();
    this.buyerZone = found.buyer_timezone || null;
    this.expires = found.link_expires_at;
    $("case-invite-zone").textContent = t("console.cases.invite_zone", { zone });
    const input = $("case-invite-at");
    input.min = wallValue(Date.now(), zone);
    input.max = wallValue(new Date(found.link_expires_at).getTime(), zone);
    $("case-invite-status").textContent = "";
    this.preview();
  }

  /** The moment typed, again in the buyer's zone (or that the zone is not known). */
  preview() {
    const at = wallTimeIn($("case-invite-at").value, staffTimeZone());
    const out = $("case-invite-buyer-time");
    if (!at) {
      out.textContent = "";
      return;
    }
    const theirs = this.buyerZone && clockIn(at.getTime(), this.buyerZone);
    out.textContent = theirs
      ? t("console.cases.invite_buyer_time", { when: this.buyerDateTime(at), zone: this.buyerZone })
      : t("console.cases.invite_buyer_zone_unknown");
  }

  buyerDateTime(at) {
    return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: this.buyerZone }).format(at);
  }

  /** The server refused the time: its reason, in the staff language where known. */
  refused(err) {
    const key = REFUSALS[err.code];
    const expires = formatStaffDateTime(this.expires, { withZone: true });
    $("case-invite-status").textContent = key ? t(key, { expires }) : err.message;
  }

  async submit() {
    const at = wallTimeIn($("case-invite-at").value, staffTimeZone());
    if (!at) {
      $("case-invite-status").textContent = t("console.cases.invite_pick_time");
      return;
    }
    const text = $("case-reply-input").value.trim();
    const sent = await this.send({ invite_at: at.toISOString(), ...(text ? { text } : {}) });
    if (sent) {
      $("case-invite-at").value = "";
      $("case-invite-status").textContent = t("console.cases.invite_sent", { when: formatStaffDateTime(at, { withZone: true }) });
      this.preview();
    }
  }
}
