// One question before a risky action (revoke, disable, a role change): a modal dialog
// (data-testid="confirm-dialog", its buttons "confirm-yes" and "confirm-no") that
// resolves true only when the person clicks the action's own button. Escape, "Cancel"
// and closing it answer no; focus goes back to where it was.
import { t } from "./staff_i18n.js";
import { $, el } from "./ui.js";

let dialog = null;

function build() {
  dialog = el(
    "dialog",
    { class: "confirm-dialog", testid: "confirm-dialog", "aria-labelledby": "confirm-title" },
    el("h2", { id: "confirm-title", testid: "confirm-title" }),
    el("p", { testid: "confirm-text" }),
    el(
      "div",
      { class: "confirm-actions" },
      el("button", { type: "button", testid: "confirm-no", text: t("confirm.cancel") }),
      el("button", { type: "button", class: "danger", testid: "confirm-yes" }),
    ),
  );
  document.body.append(dialog);
  return dialog;
}

/** Ask before `action` ("Revoke the link"): `text` says what it does. Resolves true when
 * confirmed, false otherwise. */
export function confirmAction(action, text) {
  const box = dialog || build();
  const before = document.activeElement;
  $("confirm-title", box).textContent = t("confirm.question", { action });
  $("confirm-text", box).textContent = text;
  $("confirm-yes", box).textContent = action;
  return new Promise((resolve) => {
    const answer = (yes) => {
      $("confirm-yes", box).onclick = null;
      $("confirm-no", box).onclick = null;
      box.onclose = null;
      if (box.open) box.close();
      if (before && before.isConnected) before.focus();
      resolve(yes);
    };
    $("confirm-yes", box).onclick = () => answer(true);
    $("confirm-no", box).onclick = () => answer(false);
    box.onclose = () => answer(false);
    box.showModal();
    $("confirm-no", box).focus(); // the safe answer is the default
  });
}
