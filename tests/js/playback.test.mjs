// The video element's source and its recovery (playback.js), on a stand-in element and hls.js.
import assert from "node:assert/strict";
import { test } from "node:test";

import { chooseSource, HLS_TYPE, hlsConfig, Playback } from "../../static/js/player/playback.js";

class FakeVideo extends EventTarget {
  constructor(native = "") {
    super();
    Object.assign(this, { native, currentTime: 0, paused: true, seeking: false, error: null, src: undefined,
      poster: "p.jpg", playbackRate: 1, defaultPlaybackRate: 1, plays: 0, loads: 0 });
  }

  canPlayType(type) { return type === HLS_TYPE ? this.native : ""; }
  play() { this.plays += 1; this.paused = false; return Promise.resolve(); }
  pause() { this.paused = true; }
  load() { this.loads += 1; }
  removeAttribute(name) { this[name] = undefined; }
  fire(type) { this.dispatchEvent(new Event(type)); }
  fail() {
    this.error = { code: 4, MEDIA_ERR_ABORTED: 1 };
    this.fire("error");
  }
}

function fakeHls(supported = true) {
  class Hls {
    static instances = [];
    static isSupported() { return supported; }
    constructor(config) {
      Object.assign(this, { config, handlers: {}, recovered: 0, destroyed: false });
      Hls.instances.push(this);
    }
    on(event, handler) { this.handlers[event] = handler; }
    loadSource(url) { this.url = url; }
    attachMedia(video) { this.video = video; video.src = "blob:mse"; }
    recoverMediaError() { this.recovered += 1; }
    destroy() { this.destroyed = true; this.video.removeAttribute("src"); }
    fail(type, fatal = true) { this.handlers[Hls.Events.ERROR]("hlsError", { type, fatal }); }
  }
  Hls.Events = { ERROR: "hlsError" };
  Hls.ErrorTypes = { MEDIA_ERROR: "mediaError", NETWORK_ERROR: "networkError" };
  return Hls;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function player({ video = new FakeVideo(), Hls = null, answers = [] } = {}) {
  const shown = [];
  let revoked = 0;
  const lease = {
    fetched: 0,
    take: () => null,
    fetch: async () => {
      lease.fetched += 1;
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return next;
    },
  };
  const playback = new Playback({
    video, root: { dataset: {} }, lease, text: { mediaFailed: "failed", hlsUnsupported: "browser" },
    ui: { showError: (m) => shown.push(m), clearError: () => shown.push(""), revoked: () => { revoked += 1; } },
    limit: () => 24, loadHls: async () => Hls,
  });
  return { playback, video, lease, shown, revoked: () => revoked };
}

test("chooseSource: hls.js where supported, else native HLS, else a refusal; MP4 as a file", () => {
  const hls = { hls: "/m.m3u8" };
  assert.deepEqual(chooseSource(hls, { Hls: fakeHls(true), canPlay: () => "maybe" }), { kind: "hls.js", url: "/m.m3u8" });
  assert.deepEqual(chooseSource(hls, { Hls: fakeHls(false), canPlay: (t) => (t === HLS_TYPE ? "maybe" : "") }),
    { kind: "native", url: "/m.m3u8" });
  assert.deepEqual(chooseSource(hls, { Hls: null, canPlay: () => "" }), { kind: "unsupported", url: null });
  assert.deepEqual(chooseSource({ video: "/v.mp4" }, { Hls: fakeHls(true), canPlay: () => "maybe" }),
    { kind: "file", url: "/v.mp4" });
});

test("hls.js runs without a worker, from where the viewer goes on, never jumping to the live edge", () => {
  const config = hlsConfig(42.5);
  assert.equal(config.enableWorker, false);
  assert.equal(config.startPosition, 42.5);
  assert.ok(!("liveMaxLatencyDurationCount" in config)); // hls.js refuses it without liveSyncDurationCount
  assert.equal(hlsConfig(0).startPosition, 0);
  assert.equal(hlsConfig(-1).startPosition, 0);
});

test("an MP4 film loads at its time, at the chosen rate, playing as before", async () => {
  const { playback, video } = player();
  video.defaultPlaybackRate = 2;
  await playback.load({ video: "/v.mp4" }, 30, true);
  assert.equal(video.src, "/v.mp4");
  video.fire("loadedmetadata");
  assert.deepEqual([video.currentTime, video.playbackRate, video.plays], [24, 2, 1]); // not past the end
});

test("an expired MP4 URL is replaced three times without progress, then the viewer is told", async () => {
  const answers = [1, 2, 3].map((n) => ({ video: `/v${n}.mp4` }));
  const { playback, video, lease, shown } = player({ answers });
  await playback.load({ video: "/v0.mp4" }, 0, false);
  video.fire("loadedmetadata");
  video.currentTime = 7;
  for (let n = 1; n <= 3; n += 1) {
    video.fail();
    await settle();
    assert.equal(video.src, `/v${n}.mp4`);
    video.currentTime = 0; // a failed reload
  }
  assert.equal(playback.recovering.at, 7); // every attempt aims where the viewer was
  video.fail();
  await settle();
  assert.equal(lease.fetched, 3);
  assert.deepEqual(shown, ["failed"]);
});

test("playback that moves on resets the failure count", async () => {
  const { playback, video } = player({ answers: [{ video: "/v1.mp4" }] });
  await playback.load({ video: "/v0.mp4" }, 0, false);
  video.fail();
  await settle();
  video.fire("loadedmetadata");
  assert.equal(playback.failures, 1);
  video.currentTime = 2.5;
  video.fire("timeupdate");
  assert.equal(playback.failures, 0);
});

test("a refused renewal during recovery ends the viewing", async () => {
  const { playback, video, revoked } = player({ answers: [Object.assign(new Error(), { status: 403 })] });
  await playback.load({ video: "/v0.mp4" }, 0, false);
  video.fail();
  await settle();
  assert.equal(revoked(), 1);
  assert.equal(playback.recovering, null);
});

test("an HLS film plays through hls.js, which handles its own errors", async () => {
  const Hls = fakeHls(true);
  const { playback, video, lease } = player({ Hls, answers: [{ hls: "/m.m3u8" }] });
  await playback.load({ hls: "/m.m3u8" }, 12, false);
  const [hls] = Hls.instances;
  assert.deepEqual([hls.url, hls.video, hls.config.startPosition], ["/m.m3u8", video, 12]);
  video.fail(); // the element's error is hls.js's business
  hls.fail(Hls.ErrorTypes.NETWORK_ERROR, false); // not fatal: hls.js retries by itself
  await settle();
  assert.equal(lease.fetched, 0);
  hls.fail(Hls.ErrorTypes.MEDIA_ERROR);
  hls.fail(Hls.ErrorTypes.MEDIA_ERROR);
  assert.equal(hls.recovered, 2);
  hls.fail(Hls.ErrorTypes.MEDIA_ERROR); // a third time: a fresh start
  await settle();
  assert.equal(lease.fetched, 1);
  assert.ok(hls.destroyed);
  assert.equal(Hls.instances.length, 2);
});

test("without Media Source Extensions HLS plays natively, or the viewer is told", async () => {
  const native = player({ video: new FakeVideo("maybe"), Hls: fakeHls(false) });
  await native.playback.load({ hls: "/m.m3u8" }, 0, false);
  assert.equal(native.video.src, "/m.m3u8");
  const none = player({ Hls: fakeHls(false) });
  await none.playback.load({ hls: "/m.m3u8" }, 0, false);
  assert.equal(none.video.src, undefined);
  assert.deepEqual(none.shown, ["browser"]);
});

test("stop leaves nothing to play: hls.js gone, no source, no poster, buffer dropped", async () => {
  const Hls = fakeHls(true);
  const { playback, video } = player({ Hls });
  await playback.load({ hls: "/m.m3u8" }, 0, true);
  video.fire("loadedmetadata");
  playback.stop();
  assert.ok(Hls.instances[0].destroyed);
  assert.deepEqual([video.paused, video.src, video.poster, video.loads], [true, undefined, undefined, 1]);
  assert.equal(playback.hls, null);
});
