// What the QA pieces of the staff pages share: a score's weighted total (as the server
// computes it: pass 1, fail 0, points (v - 1) / (top - 1), weighted), a value's words
// and a comment's time on the review video.
import { t } from "./staff_i18n.js";
import { formatDuration } from "./ui.js";

/** Where `value` sits on its scale, 0 to 1. */
export function share(value, scale, points) {
  if (scale === "pass_fail") return Number(value);
  const top = points || 2;
  return (value - 1) / (top - 1);
}

/** The weighted total (0-100, to 0.1) of items {value, scale, points, weight}. */
export function totalOf(items) {
  const weights = items.reduce((sum, i) => sum + i.weight, 0);
  if (!weights) return 0;
  const got = items.reduce((sum, i) => sum + i.weight * share(i.value, i.scale, i.points), 0);
  return Math.round((1000 * got) / weights) / 10;
}

/** "Pass", "Fail" or "4 / 5". */
export function valueWords(item) {
  if (item.scale === "pass_fail") return t(item.value ? "qa.pass" : "qa.fail");
  return t("qa.points_of", { value: item.value, points: item.points });
}

/** "0:07": a comment's time on the review video. */
export const commentTime = (videoMs) => formatDuration(videoMs / 1000);
