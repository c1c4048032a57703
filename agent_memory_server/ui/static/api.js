// The REST API, called with the token of this tab (sessionStorage: this origin, this tab).
const KEY = "ams.token";

export class ApiError extends Error {
  constructor(status, detail) {
    super(`${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
  }
}

export function token() {
  return sessionStorage.getItem(KEY);
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

let pending = null; // one sign-in dialog for every request that met a 401

function askToken(message) {
  if (pending) return pending;
  const dialog = document.getElementById("login");
  const form = document.getElementById("login-form");
  const input = document.getElementById("token");
  document.getElementById("login-error").textContent = message || "";
  pending = new Promise((resolve) => {
    const done = (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      sessionStorage.setItem(KEY, value);
      input.value = "";
      form.removeEventListener("submit", done);
      dialog.close();
      pending = null;
      resolve();
    };
    form.addEventListener("submit", done);
    dialog.addEventListener("cancel", (event) => event.preventDefault()); // Escape: no data without a token
    dialog.showModal();
    input.focus();
  });
  return pending;
}

function detailOf(body) {
  if (!body || body.detail === undefined) return JSON.stringify(body);
  if (typeof body.detail === "string") return body.detail;
  return body.detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
}

export async function api(method, path, body, { text = false } = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = { Accept: text ? "text/plain" : "application/json" };
    const bearer = token();
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method, headers, credentials: "omit", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401 && attempt < 3) {
      const reply = await response.json().catch(() => ({}));
      forgetToken();
      await askToken(bearer ? `Refused: ${detailOf(reply)}` : "");
      continue;
    }
    if (text && response.ok) return response.text();
    const reply = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, detailOf(reply));
    return reply;
  }
}

// A query string of the given, non-empty values.
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
