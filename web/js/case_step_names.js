// A recorded case's step in the staff's words, for the console's and the review's case
// views: a shop's own step by its English prompt (the case's `step_titles`), a shipped
// step (server/evidence/case_steps_defaults.json) by its catalogue key, and a step that
// no longer exists by its code.
import { t } from "./staff_i18n.js";

const STEP_WORDS = {
  outer_box: "console.cases.step.outer_box",
  label: "console.cases.step.label",
  damage: "console.cases.step.damage",
  item: "console.cases.step.item",
  overview: "console.cases.step.overview",
  detail: "console.cases.step.detail",
  setup: "console.cases.step.setup",
  issue: "console.cases.step.issue",
};

let titles = {}; // the case on show's `step_titles`

/** The titles of the shop's own steps (GET /api/cases/{id}'s `step_titles`) for the case
 *  about to be shown. */
export function useStepTitles(stepTitles) {
  titles = stepTitles || {};
}

/** The step's name as staff read it. */
export function stepName(step) {
  if (Object.hasOwn(titles, step)) return titles[step];
  return STEP_WORDS[step] ? t(STEP_WORDS[step]) : step;
}
