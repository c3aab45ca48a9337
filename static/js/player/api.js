// The player's calls to /api/v1: JSON both ways, the CSRF token in a header, and one error
// type whose ``status`` says what went wrong (0: the portal could not be reached).

export class ApiError extends Error {
  constructor(status, body, fallback) {
    super((body && body.error && body.error.message) || fallback);
    this.status = status;
  }
}

// A function ``api(method, path, body, {keepalive})`` bound to the API base and CSRF token;
// it resolves to the answer's JSON (null for 204) and rejects with an ApiError.
export function makeApi({ base, csrf, networkMessage, fetchImpl = (...args) => fetch(...args) }) {
  return async function api(method, path, body, options) {
    let response;
    try {
      response = await fetchImpl(base + path, {
        method,
        credentials: "same-origin",
        keepalive: Boolean(options && options.keepalive),
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (_e) {
      throw new ApiError(0, null, networkMessage);
    }
    if (response.status === 204) return null;
    let data = null;
    try { data = await response.json(); } catch (_e) { data = null; }
    if (!response.ok) throw new ApiError(response.status, data, networkMessage);
    return data;
  };
}
