// Small DOM and formatting helpers shared by the pages.

/** The element with data-testid `id` (or a CSS selector when it starts with # . or [). */
export function $(id, root = document) {
  return /^[#.[]/.test(id) ? root.querySelector(id) : root.querySelector(`[data-testid="${id}"]`);
}

/** Create an element: el("td", {class: "x", testid: "y", text: "z"}, ...children). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key === "testid") node.dataset.testid = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Show exactly one of `screens` (elements), hiding the others. */
export function showOnly(screens, visible) {
  for (const screen of screens) screen.hidden = screen !== visible;
}

/** "0:07", "12:34", "1:02:03" */
export function formatDuration(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** Date and time in the browser's (or the given) locale; "" for nothing. */
export function formatDateTime(value, locale) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  try {
    return new Intl.DateTimeFormat(locale || undefined, {
      dateStyle: "medium",
      timeStyle: "short",
    }).format(date);
  } catch {
    return date.toLocaleString();
  }
}

/** Copy `text` to the clipboard; tells `button` how it went, in `words` ({done, failed})
 * when given (a page's own language), else in English. */
export async function copyText(text, button, words = {}) {
  const before = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = words.done || "Copied";
  } catch {
    button.textContent = words.failed || "Select and copy";
  }
  setTimeout(() => {
    button.textContent = before;
  }, 1500);
}

/** A short beep through Web Audio; failures (no audio, autoplay rules) are ignored. */
let audioContext = null;
export function unlockAudio() {
  try {
    if (!audioContext) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (Ctx) audioContext = new Ctx();
    }
    if (audioContext && audioContext.state === "suspended") audioContext.resume().catch(() => {});
  } catch {
    audioContext = null;
  }
}

export function beep() {
  try {
    if (!audioContext) unlockAudio();
    if (!audioContext || audioContext.state !== "running") return;
    const now = audioContext.currentTime;
    const osc = audioContext.createOscillator();
    const gain = audioContext.createGain();
    osc.type = "sine";
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.25);
    osc.connect(gain).connect(audioContext.destination);
    osc.start(now);
    osc.stop(now + 0.3);
  } catch {
    // no sound then
  }
}

/** A dismissable notice inside `container` (element with data-testid="notice"). */
export function showNotice(container, text, kind = "error") {
  container.querySelector(".notice-text").textContent = text;
  container.dataset.kind = kind;
  container.hidden = false;
}

export function wireNotice(container) {
  container.querySelector(".notice-dismiss").addEventListener("click", () => {
    container.hidden = true;
  });
}
