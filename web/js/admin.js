// /admin: people (accounts), buyer links, integrations' API keys and the evidence audit.
import { del, get, patch, post } from "./api.js";
import { mountConsentTexts } from "./admin_consent.js";
import { mountPhrases } from "./admin_phrases.js";
import { confirmAction } from "./confirm.js";
import { wireLinkForm } from "./linkform.js";
import { fail, notice, say, startPage } from "./page.js";
import { $, copyText, el, formatDateTime } from "./ui.js";

const ROLES = ["agent", "supervisor", "admin"];
let me = null;
let vocabulary = null; // the staff labels (vocabulary.js), once the page has started

function showOneTimePassword(user, password) {
  $("one-time-password").textContent = password;
  $("one-time-password-box").querySelector(".otp-for").textContent =
    `${user.name} (${user.email}):`;
  $("one-time-password-box").hidden = false;
}

// ------------------------------------------------------------------ people

async function loadUsers() {
  const { items } = await get("/api/users");
  const rows = items.map((user) => {
    const isMe = me && user.id === me.id;
    const roleSelect = el(
      "select",
      { testid: "user-role-select", "aria-label": `Role of ${user.email}`, disabled: isMe },
      ROLES.map((role) =>
        el("option", { value: role, selected: role === user.role, text: role }),
      ),
    );
    roleSelect.addEventListener("change", async () => {
      const role = roleSelect.value;
      const yes = await confirmAction(
        "Change the role",
        `${user.name} (${user.email}) becomes ${role === "admin" ? "an" : "a"} ${role}: ` +
          "what they can see and do changes at once.",
      );
      if (yes) updateUser(user, { role });
      else roleSelect.value = user.role;
    });
    const status = user.disabled
      ? "disabled"
      : user.must_change_password
        ? "must change password"
        : "active";
    return el(
      "tr",
      { testid: "user-row", dataset: { email: user.email, userId: user.id } },
      el("td", { text: user.name }),
      el("td", { text: user.email }),
      el("td", {}, roleSelect),
      el("td", { testid: "user-status", text: status }),
      el(
        "td",
        { class: "actions" },
        el("button", {
          type: "button",
          testid: "user-toggle-disabled",
          disabled: isMe,
          text: user.disabled ? "Enable" : "Disable",
          onclick: async () => {
            if (!user.disabled) {
              const yes = await confirmAction(
                "Disable the account",
                `${user.name} (${user.email}) is signed out everywhere and cannot sign in until enabled again.`,
              );
              if (!yes) return;
            }
            updateUser(user, { disabled: !user.disabled });
          },
        }),
        el("button", {
          type: "button",
          testid: "user-reset-password",
          text: "Reset password",
          onclick: () => updateUser(user, { reset_password: true }),
        }),
      ),
    );
  });
  $("#user-rows").replaceChildren(...rows);
}

async function updateUser(user, change) {
  notice.hidden = true;
  $("one-time-password-box").hidden = true;
  try {
    const updated = await patch(`/api/users/${user.id}`, change);
    if (updated.one_time_password) showOneTimePassword(updated, updated.one_time_password);
  } catch (err) {
    fail(err);
  }
  await loadUsers().catch(fail);
}

$("#user-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("user-error");
  error.hidden = true;
  $("one-time-password-box").hidden = true; // a box from before does not stay under a new answer
  const email = $("user-email").value.trim();
  const name = $("user-name").value.trim();
  if (!email) {
    error.textContent = "Enter an email address.";
    error.hidden = false;
    return;
  }
  const body = { email, role: $("user-role").value };
  if (name) body.name = name;
  try {
    const created = await post("/api/users", body);
    if (created.one_time_password) showOneTimePassword(created, created.one_time_password);
    $("user-email").value = "";
    $("user-name").value = "";
  } catch (err) {
    fail(err, error);
    return;
  }
  await loadUsers().catch(fail);
});

$("one-time-password-copy").addEventListener("click", (event) =>
  copyText($("one-time-password").textContent, event.currentTarget),
);

// ------------------------------------------------------------------ links

async function loadLinks() {
  const { items } = await get("/api/links");
  const rows = items.map((link) =>
    el(
      "tr",
      {
        testid: "link-row",
        dataset: { linkId: link.id, orderRef: link.order_ref, status: link.status },
      },
      el("td", { text: link.order_ref }),
      el("td", { testid: "link-purpose-label", text: vocabulary.label("purposes", link.purpose) }),
      el("td", { text: languageName(link.locale) }),
      el("td", { text: formatDateTime(link.created_at) }),
      el("td", { text: formatDateTime(link.expires_at) }),
      el("td", {
        testid: "link-status",
        class: `status-${linkStatus(link)}`,
        dataset: { callState: link.call_state || "" },
        text: linkStatusWords(link),
      }),
      el(
        "td",
        { class: "actions" },
        link.status === "active"
          ? el("button", {
              type: "button",
              class: "danger",
              testid: "link-revoke",
              text: "Revoke",
              onclick: () => revokeLink(link),
            })
          : null,
      ),
    ),
  );
  $("#link-rows").replaceChildren(...rows);
}

/** active | used (its call is over) | in_call | expired | revoked */
function linkStatus(link) {
  if (link.status !== "active") return link.status;
  if (link.call_state === "ended") return "used";
  if (link.call_state) return "in_call";
  return "active";
}

function linkStatusWords(link) {
  return {
    active: "active, not used yet",
    used: "used: its call is over",
    in_call: "in a call now",
    expired: "expired",
    revoked: "revoked",
  }[linkStatus(link)];
}

function languageName(code) {
  if (!code) return "";
  try {
    return new Intl.DisplayNames(["en"], { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}

async function revokeLink(link) {
  const live = link.call_state && link.call_state !== "ended";
  const yes = await confirmAction(
    "Revoke the link",
    `The link for order ${link.order_ref} stops working` +
      (live ? " and the buyer's call on it ends now." : ". The buyer cannot open it again."),
  );
  if (!yes) return;
  notice.hidden = true;
  try {
    await del(`/api/links/${link.id}`);
    say(`The link for order ${link.order_ref} was revoked.`, "info");
  } catch (err) {
    fail(err);
  }
  await loadLinks().catch(fail);
}

wireLinkForm("link-", () => loadLinks().catch(fail));

// ------------------------------------------------------------------ API keys

async function loadApiKeys() {
  const { items } = await get("/api/apikeys");
  const rows = items.map((key) =>
    el(
      "tr",
      { testid: "apikey-row", dataset: { apikeyId: key.id, name: key.name, status: key.status } },
      el("td", { text: key.name }),
      el("td", {}, el("code", { text: `${key.prefix}…` })),
      el("td", { testid: "apikey-row-scopes", class: "wrap", text: key.scopes.join(" ") }),
      el("td", { text: formatDateTime(key.created_at) }),
      el("td", { text: key.expires_at ? formatDateTime(key.expires_at) : "never" }),
      el("td", {
        testid: "apikey-last-used",
        text: key.last_used_at ? formatDateTime(key.last_used_at) : "never",
      }),
      el("td", { testid: "apikey-status", class: `status-${key.status}`, text: key.status }),
      el(
        "td",
        { class: "actions" },
        key.status === "active"
          ? el("button", {
              type: "button",
              class: "danger",
              testid: "apikey-revoke",
              text: "Revoke",
              onclick: () => revokeApiKey(key),
            })
          : null,
      ),
    ),
  );
  $("apikey-rows").replaceChildren(...rows);
  $("apikey-empty").hidden = rows.length > 0;
}

async function revokeApiKey(key) {
  const yes = await confirmAction(
    "Revoke the key",
    `The API key "${key.name}" stops working at once for the system that uses it.`,
  );
  if (!yes) return;
  notice.hidden = true;
  try {
    await del(`/api/apikeys/${key.id}`);
    say(`The API key "${key.name}" was revoked.`, "info");
  } catch (err) {
    fail(err);
  }
  await loadApiKeys().catch(fail);
}

$("#apikey-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  notice.hidden = true;
  const error = $("apikey-error");
  error.hidden = true;
  $("apikey-result").hidden = true;
  const name = $("apikey-name").value.trim();
  const scopes = [...$("apikey-scopes").querySelectorAll("input:checked")].map((box) => box.value);
  if (!name) {
    error.textContent = "Give the key a name, e.g. the system that will use it.";
    error.hidden = false;
    return;
  }
  if (!scopes.length) {
    error.textContent = "Tick at least one thing the key may do.";
    error.hidden = false;
    return;
  }
  const expires = $("apikey-expires").value;
  const body = { name, scopes, expires_in_s: expires ? Number(expires) : null };
  try {
    const created = await post("/api/apikeys", body);
    $("apikey-key").textContent = created.key;
    $("apikey-result").querySelector(".apikey-for").textContent = `${created.name}:`;
    $("apikey-result").hidden = false;
    $("apikey-name").value = "";
  } catch (err) {
    fail(err, error);
    return;
  }
  await loadApiKeys().catch(fail);
});

$("apikey-copy").addEventListener("click", (event) =>
  copyText($("apikey-key").textContent, event.currentTarget),
);

// ------------------------------------------------------------------ audit

const AUDIT_PER_PAGE = 50;
// the audit select's option texts are the words; these say what one entry did
const AUDIT_WORDS = {
  view_recording: (e) => `watched recording #${e.object_id}`,
  view_photo: (e) => `viewed photo #${e.object_id}`,
  view_chat: () => "read the chat",
  user_created: (e) => `created account ${e.detail?.email ?? ""} (${e.detail?.role ?? ""})`,
  user_changed: (e) => `changed account #${e.detail?.user_id}: ${(e.detail?.changed || []).join(", ")}`,
  link_revoked: (e) => `revoked the link for order ${e.detail?.order_ref ?? ""}`,
  apikey_created: (e) => `created API key ${e.detail?.name ?? ""} (${e.detail?.scopes ?? ""})`,
  apikey_revoked: (e) => `revoked API key ${e.detail?.name ?? ""}`,
  hold_add: (e) => `put the call on legal hold: ${e.detail?.reason ?? ""}`,
  hold_remove: () => "lifted the legal hold",
  erase_order: (e) => `erased order ${e.detail?.order_ref ?? ""} (${e.detail?.calls ?? 0} calls)`,
  export_order: (e) => `exported order ${e.detail?.order_ref ?? ""}`,
  retention_run: (e) => `retention deleted the media of ${e.detail?.calls ?? 0} calls`,
};
let auditPage = 1;

function auditViewer(entry) {
  if (entry.user_name) return `${entry.user_name} (${entry.user_email})`;
  if (entry.api_key_id) return `API key ${entry.api_key_name || `#${entry.api_key_id}`}`;
  if (entry.user_id === null || entry.user_id === undefined) return "Showdesk";
  return `user ${entry.user_id}`;
}

async function loadAudit() {
  const action = $("audit-action").value;
  const query = new URLSearchParams({ page: auditPage, per_page: AUDIT_PER_PAGE });
  if (action) query.set("action", action);
  const data = await get(`/api/audit?${query}`);
  const rows = data.items.map((entry) =>
    el(
      "tr",
      { testid: "audit-row", dataset: { action: entry.action, callId: entry.call_id } },
      el("td", { text: formatDateTime(entry.at) }),
      el("td", { text: auditViewer(entry) }),
      el("td", { text: (AUDIT_WORDS[entry.action] || (() => entry.action))(entry) }),
      el(
        "td",
        {},
        entry.call_id
          ? el("a", {
              href: `/review?session=${encodeURIComponent(entry.call_id)}`,
              testid: "audit-call-link",
              text: entry.order_ref ? `Order ${entry.order_ref}` : "Open the call",
              "aria-label": entry.order_ref
                ? `Open the call for order ${entry.order_ref} in the review`
                : "Open the call in the review",
            })
          : "",
      ),
    ),
  );
  $("audit-rows").replaceChildren(...rows);
  $("audit-empty").hidden = rows.length > 0;
  const pages = Math.max(1, Math.ceil(data.total / AUDIT_PER_PAGE));
  $("audit-page").textContent = `Page ${auditPage} of ${pages}`;
  $("audit-prev").disabled = auditPage <= 1;
  $("audit-next").disabled = auditPage >= pages;
}

$("audit-refresh").addEventListener("click", () => loadAudit().catch(fail));
$("audit-action").addEventListener("change", () => {
  auditPage = 1;
  loadAudit().catch(fail);
});
$("audit-prev").addEventListener("click", () => {
  auditPage = Math.max(1, auditPage - 1);
  loadAudit().catch(fail);
});
$("audit-next").addEventListener("click", () => {
  auditPage += 1;
  loadAudit().catch(fail);
});

// ------------------------------------------------------------------ start

async function start() {
  const started = await startPage();
  if (!started) return;
  ({ me, vocabulary } = started);
  await Promise.all([
    loadUsers(),
    loadLinks(),
    loadApiKeys(),
    loadAudit(),
    mountPhrases(vocabulary),
    mountConsentTexts(vocabulary),
  ]).catch(fail);
}

start();
