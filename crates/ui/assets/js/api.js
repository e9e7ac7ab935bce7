// The HTTP APIs the UI reads: Prometheus API v1, Alertmanager API v2,
// /alert and the dashboards API. Every call returns parsed JSON or throws
// an ApiError with the server's message.

/** An API failure: the server's message, HTTP status and error type. */
export class ApiError extends Error {
  constructor(message, status, type) {
    super(message);
    this.status = status;
    this.type = type || "";
  }
}

function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => u.append(k, x));
    else u.append(k, String(v));
  }
  const s = u.toString();
  return s ? "?" + s : "";
}

async function request(method, path, params, body) {
  const opts = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    if (body instanceof URLSearchParams) {
      opts.body = body;
      opts.headers["Content-Type"] = "application/x-www-form-urlencoded";
    } else {
      opts.body = typeof body === "string" ? body : JSON.stringify(body);
      opts.headers["Content-Type"] = "application/json";
    }
  }
  let resp;
  try {
    resp = await fetch(path + qs(params), opts);
  } catch (e) {
    throw new ApiError("cannot reach the server: " + e.message, 0, "network");
  }
  const text = await resp.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  if (!resp.ok) {
    let msg = resp.status + " " + resp.statusText;
    if (json && typeof json === "object" && json.error) msg = json.error;
    else if (typeof json === "string") msg = json;
    else if (text && text.length < 500) msg = text.trim();
    throw new ApiError(msg, resp.status, json && json.errorType);
  }
  return json;
}

/** GET a Prometheus v1 endpoint and return its `data` (warnings kept on `.warnings`). */
export async function v1(path, params) {
  const j = await request("GET", "/api/v1/" + path, params);
  if (!j || j.status !== "success") throw new ApiError((j && j.error) || "bad response", 200, j && j.errorType);
  return j.data;
}

/** POST a form to a Prometheus v1 endpoint (long queries). */
export async function v1post(path, params) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") body.append(k, String(v));
  const j = await request("POST", "/api/v1/" + path, null, body);
  if (!j || j.status !== "success") throw new ApiError((j && j.error) || "bad response", 200, j && j.errorType);
  return j.data;
}

/** An instant query at `time` (seconds), or now. */
export function query(expr, time) {
  return v1post("query", { query: expr, time });
}

/** A range query; times in seconds. */
export function queryRange(expr, start, end, step) {
  return v1post("query_range", { query: expr, start, end, step });
}

/** Any JSON endpoint (Alertmanager v2, /alert, dashboards). */
export function getJSON(path, params) {
  return request("GET", path, params);
}

/** POST JSON. */
export function postJSON(path, body) {
  return request("POST", path, null, body);
}

/** DELETE. */
export function del(path) {
  return request("DELETE", path);
}

/** GET plain text (for /metrics). */
export async function getText(path) {
  const r = await fetch(path);
  if (!r.ok) throw new ApiError(r.status + " " + r.statusText, r.status);
  return r.text();
}
