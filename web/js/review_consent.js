// The review's consent box: what the buyer decided, in which language and version of
// the consent text, when (in the supervisor's time zone), and that text itself (as the
// buyer read it, collapsed until asked for); and the buyer's local time beside the
// call's start.
import { clockIn, formatStaffDateTime, languageName, t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

const DECISION_WORDS = {
  accepted: "review.consent.accepted",
  declined: "review.consent.declined",
};

/** Fill the consent box (data-testid="consent") from a call's detail. */
export function renderConsent(detail, vocabulary) {
  const decision = $("consent-decision");
  decision.dataset.decision = detail.consent_decision || "";
  decision.textContent = detail.consent_decision
    ? t(DECISION_WORDS[detail.consent_decision])
    : t("review.consent.none");
  const locale = $("consent-locale");
  locale.dataset.locale = detail.consent_locale || "";
  locale.textContent = detail.consent_locale
    ? languageName(detail.consent_locale, vocabulary.ownName(detail.consent_locale))
    : "";
  locale.hidden = !detail.consent_locale;
  const version = $("consent-version");
  version.dataset.version = detail.consent_version ?? "";
  version.textContent =
    detail.consent_version === null || detail.consent_version === undefined
      ? ""
      : t("review.consent.version", { version: detail.consent_version });
  version.hidden = !version.textContent;
  $("consent-at").textContent = detail.consent_at ? formatStaffDateTime(detail.consent_at) : "";
  $("consent-at").hidden = !detail.consent_at;
  $("consent-unnamed").hidden = Boolean(detail.consent_locale) || !detail.consent_decision;

  const text = detail.consent_text;
  const box = $("consent-text");
  box.hidden = !text;
  box.open = false;
  const copy = $("consent-copy");
  if (!text) {
    copy.replaceChildren();
    return;
  }
  copy.lang = text.locale;
  copy.replaceChildren(
    el("p", { class: "consent-copy-title", text: text.title }),
    ...text.paragraphs.map((paragraph) => el("p", { text: paragraph })),
    text.recorded_note ? el("p", { class: "muted", text: text.recorded_note }) : null,
    el("p", { class: "muted small", text: t("review.consent.fingerprint", { sha: text.sha256.slice(0, 12) }) }),
  );
}

/** The call's start in the supervisor's time zone with the buyer's local time beside it
 * (data-testid="buyer-local-time", hidden when the buyer's zone is unknown). */
export function renderStart(detail) {
  $("session-started").textContent = t("review.started", {
    when: formatStaffDateTime(detail.created_at, { withZone: true }),
  });
  const beside = $("buyer-local-time");
  const zone = detail.buyer_timezone;
  const time = zone ? clockIn(new Date(detail.created_at).getTime(), zone) : null;
  beside.hidden = time === null;
  beside.dataset.timezone = zone || "";
  beside.textContent = time === null ? "" : t("review.buyer_time", { time, zone });
}

/** A quick phrase's chat line: what the buyer read, behind a toggle (details). */
export function buyerCopy(line, vocabulary) {
  if (!line.phrase_id || !line.buyer_text) return null;
  const language = line.buyer_locale
    ? languageName(line.buyer_locale, vocabulary.ownName(line.buyer_locale))
    : "";
  return el(
    "details",
    { class: "buyer-copy", testid: "chat-buyer-copy" },
    el("summary", { text: t("review.chat.buyer_read", { language }) }),
    el("span", { lang: line.buyer_locale || undefined, testid: "chat-buyer-text", text: line.buyer_text }),
  );
}
