// Unit tests of static/js/chapters_checklist.js under Node's test runner (node --test).
import assert from "node:assert/strict";
import { test } from "node:test";

import { fill, rangePlayer, timecode } from "../../static/js/chapters_checklist.js";

test("timecode writes m:ss, and h:mm:ss from an hour", () => {
  assert.equal(timecode(0), "0:00");
  assert.equal(timecode(65.9), "1:05");
  assert.equal(timecode(3723), "1:02:03");
  assert.equal(timecode(-4), "0:00");
});

test("fill puts values into %(name)s placeholders", () => {
  assert.equal(fill("Spela %(start)s–%(end)s", { start: "0:02", end: "0:06" }), "Spela 0:02–0:06");
});

class FakeMedia extends EventTarget {
  currentTime = 0;
  paused = true;
  play() { this.paused = false; return Promise.resolve(); }
  pause() { this.paused = true; }
  advance(to) { this.currentTime = to; this.dispatchEvent(new Event("timeupdate")); }
}

test("a range plays from its start and pauses at its end", () => {
  const media = new FakeMedia();
  const jump = rangePlayer(media);
  jump(2, 6);
  assert.equal(media.currentTime, 2);
  assert.equal(media.paused, false);
  media.advance(5.9);
  assert.equal(media.paused, false);
  media.advance(6.1);
  assert.equal(media.paused, true);
});

test("a plain jump seeks without playing and ends a range", () => {
  const media = new FakeMedia();
  const jump = rangePlayer(media);
  jump(2, 6);
  jump(10);
  media.advance(10.5);
  assert.equal(media.currentTime, 10.5);
  assert.equal(media.paused, false); // still playing from the range: only the stop at 6 s is gone
});
