// The review list opened from a figure elsewhere (/analytics links each number to
// /review?carrier=ups&category=logistics&since=…&until=…): the parameters the filter
// form has a field for fill that field; the others (an exact period, an outcome
// category, an end reason, the return reasons' calls only, answered calls only) are kept beside the form, named in `linked-filters` with a
// button that drops them, and sent with every request until then, so the list shows
// exactly the calls behind the figure.
import { t } from "./staff_i18n.js";
import { $ } from "./ui.js";

const FORM_FIELDS = {
  outcome: "filter-outcome",
  decision: "filter-decision",
  purpose: "filter-purpose",
  agent_id: "filter-agent",
  sku: "filter-sku",
  carrier: "filter-carrier",
  channel: "filter-channel",
  buyer_country: "filter-country",
};
const CHECKS = { untagged: "filter-untagged", not_reached: "filter-not-reached" };
const KEPT = ["since", "until", "category", "end_reason", "return_reasons", "answered"];
const kept = new URLSearchParams();

/** Fill the filter form from the page's address; `label(list, code)` names a code. */
export function takeLinkedFilters(label, onClear) {
  const given = new URLSearchParams(location.search);
  for (const [name, id] of Object.entries(FORM_FIELDS)) {
    const value = given.get(name);
    if (!value) continue;
    const input = $(id);
    if (input.tagName === "SELECT" && ![...input.options].some((o) => o.value === value)) {
      const list = { outcome: "outcomes", decision: "decisions", purpose: "purposes" }[name];
      input.append(new Option(list ? label(list, value) : t("review.agent_id", { id: value }), value));
    }
    input.value = value;
  }
  for (const [name, id] of Object.entries(CHECKS)) if (given.get(name) === "true") $(id).checked = true;
  for (const name of KEPT) if (given.get(name)) kept.set(name, given.get(name));
  const box = $("linked-filters");
  if (!kept.size) return;
  const words = [];
  if (kept.has("since") || kept.has("until")) words.push(t("review.linked.period"));
  if (kept.has("category")) words.push(label("outcome_categories", kept.get("category")));
  if (kept.has("end_reason")) words.push(label("end_reasons", kept.get("end_reason")));
  if (kept.get("return_reasons") === "true") words.push(t("review.linked.return_reasons"));
  if (kept.get("answered") === "true") words.push(t("review.linked.answered"));
  $("linked-filters-text").textContent = t("review.linked.text", { what: words.join(", ") });
  box.hidden = false;
  $("linked-filters-clear").onclick = () => {
    for (const name of KEPT) kept.delete(name);
    box.hidden = true;
    history.replaceState(null, "", location.pathname);
    onClear();
  };
}

/** Add the kept parameters the form did not set to a request's `params`. */
export function addLinkedFilters(params) {
  for (const [name, value] of kept) if (!params.has(name)) params.set(name, value);
}
