// The buyer page's words: every string it shows comes from t(key, params), read from one
// table per locale (web/i18n/<locale>.json), with English loaded beside it: a key the
// locale's table lacks falls back to English (and is reported in the console; the
// catalogue check in the test suite fails on it). Keys are flat ("waiting.elapsed");
// "{name}" placeholders are filled from params; a key with plural variants ("key.one",
// "key.few", "key.other": the Intl.PluralRules categories the locale needs) picks one by
// params.count. Elements carrying data-i18n="key" get their text from it,
// data-i18n-attr="aria-label:key;..." their attributes. Numbers, durations and dates are
// formatted with Intl in the page's locale.

const FALLBACK_LOCALE = "en";
const CHOICE_KEY = "showdesk.buyer.locale"; // the buyer's own choice, kept by this browser
let table = {};
let english = {};
let locale = FALLBACK_LOCALE;
const reported = new Set();

async function fetchTable(code) {
  const response = await fetch(`/static/i18n/${encodeURIComponent(code)}.json`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`strings ${code}: ${response.status}`);
  return response.json();
}

/** Load the table for `wanted` and English beside it. A locale whose table cannot be read
 *  leaves the page in English. Throws only when English itself cannot be read. */
export async function loadStrings(wanted = FALLBACK_LOCALE) {
  if (!Object.keys(english).length) english = await fetchTable(FALLBACK_LOCALE);
  let own = english;
  let code = FALLBACK_LOCALE;
  if (wanted && wanted !== FALLBACK_LOCALE) {
    try {
      own = await fetchTable(wanted);
      code = wanted;
    } catch {
      // no table for this locale: English
    }
  }
  table = own;
  locale = code;
}

/** The page's locale (the table in use). */
export function currentLocale() {
  return locale;
}

/** Set `<html lang dir>` for `code` written in `dir` ("ltr" or "rtl"). */
export function applyLanguage(code, dir) {
  document.documentElement.lang = code;
  document.documentElement.dir = dir === "rtl" ? "rtl" : "ltr";
}

/** The language this browser's buyer chose on the switch, or null. */
export function chosenLocale() {
  try {
    return window.localStorage.getItem(CHOICE_KEY);
  } catch {
    return null;
  }
}

/** Keep the buyer's choice for the rest of the call (reloads included). */
export function rememberLocale(code) {
  try {
    window.localStorage.setItem(CHOICE_KEY, code);
  } catch {
    // storage refused (private mode): the choice holds until the page reloads
  }
}

function lookup(key) {
  if (key in table) return table[key];
  if (key in english) {
    if (!reported.has(key)) {
      reported.add(key);
      console.warn(`i18n: "${key}" is missing in ${locale}; English is shown`);
    }
    return english[key];
  }
  return undefined;
}

function pluralKey(key, count) {
  const own = `${key}.${pluralRules(locale).select(count)}`;
  if (own in table) return own;
  if (`${key}.other` in table) return `${key}.other`;
  const fallback = `${key}.${pluralRules(FALLBACK_LOCALE).select(count)}`;
  return fallback in english ? fallback : `${key}.other`;
}

/** The string for `key` with `params` filled in; the key itself when no table has it. */
export function t(key, params = {}) {
  const isPlural = typeof params.count === "number" && !(key in table) && !(key in english);
  const text = lookup(isPlural ? pluralKey(key, params.count) : key);
  if (text === undefined) return key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in params)) return whole;
    const value = params[name];
    return typeof value === "number" ? formatNumber(value) : String(value);
  });
}

/** Like t(), but params may be DOM nodes (e.g. a <strong>): returns the text and nodes in
 *  the sentence's order, for node.replaceChildren(...). */
export function tNodes(key, params = {}) {
  const nodes = {};
  const plain = {};
  for (const [name, value] of Object.entries(params)) {
    if (value instanceof Node) nodes[name] = value;
    else plain[name] = value;
  }
  const text = t(key, { ...plain, ...Object.fromEntries(Object.keys(nodes).map((n) => [n, `{${n}}`])) });
  return text
    .split(/(\{\w+\})/)
    .filter((part) => part !== "")
    .map((part) => {
      const name = part.startsWith("{") && part.endsWith("}") ? part.slice(1, -1) : null;
      return name && nodes[name] ? nodes[name] : part;
    });
}

/** Whether English (and so every catalogue) has `key` (e.g. a reason-specific variant). */
export function has(key) {
  return key in english || key in table;
}

/** Fill every [data-i18n] and [data-i18n-attr] element under `root`. */
export function translate(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of node.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":").map((part) => part.trim());
      if (attr && key) node.setAttribute(attr, t(key));
    }
  }
}

function pluralRules(code) {
  try {
    return new Intl.PluralRules(code);
  } catch {
    return new Intl.PluralRules(FALLBACK_LOCALE);
  }
}

/** A number in the page's locale. */
export function formatNumber(value, options = {}) {
  try {
    return new Intl.NumberFormat(locale, options).format(value);
  } catch {
    return String(value);
  }
}

/** A clock-like duration ("0:42", "12:05", "1:02:03") in the page's locale. */
export function formatElapsed(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const parts = { hours: Math.floor(s / 3600), minutes: Math.floor((s % 3600) / 60), seconds: s % 60 };
  if (typeof Intl.DurationFormat === "function") {
    try {
      return new Intl.DurationFormat(locale, { style: "digital", hoursDisplay: "auto" }).format(parts);
    } catch {
      // an unknown locale: the plain form below
    }
  }
  const pad = (n) => formatNumber(n, { minimumIntegerDigits: 2, useGrouping: false });
  const tail = `${pad(parts.seconds)}`;
  return parts.hours
    ? `${formatNumber(parts.hours)}:${pad(parts.minutes)}:${tail}`
    : `${formatNumber(parts.minutes)}:${tail}`;
}

/** A date and time in the page's locale. */
export function formatDateTime(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(date);
  } catch {
    return date.toISOString();
  }
}
