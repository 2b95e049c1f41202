// The buyer page's words: every string it shows comes from t(key, params), read from one
// table per locale (web/i18n/<locale>.json; English only for now). Keys are flat
// ("waiting.elapsed"); "{name}" placeholders are filled from params; a key with ".one" /
// ".other" (Intl.PluralRules categories) variants picks one by params.count. Elements
// carrying data-i18n="key" get their text from it, data-i18n-attr="aria-label:key;..."
// their attributes. Numbers and durations are formatted with Intl.

const FALLBACK_LOCALE = "en";
let table = {};
let locale = FALLBACK_LOCALE;

/** Load the table for `wanted` (only English exists so far, so it is always English);
 *  numbers and dates are then formatted in the table's language, like the words. */
export async function loadStrings(wanted = FALLBACK_LOCALE) {
  const response = await fetch(`/static/i18n/${FALLBACK_LOCALE}.json`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`strings: ${response.status}`);
  table = await response.json();
  locale = FALLBACK_LOCALE;
}

/** The string for `key` with `params` filled in; the key itself when it is unknown. */
export function t(key, params = {}) {
  let text = table[key];
  if (typeof params.count === "number") {
    const plural = table[`${key}.${pluralRules().select(params.count)}`] ?? table[`${key}.other`];
    if (plural !== undefined) text = plural;
  }
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

/** Whether the table has `key` (e.g. a purpose- or reason-specific variant). */
export function has(key) {
  return key in table;
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

function pluralRules() {
  try {
    return new Intl.PluralRules(locale);
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
