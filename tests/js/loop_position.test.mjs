// Range loops (loop.js) and the remembered position (position.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { leaves, wraps } from "../../static/js/player/loop.js";
import { positionToSave } from "../../static/js/player/position.js";

test("a loop wraps at its end and not before", () => {
  const loop = { id: 1, start: 5, end: 10 };
  assert.ok(!wraps(loop, 9.99));
  assert.ok(wraps(loop, 10));
  assert.ok(wraps(loop, 12));
  assert.ok(!wraps(null, 12));
});

test("a seek more than half a second outside the range ends the loop", () => {
  const loop = { id: 1, start: 5, end: 10 };
  assert.ok(!leaves(loop, 4.5));
  assert.ok(!leaves(loop, 10.5));
  assert.ok(leaves(loop, 4.4));
  assert.ok(leaves(loop, 10.6));
  assert.ok(!leaves(null, 100));
});

test("a position is saved in hundredths, unless it is within half a second of the last", () => {
  assert.equal(positionToSave(12.3456, -1), 12.35);
  assert.equal(positionToSave(12.3456, 12), null);
  assert.equal(positionToSave(12.5, 12), 12.5);
  assert.equal(positionToSave(0, -1), 0); // the start is a position too
  assert.equal(positionToSave(0.2, 0), null);
});
