// node --test tests/js/: the skip plan of the speech lane (static/js/skip_plan.mjs).
import assert from "node:assert/strict";
import { test } from "node:test";

import { hoursMinutes, quietRanges, rangeAt, remainingSeconds, skipPlan } from "../../static/js/skip_plan.mjs";

test("quiet ranges are the runs without speech that last long enough", () => {
  //              0  1  2  3  4  5  6  7  8  9 seconds (step 0.5)
  const speech = "11" + "0".repeat(10) + "1" + "0".repeat(3) + "11" + "0".repeat(20);
  assert.deepEqual(quietRanges(speech, 0.5, 4), [[1, 6], [9, 19]]);
  assert.deepEqual(quietRanges(speech, 0.5, 1.5), [[1, 6], [6.5, 8], [9, 19]]);
  assert.deepEqual(quietRanges("", 0.5, 1), []);
  assert.deepEqual(quietRanges("1111", 0.5, 1), []);
});

test("the plan keeps a lead-in before speech and a tail after it", () => {
  const plan = skipPlan({ quiet: [[10, 30]], skipSilence: true });
  assert.deepEqual(plan, [[10.25, 29.5]]);
  assert.deepEqual(skipPlan({ quiet: [[10, 30]], skipSilence: false }), []);
});

test("the break is skipped only when asked, and merges with quiet around it", () => {
  const quiet = [[100, 120], [1190, 1210]];
  const brk = { start: 1200, end: 2400 };
  assert.deepEqual(skipPlan({ quiet, brk, skipBreak: true }), [[1200, 2399.5]]);
  assert.deepEqual(skipPlan({ quiet, brk, skipSilence: true, skipBreak: true }),
    [[100.25, 119.5], [1190.25, 2399.5]]);
  assert.deepEqual(skipPlan({ quiet, brk: null, skipBreak: true }), []);
});

test("ranges too short to be worth a jump are left out", () => {
  assert.deepEqual(skipPlan({ quiet: [[5, 5.9]], skipSilence: true }), []);
});

test("rangeAt finds the range a time falls in, never at its very end", () => {
  const plan = [[10, 20], [30, 40]];
  assert.deepEqual(rangeAt(plan, 10), [10, 20]);
  assert.deepEqual(rangeAt(plan, 35), [30, 40]);
  assert.equal(rangeAt(plan, 19.99), null);
  assert.equal(rangeAt(plan, 25), null);
  assert.equal(rangeAt(plan, 5), null);
});

test("the remaining time counts what is left to play at the speed", () => {
  const plan = [[10, 20], [30, 40]];
  assert.equal(remainingSeconds(plan, 0, 100), 80);
  assert.equal(remainingSeconds(plan, 35, 100), 60);
  assert.equal(remainingSeconds(plan, 0, 100, 2), 40);
  assert.equal(remainingSeconds([], 0, 90, 1.5), 60);
  assert.equal(remainingSeconds(plan, 100, 100), 0);
});

test("hours and minutes round up to a whole minute", () => {
  assert.deepEqual(hoursMinutes(4320), { hours: 1, minutes: 12 });
  assert.deepEqual(hoursMinutes(61), { hours: 0, minutes: 2 });
  assert.deepEqual(hoursMinutes(0), { hours: 0, minutes: 0 });
});
