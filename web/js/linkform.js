// The "new buyer link" form, on /admin and /console: order reference, purpose, locale ->
// POST /api/links -> the URL shown once with a copy button. Elements are found by
// data-testid with a page's prefix ("link-" on /admin, "new-link-" on /console).
import { post } from "./api.js";
import { fail } from "./page.js";
import { t } from "./staff_i18n.js";
import { $, copyText } from "./ui.js";

const COPY_WORDS = () => ({ done: t("page.copied"), failed: t("page.copy_by_hand") });

/** Wire the form `#<prefix>form`; `onCreated(link)` runs after each new link. */
export function wireLinkForm(prefix, onCreated = () => {}) {
  const field = (name) => $(`${prefix}${name}`);
  $(`#${prefix}form`).addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = field("error");
    error.hidden = true;
    field("result").hidden = true; // the link from before does not stay under a new answer
    const orderRef = field("order").value.trim();
    if (!orderRef) {
      error.textContent = t("link.order_missing");
      error.hidden = false;
      return;
    }
    const body = { order_ref: orderRef, purpose: field("purpose").value };
    const locale = field("locale").value.trim();
    if (locale) body.locale = locale;
    try {
      const created = await post("/api/links", body);
      field("url").textContent = created.url;
      field("result").hidden = false;
      field("order").value = "";
      await onCreated(created);
    } catch (err) {
      fail(err, error);
    }
  });
  field("copy").addEventListener("click", (event) =>
    copyText(field("url").textContent, event.currentTarget, COPY_WORDS()),
  );
}
