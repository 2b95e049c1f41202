// Fetch wrapper for the Showdesk JSON API: the only place a page calls fetch.
// Adds the CSRF header on state-changing requests (the staff's token, or the buyer's on
// the buyer page) and turns {"error": {"code", "message"}} answers into thrown ApiError
// objects.

// who is asking -> the readable cookie whose value goes in X-CSRF-Token
const CSRF_COOKIES = { staff: "csrf_token", buyer: "call_csrf_token" };
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export class ApiError extends Error {
  constructor(message, { status = 0, code = "error" } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

function readCookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

/**
 * Call the API. `body` (if given) is sent as JSON; `file` (a Blob) is sent as it is, with
 * its own type. `as` says whose CSRF token a state-changing request carries: "staff"
 * (signed-in staff) or "buyer" (the buyer page's call). Resolves with the parsed JSON
 * answer (or null for 204), rejects with ApiError carrying the server's message.
 * `cache` is fetch's (e.g. "reload": ask the server, and keep its answer for later reads).
 * `headers` are added to the request's own (e.g. a credential that is no cookie).
 */
export async function api(path, { method = "GET", body, file, as = "staff", cache = "default", headers: extra = {} } = {}) {
  const headers = { ...extra, Accept: "application/json" };
  const upper = method.toUpperCase();
  if (!SAFE_METHODS.has(upper)) headers["X-CSRF-Token"] = readCookie(CSRF_COOKIES[as]);
  if (body !== undefined) headers["Content-Type"] = "application/json";
  else if (file !== undefined) headers["Content-Type"] = file.type || "application/octet-stream";
  let response;
  try {
    response = await fetch(path, {
      method: upper,
      headers,
      body: body !== undefined ? JSON.stringify(body) : file,
      credentials: "same-origin",
      cache,
    });
  } catch (err) {
    throw new ApiError("Cannot reach the server. Check your connection and try again.", {
      code: "network_error",
    });
  }
  // the body is always read to its end, even an empty one: a page that moves on (a
  // redirect after a 204) then never cuts off a request that is still finishing
  let text = "";
  try {
    text = await response.text();
  } catch {
    text = "";
  }
  if (response.status === 204) return null;
  let data = null;
  const type = response.headers.get("content-type") || "";
  if (type.includes("application/json") && text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = data && data.error;
    const message = (error && error.message) || `The server answered ${response.status}.`;
    throw new ApiError(capitalise(message), {
      status: response.status,
      code: (error && error.code) || "error",
    });
  }
  return data;
}

function capitalise(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

export const get = (path) => api(path);
export const post = (path, body) => api(path, { method: "POST", body });
export const patch = (path, body) => api(path, { method: "PATCH", body });
export const put = (path, body) => api(path, { method: "PUT", body });
export const del = (path) => api(path, { method: "DELETE" });

/** The buyer page sends a photo the agent asked for (JPEG from the camera). */
export const uploadBuyerPhoto = (sessionId, photo) =>
  api(`/api/sessions/${encodeURIComponent(sessionId)}/photos`, {
    method: "POST",
    file: photo.type ? photo : new Blob([photo], { type: "image/jpeg" }),
    as: "buyer",
  });

/** Send a signed-out staff member to the sign-in page, coming back here afterwards. */
export function toLogin() {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

/** Sign out and go to the sign-in page. */
export async function signOut() {
  try {
    await post("/api/auth/logout");
  } finally {
    location.assign("/login");
  }
}
