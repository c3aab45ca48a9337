// Calls to /api/v1 (api.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, makeApi } from "../../static/js/player/api.js";

function answering(status, body) {
  const calls = [];
  const fetchImpl = async (url, options) => {
    calls.push({ url, ...options });
    return { status, ok: status < 400, json: async () => { if (body === undefined) throw new SyntaxError(); return body; } };
  };
  return { calls, api: makeApi({ base: "/api/v1", csrf: "tok", networkMessage: "Offline", fetchImpl }) };
}

test("a call sends JSON with the CSRF token and same-origin cookies, and gives the answer", async () => {
  const { calls, api } = answering(200, { ok: 1 });
  assert.deepEqual(await api("PUT", "/recordings/3/position", { position: 1.5 }, { keepalive: true }), { ok: 1 });
  const [call] = calls;
  assert.equal(call.url, "/api/v1/recordings/3/position");
  assert.equal(call.method, "PUT");
  assert.equal(call.body, '{"position":1.5}');
  assert.equal(call.headers["X-CSRFToken"], "tok");
  assert.equal(call.credentials, "same-origin");
  assert.equal(call.keepalive, true);
});

test("204 gives null and a GET sends no body", async () => {
  const { calls, api } = answering(204);
  assert.equal(await api("GET", "/x"), null);
  assert.equal(calls[0].body, undefined);
  assert.equal(calls[0].keepalive, false);
});

test("a refusal carries its status and the server's message, or the fallback", async () => {
  await assert.rejects(answering(403, { error: { message: "Nej" } }).api("POST", "/p"),
    (error) => error instanceof ApiError && error.status === 403 && error.message === "Nej");
  await assert.rejects(answering(500).api("POST", "/p"),
    (error) => error.status === 500 && error.message === "Offline");
});

test("an unreachable portal is status 0", async () => {
  const api = makeApi({ base: "", csrf: "", networkMessage: "Offline",
    fetchImpl: async () => { throw new TypeError("Failed to fetch"); } });
  await assert.rejects(api("GET", "/x"), (error) => error.status === 0 && error.message === "Offline");
});
