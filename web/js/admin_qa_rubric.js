// /admin's "QA rubric": the criteria supervisors score a call against. An admin adds a
// criterion (a label, what to look for, a pass/fail or points scale, a weight), changes
// one, moves one up or down (the ordered editors' own moves, admin_item_list.js; the
// order is saved at once and is the review form's), and retires one (or brings it back).
// Nothing is deleted: a retired criterion is no longer on the review form, and a score
// already given keeps the scale, weight and total it was given with. GET /api/qa/rubric,
// POST /api/qa/criteria, PATCH /api/qa/criteria/{id}, PUT /api/qa/rubric/order.
import { moveButtons } from "./admin_item_list.js";
import { get, patch, post, put } from "./api.js";
import { confirmAction } from "./confirm.js";
import { fail } from "./page.js";
import { t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

/** Start the section. */
export function mountQaRubric() {
  $("#qa-rubric-add-form").addEventListener("submit", addCriterion);
  const scale = $("qa-rubric-new-scale");
  scale.addEventListener("change", () => showPoints(scale, $("qa-rubric-new-points")));
  showPoints(scale, $("qa-rubric-new-points"));
  return loadRubric();
}

/** A points box only for a points scale. */
function showPoints(scale, points) {
  points.closest("label").hidden = scale.value !== "points";
}

function scaleWords(c) {
  return c.scale === "points" ? t("admin.qa.scale_points_of", { points: c.points }) : t("admin.qa.scale_pass_fail");
}

async function loadRubric() {
  const { criteria } = await get("/api/qa/rubric");
  $("qa-rubric-list").replaceChildren(...criteria.map((c, index) => criterionItem(c, index, criteria)));
}

/** Save the order of `criteria` (moved in place), every criterion once, retired ones too. */
async function saveOrder(criteria) {
  $("qa-rubric-error").hidden = true;
  try {
    await put("/api/qa/rubric/order", { ids: criteria.map((c) => c.id) });
  } catch (err) {
    fail(err, $("qa-rubric-error"));
  }
  await loadRubric();
}

async function change(id, body) {
  $("qa-rubric-error").hidden = true;
  try {
    await patch(`/api/qa/criteria/${id}`, body);
    await loadRubric();
  } catch (err) {
    fail(err, $("qa-rubric-error"));
  }
}

/** The fields of a criterion, empty for a new one. */
function fields(c, prefix) {
  const scale = el(
    "select",
    { testid: `${prefix}-scale` },
    new Option(t("admin.qa.scale_pass_fail"), "pass_fail", false, c.scale === "pass_fail"),
    new Option(t("admin.qa.scale_points"), "points", false, c.scale === "points"),
  );
  const points = el("input", { type: "number", min: "2", max: "10", value: String(c.points || 5), testid: `${prefix}-points` });
  const box = el(
    "span",
    { class: "inline-form" },
    el("label", {}, el("span", { text: t("admin.qa.label") }), el("input", { type: "text", maxlength: "80", required: true, value: c.label, testid: `${prefix}-label` })),
    el("label", {}, el("span", { text: t("admin.qa.hint") }), el("input", { type: "text", maxlength: "300", value: c.hint || "", testid: `${prefix}-hint` })),
    el("label", {}, el("span", { text: t("admin.qa.scale") }), scale),
    el("label", {}, el("span", { text: t("admin.qa.points") }), points),
    el("label", {}, el("span", { text: t("admin.qa.weight") }), el("input", { type: "number", min: "1", max: "100", required: true, value: String(c.weight), testid: `${prefix}-weight` })),
  );
  scale.addEventListener("change", () => showPoints(scale, points));
  showPoints(scale, points);
  return box;
}

function read(root, prefix) {
  const value = (name) => root.querySelector(`[data-testid="${prefix}-${name}"]`).value.trim();
  const scale = value("scale");
  return {
    label: value("label"),
    hint: value("hint") || null,
    scale,
    points: scale === "points" ? Number(value("points")) : null,
    weight: Number(value("weight")),
  };
}

function criterionItem(c, index, criteria) {
  const retired = Boolean(c.retired_at);
  const editor = el(
    "form",
    {
      class: "qa-rubric-edit",
      hidden: true,
      testid: "qa-rubric-editor",
      onsubmit: (event) => {
        event.preventDefault();
        change(c.id, read(event.target, "qa-rubric-edit"));
      },
    },
    fields(c, "qa-rubric-edit"),
    el("button", { type: "submit", class: "primary", testid: "qa-rubric-save", text: t("admin.qa.save") }),
  );
  return el(
    "li",
    { class: "qa-rubric-item", testid: "qa-rubric-criterion", dataset: { criterionId: String(c.id), retired: String(retired) } },
    el(
      "div",
      { class: "outcome-category-head" },
      el("strong", { testid: "qa-rubric-name", text: c.label }),
      el("span", { class: "muted", testid: "qa-rubric-terms", text: t("admin.qa.terms", { scale: scaleWords(c), weight: c.weight }) }),
      retired ? el("span", { class: "badge", text: t("admin.outcomes.retired") }) : null,
      el("button", {
        type: "button",
        class: "link-button",
        testid: "qa-rubric-edit",
        text: t("admin.qa.edit"),
        onclick: () => {
          editor.hidden = !editor.hidden;
        },
      }),
      el("button", {
        type: "button",
        class: "link-button",
        testid: retired ? "qa-rubric-restore" : "qa-rubric-retire",
        text: t(retired ? "admin.outcomes.restore" : "admin.outcomes.retire"),
        onclick: async () => {
          if (!retired) {
            const sure = await confirmAction(t("admin.qa.retire_action", { label: c.label }), t("admin.qa.retire_text"));
            if (!sure) return;
          }
          change(c.id, { retired: !retired });
        },
      }),
    ),
    c.hint ? el("p", { class: "hint", text: c.hint }) : null,
    editor,
    moveButtons({ list: criteria, index, render: () => saveOrder(criteria), testid: "qa-rubric-move", remove: false }),
  );
}

async function addCriterion(event) {
  event.preventDefault();
  $("qa-rubric-error").hidden = true;
  const form = event.target;
  const body = read(form, "qa-rubric-new");
  if (!body.hint) delete body.hint;
  if (body.points === null) delete body.points;
  try {
    await post("/api/qa/criteria", body);
    for (const name of ["label", "hint"]) $(`qa-rubric-new-${name}`).value = "";
    await loadRubric();
  } catch (err) {
    fail(err, $("qa-rubric-error"));
  }
}
