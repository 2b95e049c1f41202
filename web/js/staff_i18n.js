// The staff pages' words (console, review, admin, sign-in): t(key, params) reads one
// table per staff language (web/i18n/staff/<locale>.json: English and Simplified
// Chinese), English filling any key a table lacks. Keys are flat ("console.accept");
// "{name}" placeholders are filled from params; a key with ".one" / ".other" variants
// (Intl.PluralRules categories) picks one by params.count. Elements carrying
// data-t="key" get their text from it, data-t-attr="placeholder:key;title:key" their
// attributes. The buyer page has its own table (i18n.js); nothing here touches it.
//
// The language is the staff user's (GET /api/me `locale`, page.js); the sign-in page,
// before anyone is known, uses the last one chosen on this browser, else the browser's.
// Times are shown in the staff user's time zone (their `timezone`, else the browser's).

export const STAFF_LOCALES = ["en", "zh-CN"];
const FALLBACK = "en";
const REMEMBERED = "showdesk.staff-locale"; // localStorage: the sign-in page's language

let table = {};
let english = {};
let locale = FALLBACK;
let timeZone; // undefined: the browser's own

/** The staff language `wanted` stands for: "zh-CN" for any Chinese tag, else "en". */
export function staffLocaleFor(wanted) {
  if (!wanted) return FALLBACK;
  if (STAFF_LOCALES.includes(wanted)) return wanted;
  return String(wanted).toLowerCase().startsWith("zh") ? "zh-CN" : FALLBACK;
}

/** The language for a page with nobody signed in: the last one used here, else the
 * browser's first that the staff pages speak. */
export function rememberedStaffLocale() {
  try {
    const kept = localStorage.getItem(REMEMBERED);
    if (kept && STAFF_LOCALES.includes(kept)) return kept;
  } catch {
    // no storage: the browser's languages decide
  }
  for (const tag of navigator.languages || [navigator.language]) {
    const found = staffLocaleFor(tag);
    if (found !== FALLBACK || String(tag).toLowerCase().startsWith("en")) return found;
  }
  return FALLBACK;
}

async function fetchTable(code) {
  const response = await fetch(`/static/i18n/staff/${code}.json`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`staff strings ${code}: ${response.status}`);
  return response.json();
}

/** Load the table of `wanted` (and English under it), set <html lang>, remember the
 * choice for the sign-in page. Rejects when English cannot be loaded. */
export async function loadStaffStrings(wanted) {
  const code = staffLocaleFor(wanted);
  const [base, own] = await Promise.all([
    fetchTable(FALLBACK),
    code === FALLBACK ? null : fetchTable(code).catch(() => null),
  ]);
  english = base;
  table = own || base;
  locale = own ? code : FALLBACK;
  document.documentElement.lang = locale;
  try {
    localStorage.setItem(REMEMBERED, locale);
  } catch {
    // not remembered then
  }
  return locale;
}

/** The language the staff page speaks now. */
export function staffLocale() {
  return locale;
}

/** The staff user's IANA time zone (null or unknown: the browser's own). */
export function setStaffTimeZone(zone) {
  timeZone = zone && isTimeZone(zone) ? zone : undefined;
}

/** The time zone staff times are shown in. */
export function staffTimeZone() {
  return timeZone || Intl.DateTimeFormat().resolvedOptions().timeZone;
}

function isTimeZone(zone) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function lookup(key, params) {
  for (const source of [table, english]) {
    if (typeof params.count === "number") {
      const rules = new Intl.PluralRules(source === table ? locale : FALLBACK);
      const plural = source[`${key}.${rules.select(params.count)}`] ?? source[`${key}.other`];
      if (plural !== undefined) return plural;
    }
    if (source[key] !== undefined) return source[key];
  }
  return undefined;
}

/** The string for `key` with `params` filled in; the key itself when it is unknown. */
export function t(key, params = {}) {
  const text = lookup(key, params);
  if (text === undefined) return key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** Fill every [data-t] and [data-t-attr] element under `root`. */
export function translatePage(root = document) {
  for (const node of root.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of root.querySelectorAll("[data-t-attr]")) {
    for (const pair of node.dataset.tAttr.split(";")) {
      const [attr, key] = pair.split(":").map((part) => part.trim());
      if (attr && key) node.setAttribute(attr, t(key));
    }
  }
}

/** A date and time in the staff language and time zone ("" for none). */
export function formatStaffDateTime(value, { withZone = false } = {}) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const options = { dateStyle: "medium", timeStyle: "short", timeZone: staffTimeZone() };
  const text = new Intl.DateTimeFormat(locale, options).format(date);
  return withZone ? `${text} (${staffTimeZone()})` : text;
}

/** The wall-clock time ("21:04") of `ms` (epoch milliseconds) in time zone `zone`; null
 * when the zone is unknown to this browser. */
export function clockIn(ms, zone) {
  if (!zone || !isTimeZone(zone)) return null;
  return new Intl.DateTimeFormat(locale, {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone: zone,
  }).format(new Date(ms));
}

/** A language's name in the staff language with its own name beside it, e.g.
 * "German (Deutsch)"; `ownName` is the buyer page's name of it (GET /api/vocabulary),
 * else the browser's. "" for no code; the code itself when the browser knows no name. */
export function languageName(code, ownName = null) {
  if (!code) return "";
  const named = (inLocale) => {
    try {
      return new Intl.DisplayNames([inLocale], { type: "language" }).of(code) || null;
    } catch {
      return null;
    }
  };
  const mine = named(locale) || code;
  const own = ownName || named(code);
  return own && own !== mine ? `${mine} (${own})` : mine;
}
