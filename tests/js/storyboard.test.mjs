// Storyboard VTT parsing and lookup (storyboard.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { cueAt, loadStoryboard, parseStoryboard, tileStyle } from "../../static/js/player/storyboard.js";

const VTT = `WEBVTT\r\n\r\n00:00:00.000 --> 00:00:01.000\r\nstoryboard-000.jpg#xywh=0,0,160,90\r\n\r\n`
  + "NOTE a comment block\n\n"
  + "1\n00:00:01.000 --> 00:01:02.500 align:start\nstoryboard-000.jpg#xywh=160,0,160,90\n\n"
  + "00:01:02.500 --> 01:00:00.000\nstoryboard-001.jpg#xywh=1280,90,160,90\n\n"
  + "00:02:00.000 --> 00:03:00.000\nnot a tile\n";

test("parseStoryboard reads the cues, with or without ids, CRLF or settings, and skips the rest", () => {
  const cues = parseStoryboard(VTT);
  assert.equal(cues.length, 3);
  assert.deepEqual(cues[1], { start: 1, end: 62.5, sheet: "storyboard-000.jpg", x: 160, y: 0, w: 160, h: 90 });
  assert.equal(cues[2].end, 3600);
  assert.deepEqual(parseStoryboard("WEBVTT\n"), []);
});

test("cueAt finds the tile of a time, the last one past the end, none without cues", () => {
  const cues = parseStoryboard(VTT);
  assert.equal(cueAt(cues, 0.5).x, 0);
  assert.equal(cueAt(cues, 1).x, 160); // a cue's end belongs to the next
  assert.equal(cueAt(cues, 9999).sheet, "storyboard-001.jpg");
  assert.equal(cueAt([], 3), null);
});

test("tileStyle shows one tile and cannot break out of url()", () => {
  const style = tileStyle({ x: 1280, y: 90, w: 160, h: 90 }, 'https://s3.example/sheet.jpg?sig=a"b c');
  assert.equal(style.backgroundPosition, "-1280px -90px");
  assert.equal(style.width, "160px");
  assert.equal(style.backgroundImage, 'url("https://s3.example/sheet.jpg?sig=a%22b%20c")');
});

test("loadStoryboard gives cues, or none when the VTT cannot be had", async () => {
  const media = { storyboard: { vtt: "https://s/vtt", sheets: {} } };
  const ok = async (url, options) => {
    assert.equal(options.credentials, "omit"); // signed URL: no cookies to storage
    return { ok: true, text: async () => VTT };
  };
  assert.equal((await loadStoryboard(media, ok)).length, 3);
  assert.deepEqual(await loadStoryboard(media, async () => ({ ok: false })), []);
  assert.deepEqual(await loadStoryboard(media, async () => { throw new TypeError("offline"); }), []);
  assert.deepEqual(await loadStoryboard({ storyboard: null }, ok), []);
});
