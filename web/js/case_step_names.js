// A recorded case's step in the staff's words, for the console's and the review's case
// views: the shipped steps (server/evidence/case_steps_defaults.json) by their catalogue
// keys, a shop's own step by its code.
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

/** The step's name as staff read it. */
export function stepName(step) {
  return STEP_WORDS[step] ? t(STEP_WORDS[step]) : step;
}
