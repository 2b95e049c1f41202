// /login: sign in, change a one-time password, then go where the user was headed. Its
// words are in the staff language last used on this browser (else the browser's).
import { ApiError, post } from "./api.js";
import { loadStaffStrings, rememberedStaffLocale, t, translatePage } from "./staff_i18n.js";
import { $ } from "./ui.js";

const HOME_BY_ROLE = { agent: "/console", supervisor: "/review", admin: "/admin" };

const loginForm = $("#login-form");
const passwordForm = $("#password-form");
const loginError = $("login-error");
const passwordError = $("password-error");
let signedIn = null;

/** `next` only if it is a path on this site (never another origin). */
function safeNext() {
  const next = new URLSearchParams(location.search).get("next");
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return null;
  }
  try {
    const url = new URL(next, location.origin);
    if (url.origin !== location.origin) return null;
    if (url.pathname === "/login") return null;
    return url.pathname + url.search + url.hash;
  } catch {
    return null;
  }
}

function goOn(user) {
  location.assign(safeNext() || HOME_BY_ROLE[user.role] || "/console");
}

function showError(node, err) {
  node.textContent =
    err instanceof ApiError ? err.message : t("login.went_wrong");
  node.hidden = false;
}

function busy(form, isBusy) {
  for (const control of form.querySelectorAll("input, button")) control.disabled = isBusy;
}

loginForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  loginError.hidden = true;
  const email = $("login-email").value.trim();
  const password = $("login-password").value;
  if (!email || !password) {
    loginError.textContent = t("login.missing");
    loginError.hidden = false;
    return;
  }
  busy(loginForm, true);
  try {
    signedIn = await post("/api/auth/login", { email, password });
  } catch (err) {
    busy(loginForm, false);
    showError(loginError, err);
    $("login-password").select();
    return;
  }
  if (signedIn.must_change_password) {
    loginForm.hidden = true;
    passwordForm.hidden = false;
    $("password-username").value = email;
    $("password-current").value = password;
    $("password-new").focus();
    return;
  }
  goOn(signedIn);
});

passwordForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  passwordError.hidden = true;
  const current = $("password-current").value;
  const fresh = $("password-new").value;
  if (!current || !fresh) {
    passwordError.textContent = t("login.password_missing");
    passwordError.hidden = false;
    return;
  }
  busy(passwordForm, true);
  try {
    await post("/api/me/password", { current_password: current, new_password: fresh });
  } catch (err) {
    busy(passwordForm, false);
    showError(passwordError, err);
    return;
  }
  goOn(signedIn);
});

$("login-email").focus();
loadStaffStrings(rememberedStaffLocale()).then(
  () => translatePage(),
  () => {}, // the page's own English stays
);
