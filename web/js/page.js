// The start every staff page shares (/console, /review, /admin): the notice, signing
// out, who is signed in (the top bar, the links for their role), the vocabulary (the
// page's selects filled from it), the staff language (staff_i18n.js: the page's words,
// the language choice in the top bar, saved with PATCH /api/me) and time zone, and one
// way to report a failed request.
//
// The top bar's links say which roles see them: <a data-roles="admin supervisor">.
// A page's selects say which list they show: <select data-vocabulary="outcomes">.
import { ApiError, get, patch, signOut, toLogin } from "./api.js";
import {
  loadStaffStrings,
  rememberedStaffLocale,
  setStaffTimeZone,
  staffLocale,
  t,
  translatePage,
} from "./staff_i18n.js";
import { $, el, showNotice, wireNotice } from "./ui.js";
import { loadVocabulary } from "./vocabulary.js";

const ROLE_WORDS = { agent: "role.agent", supervisor: "role.supervisor", admin: "role.admin" };

/** "Bob Agent · agent" in the page's language. */
export function whoamiText(name, role) {
  return t("top.whoami", { name, role: ROLE_WORDS[role] ? t(ROLE_WORDS[role]) : role });
}

/** The page's notice (data-testid="notice"). */
export const notice = $("notice");

/** Tell the user something in the page's notice ("error" or "info"). */
export function say(text, kind = "error") {
  showNotice(notice, text, kind);
}

/** The sentence for a failed request. */
export function errorText(err) {
  return err instanceof ApiError ? err.message : t("page.went_wrong");
}

/** A request failed: a signed-out user goes to the sign-in page; otherwise the message is
 * shown in `where` (an element, unhidden) or in the page's notice. */
export function fail(err, where = null) {
  if (err instanceof ApiError && err.status === 401) {
    toLogin();
    return null;
  }
  if (where) {
    where.textContent = errorText(err);
    where.hidden = false;
  } else {
    say(errorText(err));
  }
  return null;
}

/**
 * Start a staff page. Resolves with `{me, vocabulary}` once both are known and the page's
 * top bar and selects are filled, or with null when the page cannot start: a signed-out
 * user is sent to sign in; otherwise the notice says why and the page's content stays
 * hidden (no form without its options). The page's words are in the user's language
 * (their `locale`), its times in their time zone. `beforeSignOut()` runs when "Sign out"
 * is clicked.
 */
export async function startPage({ beforeSignOut = null } = {}) {
  wireNotice(notice);
  $("sign-out").addEventListener("click", () => {
    if (beforeSignOut) beforeSignOut();
    signOut();
  });
  const [me, vocabulary] = await Promise.allSettled([get("/api/me"), loadVocabulary()]);
  if (me.status === "rejected" && me.reason instanceof ApiError && me.reason.status === 401) {
    toLogin();
    return null;
  }
  try {
    await loadStaffStrings(me.status === "fulfilled" ? me.value.locale : rememberedStaffLocale());
  } catch (err) {
    cannotStart(err);
    return null;
  }
  translatePage();
  if (me.status === "rejected") {
    cannotStart(me.reason);
    return null;
  }
  const user = me.value;
  setStaffTimeZone(user.timezone);
  $("whoami").textContent = whoamiText(user.name, user.role);
  for (const node of document.querySelectorAll("[data-roles]")) {
    node.hidden = !node.dataset.roles.split(/\s+/).includes(user.role);
  }
  if (vocabulary.status === "rejected") {
    cannotStart(vocabulary.reason);
    return null;
  }
  vocabulary.value.fillSelects();
  mountLanguageSwitch(vocabulary.value.staffLocales);
  return { me: user, vocabulary: vocabulary.value };
}

/** The top bar's language choice (data-testid="staff-language"), before "who am I":
 * a change is saved for the user (PATCH /api/me) and the page loads again in it. */
function mountLanguageSwitch(locales) {
  const select = el(
    "select",
    { testid: "staff-language", "aria-label": t("top.language"), title: t("top.language") },
    locales.map((loc) => el("option", { value: loc.code, lang: loc.code, text: loc.name })),
  );
  select.value = staffLocale();
  select.addEventListener("change", async () => {
    select.disabled = true;
    try {
      await patch("/api/me", { locale: select.value });
      location.reload();
    } catch (err) {
      select.value = staffLocale();
      select.disabled = false;
      fail(err);
    }
  });
  $("whoami").before(select);
}

/** Let the language be changed now (false during a call: changing it loads the page
 * again). */
export function allowLanguageChange(allowed) {
  const select = $("staff-language");
  if (!select) return;
  select.disabled = !allowed;
  select.title = allowed ? t("top.language") : t("top.language_after_call");
}

/** The page cannot work: say why, and show nothing of it but the notice. */
function cannotStart(err) {
  say(`${t("page.cannot_load")} ${errorText(err)}`);
  notice.querySelector(".notice-dismiss").hidden = true;
  for (const part of document.querySelector("main").children) {
    if (part !== notice) part.hidden = true;
  }
}
