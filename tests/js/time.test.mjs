// Times as the player shows and reads them (static/js/player/time.js, compose.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { readTimes } from "../../static/js/player/compose.js";
import { fill, parseTime, timecode } from "../../static/js/player/time.js";

test("timecode writes m:ss, h:mm:ss and tenths for the in/out fields", () => {
  assert.equal(timecode(0), "0:00");
  assert.equal(timecode(65), "1:05");
  assert.equal(timecode(3723), "1:02:03");
  assert.equal(timecode(59.9999999), "1:00"); // float noise does not show as 0:59
  assert.equal(timecode(10, true), "0:10.0");
  assert.equal(timecode(12.56, true), "0:12.5"); // tenths are cut, never rounded up
  assert.equal(timecode(-3), "0:00");
  assert.equal(timecode(undefined), "0:00");
});

test("parseTime reads what people type and refuses the rest", () => {
  assert.equal(parseTime("12:30"), 750);
  assert.equal(parseTime("1:02:03.5"), 3723.5);
  assert.equal(parseTime(" 75 "), 75);
  assert.equal(parseTime("0:12,5"), 12.5);
  for (const bad of ["", ":30", "1:2:3:4", "1.5:00", "abc", "1:-2", "12:3x"]) {
    assert.ok(Number.isNaN(parseTime(bad)), bad);
  }
});

test("timecode and parseTime agree on every whole second of three hours", () => {
  for (let s = 0; s < 3 * 3600; s += 7) assert.equal(parseTime(timecode(s)), s);
});

test("fill puts values into Flask-Babel placeholders and leaves unknown ones", () => {
  assert.equal(fill("Gå till %(time)s i filmen", { time: "1:05" }), "Gå till 1:05 i filmen");
  assert.equal(fill("%(start)s–%(end)s", { start: "0:05" }), "0:05–%(end)s");
});

test("readTimes falls back to now for an empty start and to a point for an empty end", () => {
  assert.deepEqual(readTimes("", "", 12.5), { start: 12.5, end: null });
  assert.deepEqual(readTimes("0:05", "0:10", 99), { start: 5, end: 10 });
  assert.ok(Number.isNaN(readTimes("x", "", 0).start));
  assert.ok(Number.isNaN(readTimes("", "1:xx", 0).end));
});
