// The start every staff page shares (/console, /review, /admin): the notice, signing
// out, who is signed in (the top bar, the links for their role), the vocabulary (the
// page's selects filled from it), and one way to report a failed request.
//
// The top bar's links say which roles see them: <a data-roles="admin supervisor">.
// A page's selects say which list they show: <select data-vocabulary="outcomes">.
import { ApiError, get, signOut, toLogin } from "./api.js";
import { $, showNotice, wireNotice } from "./ui.js";
import { loadVocabulary } from "./vocabulary.js";

/** The page's notice (data-testid="notice"). */
export const notice = $("notice");

/** Tell the user something in the page's notice ("error" or "info"). */
export function say(text, kind = "error") {
  showNotice(notice, text, kind);
}

/** The sentence for a failed request. */
export function errorText(err) {
  return err instanceof ApiError ? err.message : "Something went wrong.";
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
 * hidden (no form without its options). `beforeSignOut()` runs when "Sign out" is clicked.
 */
export async function startPage({ beforeSignOut = null } = {}) {
  wireNotice(notice);
  $("sign-out").addEventListener("click", () => {
    if (beforeSignOut) beforeSignOut();
    signOut();
  });
  const [me, vocabulary] = await Promise.allSettled([get("/api/me"), loadVocabulary()]);
  if (me.status === "rejected") {
    if (me.reason instanceof ApiError && me.reason.status === 401) toLogin();
    else cannotStart(me.reason);
    return null;
  }
  const user = me.value;
  $("whoami").textContent = `${user.name} · ${user.role}`;
  for (const node of document.querySelectorAll("[data-roles]")) {
    node.hidden = !node.dataset.roles.split(/\s+/).includes(user.role);
  }
  if (vocabulary.status === "rejected") {
    cannotStart(vocabulary.reason);
    return null;
  }
  vocabulary.value.fillSelects();
  return { me: user, vocabulary: vocabulary.value };
}

/** The page cannot work: say why, and show nothing of it but the notice. */
function cannotStart(err) {
  say(`The page could not load. ${errorText(err)}`);
  notice.querySelector(".notice-dismiss").hidden = true;
  for (const part of document.querySelector("main").children) {
    if (part !== notice) part.hidden = true;
  }
}
