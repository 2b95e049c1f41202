// /admin: people (accounts), buyer links, integrations' API keys and the evidence audit.
import { del, get, patch, post } from "./api.js";
import { mountCaseSteps } from "./admin_case_steps.js";
import { mountInspectionTemplates } from "./admin_inspection_templates.js";
import { mountConsentTexts } from "./admin_consent.js";
import { mountHours } from "./admin_hours.js";
import { mountOutcomes } from "./admin_outcomes.js";
import { mountPhrases } from "./admin_phrases.js";
import { mountQaRubric } from "./admin_qa_rubric.js";
import { mountWebhooks } from "./admin_webhooks.js";
import { confirmAction } from "./confirm.js";
import { wireLinkForm } from "./linkform.js";
import { fail, notice, say, startPage } from "./page.js";
import { formatStaffDateTime as formatDateTime, languageName as namedLanguage, t } from "./staff_i18n.js";
import { $, copyText, el } from "./ui.js";

const COPY_WORDS = () => ({ done: t("page.copied"), failed: t("page.copy_by_hand") });
const ROLES = ["agent", "supervisor", "admin"];
const ROLE_WORDS = { agent: "role.agent", supervisor: "role.supervisor", admin: "role.admin" };
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
      { testid: "user-role-select", "aria-label": t("admin.users.role_of", { email: user.email }), disabled: isMe },
      ROLES.map((role) =>
        el("option", { value: role, selected: role === user.role, text: t(ROLE_WORDS[role]) }),
      ),
    );
    roleSelect.addEventListener("change", async () => {
      const role = roleSelect.value;
      const yes = await confirmAction(
        t("admin.users.change_role"),
        t(role === "admin" ? "admin.users.becomes_an" : "admin.users.becomes_a", {
          name: user.name,
          email: user.email,
          role: t(ROLE_WORDS[role]),
        }),
      );
      if (yes) updateUser(user, { role });
      else roleSelect.value = user.role;
    });
    const status = t(
      user.disabled
        ? "admin.users.disabled"
        : user.must_change_password
          ? "admin.users.must_change"
          : "admin.users.active",
    );
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
          text: t(user.disabled ? "admin.users.enable" : "admin.users.disable"),
          onclick: async () => {
            if (!user.disabled) {
              const yes = await confirmAction(
                t("admin.users.disable_action"),
                t("admin.users.disable_text", { name: user.name, email: user.email }),
              );
              if (!yes) return;
            }
            updateUser(user, { disabled: !user.disabled });
          },
        }),
        el("button", {
          type: "button",
          testid: "user-reset-password",
          text: t("admin.users.reset"),
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
    error.textContent = t("admin.users.email_missing");
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
  copyText($("one-time-password").textContent, event.currentTarget, COPY_WORDS()),
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
        class: `status-${linkStatus(link)} wrap`,
        dataset: {
          callState: link.call_state || "",
          callsUsed: link.calls_used,
          callsLeft: link.calls_left,
        },
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
              text: t("admin.revoke"),
              onclick: () => revokeLink(link),
            })
          : null,
      ),
    ),
  );
  $("#link-rows").replaceChildren(...rows);
}

/** active (never used) | used (it can start more calls) | used_up | in_call | expired |
 * revoked */
function linkStatus(link) {
  if (link.status !== "active") return link.status;
  if (link.call_state && link.call_state !== "ended") return "in_call";
  if (link.calls_left === 0) return "used_up";
  if (link.calls_used > 0) return "used";
  return "active";
}

function linkStatusWords(link) {
  const words = {
    active: "admin.links.active",
    used: "admin.links.used",
    used_up: "admin.links.used_up",
    in_call: "admin.links.in_call",
    expired: "admin.links.expired",
    revoked: "admin.links.revoked",
  }[linkStatus(link)];
  const counts = {
    used: link.calls_used,
    left: link.calls_left,
    max: link.calls_used + link.calls_left,
  };
  return words ? t(words, counts) : link.status;
}

function languageName(code) {
  return code ? namedLanguage(code, vocabulary.ownName(code)) : "";
}

async function revokeLink(link) {
  const live = link.call_state && link.call_state !== "ended";
  const yes = await confirmAction(
    t("admin.links.revoke_action"),
    t(live ? "admin.links.revoke_live" : "admin.links.revoke_text", { order: link.order_ref }),
  );
  if (!yes) return;
  notice.hidden = true;
  try {
    await del(`/api/links/${link.id}`);
    say(t("admin.links.revoked_notice", { order: link.order_ref }), "info");
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
      el("td", { text: key.expires_at ? formatDateTime(key.expires_at) : t("admin.keys.never_lower") }),
      el("td", {
        testid: "apikey-last-used",
        text: key.last_used_at ? formatDateTime(key.last_used_at) : t("admin.keys.never_lower"),
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
              text: t("admin.revoke"),
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
    t("admin.keys.revoke_action"),
    t("admin.keys.revoke_text", { name: key.name }),
  );
  if (!yes) return;
  notice.hidden = true;
  try {
    await del(`/api/apikeys/${key.id}`);
    say(t("admin.keys.revoked_notice", { name: key.name }), "info");
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
    error.textContent = t("admin.keys.name_missing");
    error.hidden = false;
    return;
  }
  if (!scopes.length) {
    error.textContent = t("admin.keys.scopes_missing");
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
  copyText($("apikey-key").textContent, event.currentTarget, COPY_WORDS()),
);

// ------------------------------------------------------------------ audit

const AUDIT_PER_PAGE = 50;
// the audit select's option texts are the words; these say what one entry did
const AUDIT_WORDS = {
  view_recording: (e) => t("admin.did.view_recording", { id: e.object_id }),
  view_photo: (e) => t("admin.did.view_photo", { id: e.object_id }),
  view_chat: () => t("admin.did.view_chat"),
  user_created: (e) => t("admin.did.user_created", { email: e.detail?.email ?? "", role: e.detail?.role ?? "" }),
  user_changed: (e) =>
    t("admin.did.user_changed", { id: e.detail?.user_id, what: (e.detail?.changed || []).join(", ") }),
  link_revoked: (e) => t("admin.did.link_revoked", { order: e.detail?.order_ref ?? "" }),
  apikey_created: (e) => t("admin.did.apikey_created", { name: e.detail?.name ?? "", scopes: e.detail?.scopes ?? "" }),
  apikey_revoked: (e) => t("admin.did.apikey_revoked", { name: e.detail?.name ?? "" }),
  hold_add: (e) => t("admin.did.hold_add", { reason: e.detail?.reason ?? "" }),
  hold_remove: () => t("admin.did.hold_remove"),
  erase_order: (e) => t("admin.did.erase_order", { order: e.detail?.order_ref ?? "", count: e.detail?.calls ?? 0 }),
  export_order: (e) => t("admin.did.export_order", { order: e.detail?.order_ref ?? "" }),
  evidence_bundle: (e) => t("admin.did.evidence_bundle", { count: e.detail?.files ?? 0 }),
  retention_run: (e) => t("admin.did.retention_run", { count: e.detail?.calls ?? 0 }),
  case_steps_changed: (e) => t("admin.did.case_steps_changed", { purpose: e.detail?.purpose ?? "" }),
  inspection_templates_changed: (e) => t(e.detail?.change === "reset" ? "admin.did.inspection_templates_reset" : "admin.did.inspection_templates_changed"),
  phone_camera_code: () => t("admin.did.phone_camera_code"),
  phone_camera_claimed: () => t("admin.did.phone_camera_claimed"),
  phone_camera_photo: () => t("admin.did.phone_camera_photo"),
};
let auditPage = 1;

function auditViewer(entry) {
  if (entry.user_name) return `${entry.user_name} (${entry.user_email})`;
  if (entry.api_key_id) return t("admin.audit.api_key", { name: entry.api_key_name || `#${entry.api_key_id}` });
  if (entry.user_id === null || entry.user_id === undefined) return "Showdesk";
  return t("review.history.user", { id: entry.user_id });
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
              text: entry.order_ref ? t("admin.audit.order", { order: entry.order_ref }) : t("admin.audit.open"),
              "aria-label": entry.order_ref
                ? t("admin.audit.open_order", { order: entry.order_ref })
                : t("admin.audit.open_label"),
            })
          : "",
      ),
    ),
  );
  $("audit-rows").replaceChildren(...rows);
  $("audit-empty").hidden = rows.length > 0;
  const pages = Math.max(1, Math.ceil(data.total / AUDIT_PER_PAGE));
  $("audit-page").textContent = t("admin.audit.page", { page: auditPage, pages });
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
    mountHours(),
    mountWebhooks(),
    mountCaseSteps(vocabulary),
    mountInspectionTemplates(vocabulary),
    mountOutcomes(),
    mountQaRubric(),
  ]).catch(fail);
}

start();
