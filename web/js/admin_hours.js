// /admin's "Support hours": the shop's weekly schedule in a time zone and its closed
// dates; outside them (or with nobody available) the buyer page offers to record a video
// and says when the team is back. GET/PUT/DELETE /api/support-hours; no hours: always open.
import { del, get, put } from "./api.js";
import { fail } from "./page.js";
import { staffLocale, t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const A_MONDAY = Date.UTC(2026, 10, 30, 12); // 30 November 2026, a Monday

/** The weekday's name in the staff language (Intl, from a known Monday). */
function dayName(index) {
  const when = new Date(A_MONDAY + index * 86400000);
  return new Intl.DateTimeFormat(staffLocale(), { weekday: "long", timeZone: "UTC" }).format(when);
}

function zones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC"];
  }
}

/** Start the section. */
export function mountHours() {
  const select = $("hours-timezone");
  select.replaceChildren(...zones().map((zone) => el("option", { value: zone, text: zone })));
  $("hours-days").replaceChildren(
    ...WEEKDAYS.map((day, index) =>
      el(
        "label",
        { class: "hours-day" },
        el("span", { text: dayName(index) }),
        el("input", {
          type: "text",
          testid: "hours-day",
          "data-day": day,
          placeholder: t("admin.hours.day_placeholder"),
          autocomplete: "off",
        }),
      ),
    ),
  );
  $("#hours-form").addEventListener("submit", save);
  $("hours-clear").addEventListener("click", clear);
  return load();
}

function fill(hours) {
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zone = hours.timezone || own || "UTC";
  const select = $("hours-timezone");
  // the browser's list leaves out aliases such as UTC: a zone it lacks is added, so the
  // select never shows empty
  if (![...select.options].some((option) => option.value === zone)) {
    select.prepend(el("option", { value: zone, text: zone }));
  }
  select.value = zone;
  for (const input of document.querySelectorAll('[data-testid="hours-day"]')) {
    input.value = hours.week ? hours.week[input.dataset.day].join(", ") : "";
  }
  $("hours-closed").value = (hours.closed_dates || []).join(", ");
  $("hours-state").dataset.configured = String(hours.hours_configured);
  $("hours-state").textContent = t(hours.hours_configured ? "admin.hours.state_set" : "admin.hours.state_unset");
  $("hours-clear").disabled = !hours.hours_configured;
}

async function load() {
  fill(await get("/api/support-hours"));
}

function list(text) {
  return text
    .split(/[,;\s]+/)
    .map((part) => part.trim())
    .filter(Boolean);
}

function status(key) {
  $("hours-error").hidden = true;
  $("hours-saved").textContent = t(key);
  $("hours-saved").hidden = false;
}

async function save(event) {
  event.preventDefault();
  $("hours-error").hidden = true;
  $("hours-saved").hidden = true;
  const week = {};
  for (const input of document.querySelectorAll('[data-testid="hours-day"]')) week[input.dataset.day] = list(input.value);
  try {
    fill(await put("/api/support-hours", { timezone: $("hours-timezone").value, week, closed_dates: list($("hours-closed").value) }));
    status("admin.hours.saved");
  } catch (err) {
    fail(err, $("hours-error"));
  }
}

async function clear() {
  $("hours-error").hidden = true;
  $("hours-saved").hidden = true;
  try {
    await del("/api/support-hours");
    await load();
    status("admin.hours.cleared");
  } catch (err) {
    fail(err, $("hours-error"));
  }
}
