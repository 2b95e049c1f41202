// /admin's "Webhooks": the shop's receivers, each enabled or disabled (and why), its
// secret shown once when made or rotated, its delivery log (each attempt's status, time
// taken and error) and a replay of any delivery. /api/webhooks and its sub-resources.
import { del, get, patch, post } from "./api.js";
import { confirmAction } from "./confirm.js";
import { fail, say } from "./page.js";
import { formatStaffDateTime as formatDateTime, t } from "./staff_i18n.js";
import { $, copyText, el } from "./ui.js";

const STATE_WORDS = {
  pending: "admin.webhooks.state_pending",
  delivered: "admin.webhooks.state_delivered",
  failed: "admin.webhooks.state_failed",
};
let open = null; // the endpoint whose delivery log is shown

/** Start the section. */
export async function mountWebhooks() {
  $("#webhook-form").addEventListener("submit", createEndpoint);
  $("webhook-log-refresh").addEventListener("click", () => loadLog().catch(showError));
  await Promise.all([showEventChoices().catch(showError), loadEndpoints()]);
}

/** The event types, as the server's API document lists them (its `webhooks` section is made
 * from the server's one list), one checkbox each. */
async function showEventChoices() {
  const events = Object.keys((await get("/openapi.json")).webhooks ?? {});
  $("webhook-events").replaceChildren(
    ...events.map((type) =>
      el(
        "label",
        { class: "checkbox" },
        el("input", { type: "checkbox", value: type, checked: true, testid: `webhook-event-${type}` }),
        " ",
        el("code", { text: type }),
      ),
    ),
  );
}

function showError(err) {
  fail(err, $("webhook-error"));
}

function showSecret(endpoint, secret) {
  $("webhook-result").hidden = false;
  $("webhook-secret-for").textContent = `${endpoint.url}:`;
  $("webhook-secret").textContent = secret;
  $("webhook-copy").onclick = (event) =>
    copyText(secret, event.currentTarget, { done: t("page.copied"), failed: t("page.copy_by_hand") });
}

async function createEndpoint(event) {
  event.preventDefault();
  $("webhook-error").hidden = true;
  const url = $("webhook-url").value.trim();
  const events = [...$("webhook-events").querySelectorAll("input:checked")].map((box) => box.value);
  try {
    const made = await post("/api/webhooks", { url, events });
    $("webhook-url").value = "";
    showSecret(made, made.secret);
    await loadEndpoints();
  } catch (err) {
    showError(err);
  }
}

async function loadEndpoints() {
  const { items } = await get("/api/webhooks");
  $("webhook-rows").replaceChildren(...items.map(endpointRow));
  $("webhook-empty").hidden = items.length > 0;
  if (open && !items.some((e) => e.id === open.id)) {
    open = null;
    $("webhook-log").hidden = true;
  }
}

function stateCell(endpoint) {
  if (endpoint.enabled) {
    const failing = endpoint.consecutive_failures
      ? t("admin.webhooks.failing", { count: endpoint.consecutive_failures })
      : "";
    return el("td", { testid: "webhook-state" }, t("admin.webhooks.enabled"), failing ? ` · ${failing}` : "");
  }
  return el(
    "td",
    { testid: "webhook-state", class: "warn" },
    el("strong", { text: t("admin.webhooks.disabled") }),
    endpoint.disabled_reason ? el("div", { class: "muted", text: endpoint.disabled_reason }) : null,
  );
}

function endpointRow(endpoint) {
  const button = (testid, words, onclick) => el("button", { type: "button", testid, text: t(words), onclick });
  return el(
    "tr",
    { testid: "webhook-row", dataset: { id: endpoint.id, url: endpoint.url } },
    el("td", { class: "wrap-anywhere" }, el("code", { testid: "webhook-row-url", text: endpoint.url })),
    el(
      "td",
      { testid: "webhook-row-events", class: "event-list" },
      ...endpoint.events.map((type) => el("div", {}, el("code", { text: type }))),
    ),
    stateCell(endpoint),
    el("td", { text: formatDateTime(endpoint.created_at) }),
    el(
      "td",
      {},
      el(
        "div",
        { class: "row-actions" },
        button("webhook-log-open", "admin.webhooks.log", () => showLog(endpoint)),
        endpoint.enabled
          ? button("webhook-disable", "admin.webhooks.disable", () => setEnabled(endpoint, false))
          : button("webhook-enable", "admin.webhooks.enable", () => setEnabled(endpoint, true)),
        button("webhook-rotate", "admin.webhooks.rotate", () => rotate(endpoint)),
        button("webhook-delete", "admin.webhooks.delete", () => remove(endpoint)),
      ),
    ),
  );
}

async function setEnabled(endpoint, enabled) {
  try {
    await patch(`/api/webhooks/${endpoint.id}`, { enabled });
    await loadEndpoints();
  } catch (err) {
    showError(err);
  }
}

async function rotate(endpoint) {
  const yes = await confirmAction(t("admin.webhooks.rotate"), t("admin.webhooks.rotate_text", { url: endpoint.url }));
  if (!yes) return;
  try {
    const rotated = await post(`/api/webhooks/${endpoint.id}/rotate-secret`, {});
    showSecret(rotated, rotated.secret);
    await loadEndpoints();
  } catch (err) {
    showError(err);
  }
}

async function remove(endpoint) {
  const yes = await confirmAction(t("admin.webhooks.delete"), t("admin.webhooks.delete_text", { url: endpoint.url }));
  if (!yes) return;
  try {
    await del(`/api/webhooks/${endpoint.id}`);
    say(t("admin.webhooks.deleted", { url: endpoint.url }), "info");
    await loadEndpoints();
  } catch (err) {
    showError(err);
  }
}

function showLog(endpoint) {
  open = endpoint;
  $("webhook-log").hidden = false;
  $("webhook-log-url").textContent = endpoint.url;
  loadLog().catch(showError);
}

async function loadLog() {
  if (!open) return;
  const { items } = await get(`/api/webhooks/${open.id}/deliveries`);
  $("webhook-log-rows").replaceChildren(...items.flatMap(deliveryRows));
  $("webhook-log-empty").hidden = items.length > 0;
}

function deliveryRows(delivery) {
  const attempts = delivery.attempt_log.length ? delivery.attempt_log : [null];
  return attempts.map((attempt, i) =>
    el(
      "tr",
      { testid: "webhook-attempt", dataset: { deliveryId: delivery.id, state: delivery.state } },
      el("td", {}, i === 0 ? el("code", { text: delivery.event_type }) : null),
      el("td", { testid: "webhook-delivery-state", text: i === 0 ? t(STATE_WORDS[delivery.state]) : "" }),
      el("td", { testid: "webhook-attempt-no", text: attempt ? String(attempt.attempt) : "–" }),
      el("td", { text: attempt ? formatDateTime(attempt.at) : "" }),
      el("td", { testid: "webhook-attempt-status", text: attempt?.status_code ?? (attempt ? t("admin.webhooks.no_answer") : "") }),
      el("td", { testid: "webhook-attempt-ms", text: attempt ? t("admin.webhooks.ms", { ms: attempt.response_ms }) : "" }),
      el("td", { class: "wrap-anywhere", testid: "webhook-attempt-error", text: attempt?.error ?? "" }),
      el(
        "td",
        {},
        i === 0
          ? el("button", {
              type: "button",
              testid: "webhook-replay",
              text: t("admin.webhooks.replay"),
              onclick: () => replay(delivery),
            })
          : null,
      ),
    ),
  );
}

async function replay(delivery) {
  try {
    await post(`/api/webhooks/${open.id}/deliveries/${delivery.id}/replay`, {});
    say(t("admin.webhooks.replayed", { type: delivery.event_type }), "info");
    await loadLog();
  } catch (err) {
    showError(err);
  }
}
