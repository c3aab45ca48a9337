// The playable range of a film still being processed, and timeline arithmetic (range.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  clampTime, fraction, partlyPlayable, percent, playableEnd, previewLeft, timeAtX,
} from "../../static/js/player/range.js";

test("a complete film or an MP4 film is playable to its end", () => {
  assert.equal(playableEnd({ video: "v.mp4" }, 1200), 1200);
  // segment durations add up to a little less than the probed length: complete is complete
  assert.equal(playableEnd({ hls: "m.m3u8", complete: true, playable_seconds: 1199.9 }, 1200), 1200);
  assert.equal(playableEnd(null, 300), 300);
  assert.equal(playableEnd({ video: "v.mp4" }, 0), 0); // no length known: no limit
});

test("a film still being processed is playable up to what is published, never past its length", () => {
  const media = { hls: "m.m3u8", complete: false, playable_seconds: 720.4 };
  assert.equal(playableEnd(media, 5400), 720.4);
  assert.equal(playableEnd(media, 0), 720.4);
  assert.equal(playableEnd({ ...media, playable_seconds: 6000 }, 5400), 5400);
  assert.equal(playableEnd({ ...media, playable_seconds: null }, 5400), 0);
  assert.ok(partlyPlayable(media));
  assert.ok(!partlyPlayable({ complete: true }) && !partlyPlayable({ video: "v.mp4" }) && !partlyPlayable(null));
});

test("clampTime keeps a seek between 0:00 and the limit", () => {
  assert.equal(clampTime(-4, 100), 0);
  assert.equal(clampTime(50, 100), 50);
  assert.equal(clampTime(130, 100), 100);
  assert.equal(clampTime(130, 0), 130); // unknown limit: only the lower bound
});

test("fraction and percent place a time on the timeline", () => {
  assert.equal(fraction(30, 120), 0.25);
  assert.equal(fraction(200, 120), 1);
  assert.equal(fraction(-1, 120), 0);
  assert.equal(fraction(30, 0), 0);
  assert.equal(percent(30, 120), "25%");
  assert.equal(percent(5, 0), "0%");
});

test("timeAtX maps a pointer to a film time, clamped to the box", () => {
  const box = { left: 100, width: 400 };
  assert.equal(timeAtX(300, box, 24), 12);
  assert.equal(timeAtX(50, box, 24), 0);
  assert.equal(timeAtX(900, box, 24), 24);
  assert.equal(timeAtX(300, { left: 0, width: 0 }, 24), 0);
});

test("previewLeft keeps the preview inside the timeline", () => {
  const box = { left: 100, width: 400 };
  assert.equal(previewLeft(300, box, 160), 200);
  assert.equal(previewLeft(110, box, 160), 80);
  assert.equal(previewLeft(495, box, 160), 320);
});
