// Storyboard VTT parsing and lookup (storyboard.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { cueAt, gridCues, loadStoryboard, parseStoryboard, tileStyle } from "../../static/js/player/storyboard.js";

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

// A film being encoded in chunks: parts 0 and 2 drawn (tiles 0-11 and 24-35), part 1 not yet.
const GRID = {
  interval: 10, columns: 10, width: 160, height: 90, duration: 355,
  parts: [
    { first: 24, count: 12, rows: 2, sheets: ["storyboard/p0002-a1-000.jpg"] },
    { first: 0, count: 12, rows: 2, sheets: ["storyboard/p0000-a1-000.jpg"] },
  ],
};

test("gridCues lays each part's tiles out as its sheets hold them, in film order", () => {
  const cues = gridCues(GRID);
  assert.equal(cues.length, 24);
  assert.deepEqual(cues[0], { start: 0, end: 10, sheet: "storyboard/p0000-a1-000.jpg", x: 0, y: 0, w: 160, h: 90 });
  assert.deepEqual(cues[11], { start: 110, end: 120, sheet: "storyboard/p0000-a1-000.jpg", x: 160, y: 90, w: 160,
    h: 90 });
  assert.deepEqual(cues[12], { start: 240, end: 250, sheet: "storyboard/p0002-a1-000.jpg", x: 0, y: 0, w: 160, h: 90 });
  // the film ends inside tile 35: its cue ends there too
  assert.deepEqual([cues[23].start, cues[23].end, cues[23].x, cues[23].y], [350, 355, 160, 90]);
  // a part with more tiles than one sheet holds goes on to its next sheet
  const long = gridCues({ ...GRID, parts: [{ first: 0, count: 30, rows: 1, sheets: ["a.jpg", "b.jpg", "c.jpg"] }] });
  assert.deepEqual([long[10].sheet, long[10].x, long[29].sheet, long[29].x], ["b.jpg", 0, "c.jpg", 1440]);
});

test("cueAt shows no tile where a growing storyboard has none yet", () => {
  const cues = gridCues(GRID);
  assert.equal(cueAt(cues, 115, true).start, 110);
  assert.equal(cueAt(cues, 130, true), null); // part 1 is still being encoded
  assert.equal(cueAt(cues, 245, true).sheet, "storyboard/p0002-a1-000.jpg");
  assert.equal(cueAt(cues, 400, true), null);
  assert.equal(cueAt(cues, 400).start, 350); // a finished one: its last tile past the end
});

test("loadStoryboard reads a grid without fetching anything", async () => {
  const media = { storyboard: { vtt: null, grid: GRID, sheets: {} } };
  const cues = await loadStoryboard(media, async () => { throw new Error("no fetch for a grid"); });
  assert.equal(cues.length, 24);
});
