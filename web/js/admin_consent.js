// /admin's "Consent texts": per purpose and buyer language, the version buyers read now,
// its text, every earlier version, and a form that publishes a new one. Versions are only
// ever added: a call keeps the version its buyer saw. GET/POST /api/consent-texts.
import { get, post } from "./api.js";
import { fail } from "./page.js";
import { formatStaffDateTime, languageName, t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

const SOURCE_WORDS = { shipped: "admin.consent.source_shipped", admin: "admin.consent.source_admin" };

/** Start the section: the purposes and languages come from `vocabulary`. */
export function mountConsentTexts(vocabulary) {
  const language = $("consent-language");
  language.replaceChildren(
    ...vocabulary.locales.map(
      (loc) => new Option(languageName(loc.code, vocabulary.ownName(loc.code)), loc.code),
    ),
  );
  for (const select of [$("consent-purpose"), language]) select.addEventListener("change", load);
  $("#consent-form").addEventListener("submit", publish);
  return load();
}

function chosen() {
  return { purpose: $("consent-purpose").value, locale: $("consent-language").value };
}

async function load() {
  const { purpose, locale } = chosen();
  $("consent-error").hidden = true;
  const query = new URLSearchParams({ purpose, locale });
  let items;
  try {
    ({ items } = await get(`/api/consent-texts?${query}`));
  } catch (err) {
    return fail(err, $("consent-error"));
  }
  if (purpose !== chosen().purpose || locale !== chosen().locale) return null; // changed meanwhile
  const versions = [...items].sort((a, b) => b.version - a.version);
  const current = versions[0] || null;
  $("consent-current-version").textContent = current
    ? t("admin.consent.current", {
        version: current.version,
        when: formatStaffDateTime(current.created_at),
        source: t(SOURCE_WORDS[current.source] || "admin.consent.source_admin"),
      })
    : t("admin.consent.none");
  $("consent-current-version").dataset.version = current ? current.version : "";
  $("consent-current").replaceChildren(...(current ? textNodes(current) : []));
  $("consent-current").lang = locale;
  $("consent-history").replaceChildren(...versions.slice(1).map(historyItem));
  $("consent-history-empty").hidden = versions.length > 1;
  fillForm(current, locale);
  return null;
}

/** A version's text as buyers read it (placeholders shown as they are). */
function textNodes(version) {
  return [
    el("p", { class: "consent-copy-title", text: version.title }),
    ...version.paragraphs.map((paragraph) => el("p", { text: paragraph })),
    el("p", { class: "muted", text: version.recorded_note }),
  ];
}

function historyItem(version) {
  return el(
    "li",
    { testid: "consent-history-item", dataset: { version: version.version } },
    el(
      "details",
      {},
      el("summary", {
        text: t("admin.consent.history_item", {
          version: version.version,
          when: formatStaffDateTime(version.created_at),
          source: t(SOURCE_WORDS[version.source] || "admin.consent.source_admin"),
        }),
      }),
      el("div", { class: "consent-copy", lang: version.locale }, textNodes(version)),
    ),
  );
}

/** The new version starts as a copy of the current one. */
function fillForm(current, locale) {
  for (const testid of ["consent-new-title", "consent-new-paragraphs", "consent-new-note"]) {
    $(testid).lang = locale;
  }
  $("consent-new-title").value = current ? current.title : "";
  $("consent-new-paragraphs").value = current ? current.paragraphs.join("\n\n") : "";
  $("consent-new-note").value = current ? current.recorded_note : "";
  $("consent-status").textContent = "";
}

async function publish(event) {
  event.preventDefault();
  $("consent-error").hidden = true;
  const paragraphs = $("consent-new-paragraphs")
    .value.split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean);
  const body = {
    ...chosen(),
    title: $("consent-new-title").value.trim(),
    paragraphs,
    recorded_note: $("consent-new-note").value.trim(),
  };
  try {
    const made = await post("/api/consent-texts", body);
    await load();
    $("consent-status").textContent = t("admin.consent.published", { version: made.version });
  } catch (err) {
    fail(err, $("consent-error"));
  }
}
