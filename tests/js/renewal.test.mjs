// The lease on the film: renewal schedule, retries, refusal and kept answers (renewal.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { GROWING_MS, Lease, lifetime, refused, renewalDelay, RETRY_MS, usable } from "../../static/js/player/renewal.js";
import { FakeClock } from "./fakes.mjs";

function lease(clock, answers) {
  const calls = [];
  const seen = [];
  let refusals = 0;
  const subject = new Lease({
    request: async (renewal) => {
      calls.push(renewal);
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return { ...next };
    },
    onMedia: (media) => seen.push(media),
    onRefused: () => { refusals += 1; },
    timers: clock,
    now: () => clock.now,
  });
  return { subject, calls, seen, refusals: () => refusals };
}

function failure(status) {
  return Object.assign(new Error("no"), { status });
}

test("a renewal is due at 80 % of the answer's life, at least a second", () => {
  assert.equal(renewalDelay(60), 48000);
  assert.equal(renewalDelay(2), 1600);
  assert.equal(renewalDelay(1), 1000);
  assert.equal(renewalDelay(0.5), 1000);
});

test("a film still being processed is asked about every GROWING_MS, then at the usual pace", async () => {
  assert.equal(renewalDelay(60, false), GROWING_MS);
  assert.equal(renewalDelay(10, false), 8000); // a short-lived answer is renewed sooner anyway
  assert.equal(renewalDelay(60, true), 48000);
  const clock = new FakeClock();
  const { subject, calls } = lease(clock, [{ expires_in: 60, complete: false },
    { expires_in: 60, complete: true }, { expires_in: 60, complete: true }]);
  await subject.fetch(false);
  assert.deepEqual(clock.pending(), [GROWING_MS]);
  await clock.advance(GROWING_MS);
  assert.deepEqual(calls, [false, true]);
  assert.deepEqual(clock.pending(), [48000]); // whole now: no more frequent renewals
});

test("an answer is usable while more than half its life, and a second, is left", () => {
  const media = { receivedAt: 0, expires_in: 60 };
  assert.equal(lifetime(media, 10_000), 50_000);
  assert.ok(usable(media, 29_000));
  assert.ok(!usable(media, 30_000));
  assert.ok(!usable({ receivedAt: 0, expires_in: 1 }, 0)); // 1 s left is not more than 1 s
  assert.ok(!usable(null, 0));
});

test("only 401, 403 and 404 mean the right has ended", () => {
  for (const status of [401, 403, 404]) assert.ok(refused({ status }));
  for (const status of [0, 400, 429, 500, 503]) assert.ok(!refused({ status }));
  assert.ok(!refused(null));
});

test("the lease renews before expiry, again and again, and keeps the fresh answer", async () => {
  const clock = new FakeClock();
  const { subject, calls, seen } = lease(clock, [{ expires_in: 10, n: 1 }, { expires_in: 10, n: 2 },
    { expires_in: 10, n: 3 }]);
  const first = await subject.fetch(false);
  assert.equal(first.receivedAt, clock.now);
  assert.deepEqual(clock.pending(), [8000]);
  await clock.advance(7999);
  assert.deepEqual(calls, [false]);
  await clock.advance(1);
  assert.deepEqual(calls, [false, true]);
  await clock.advance(8000);
  assert.deepEqual(calls, [false, true, true]);
  assert.deepEqual(seen.map((m) => m.n), [1, 2, 3]);
  assert.equal(subject.take().n, 3); // just renewed: usable
  assert.equal(subject.take(), null); // used up
});

test("a kept answer that has lived too long is not handed out", async () => {
  const clock = new FakeClock();
  const { subject } = lease(clock, [{ expires_in: 10 }, { expires_in: 10 }]);
  await subject.fetch(false);
  await clock.advance(8000);
  await clock.advance(5001); // the kept answer is 5.001 s old, more than half its 10 s
  assert.equal(subject.take(), null);
});

test("a network failure is retried soon; a refusal stops the lease and says so once", async () => {
  const clock = new FakeClock();
  const { subject, calls, refusals } = lease(clock, [{ expires_in: 10 }, failure(0), { expires_in: 10 },
    failure(403)]);
  await subject.fetch(false);
  await clock.advance(8000); // network down
  assert.deepEqual(clock.pending(), [RETRY_MS]);
  await clock.advance(RETRY_MS); // back
  assert.equal(calls.length, 3);
  await clock.advance(8000); // the right has ended
  assert.equal(calls.length, 4);
  assert.equal(refusals(), 1);
  assert.deepEqual(clock.pending(), []); // no more renewals
  assert.equal(subject.take(), null);
});

test("stop cancels the pending renewal", async () => {
  const clock = new FakeClock();
  const { subject, calls } = lease(clock, [{ expires_in: 10 }]);
  await subject.fetch(false);
  subject.stop();
  await clock.advance(60_000);
  assert.deepEqual(calls, [false]);
});
