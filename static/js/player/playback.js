// The film in the <video> element: which source to use, loading it at a time and play state,
// and getting back on track when the source fails.
//
// An MP4 film (``video`` in /play's answer) is a signed URL that expires: when the browser
// needs bytes from an expired URL, storage answers 403, the element fires "error", and the film
// is loaded from a fresh URL at the same time, rate and play state. An HLS film (``hls``) plays
// through hls.js where the browser has Media Source Extensions, else natively (Safari on iOS);
// its playlist and segment URLs are the app's, so they do not expire, and hls.js follows a
// playlist that still grows. Three failures without playback moving on in between mean
// something else is wrong (a broken file, a lost connection), and the viewer is told instead
// of the player looping.

import { refused } from "./renewal.js";

export const HLS_TYPE = "application/vnd.apple.mpegurl";
const HLS_MODULE = "../../vendor/hls.js-1.7.4/hls.min.mjs";
const MAX_FAILURES = 3;

// How to play ``media``: {kind: "file"|"hls.js"|"native"|"unsupported", url}. ``Hls`` is the
// hls.js class or null; ``canPlay(type)`` is the element's canPlayType.
export function chooseSource(media, { Hls, canPlay }) {
  if (media.hls) {
    if (Hls && Hls.isSupported()) return { kind: "hls.js", url: media.hls };
    if (canPlay(HLS_TYPE)) return { kind: "native", url: media.hls };
    return { kind: "unsupported", url: null };
  }
  return { kind: "file", url: media.video };
}

// hls.js settings: no worker (the CSP allows no blob scripts), and start where the viewer goes
// on, not at the "live edge" of a film still being published (its playlist is an EVENT one).
// hls.js never jumps ahead to that edge by itself: liveMaxLatencyDurationCount is Infinity by
// default (and setting it without liveSyncDurationCount makes hls.js refuse the whole config).
export function hlsConfig(at) {
  return {
    enableWorker: false,
    startPosition: at > 0 ? at : 0,
    liveDurationInfinity: false,
  };
}

// The vendored hls.js, loaded only for an HLS film; null when it cannot be loaded.
async function importHls() {
  try {
    return (await import(HLS_MODULE)).default;
  } catch (_e) {
    return null;
  }
}

export class Playback {
  // ``lease`` renews /play; ``ui`` has showError(message), clearError() and revoked();
  // ``limit()`` is how far the film plays (its length, or its playable part while processed);
  // ``loadHls`` resolves to the hls.js class.
  constructor({ video, root, lease, text, ui, limit, loadHls = importHls }) {
    Object.assign(this, { video, root, lease, text, ui, limit, loadHls });
    this.hls = null;
    this.wantPlaying = false;
    this.recovering = null; // {at, playing} while a fresh source is being fetched or loaded
    this.fetching = false;
    this.onLoaded = null;
    this.failures = 0; // reloads since playback last moved on by itself
    this.resumedAt = 0;
    this.ownSeek = false;
    this.lastTime = 0;
    this.listen();
  }

  listen() {
    const video = this.video;
    video.addEventListener("error", () => {
      if (this.hls) return; // hls.js reports its own errors
      if (video.error && video.error.code !== video.error.MEDIA_ERR_ABORTED) this.recover();
    });
    video.addEventListener("playing", () => { if (!this.recovering) this.ui.clearError(); });
    video.addEventListener("seeked", () => {
      if (this.ownSeek) this.ownSeek = false;
      else if (!this.recovering) this.failures = 0; // the viewer moved: a new start
    });
    video.addEventListener("timeupdate", () => {
      if (!this.recovering && !video.seeking) this.lastTime = video.currentTime;
      if (this.failures && !this.recovering && video.currentTime > this.resumedAt + 2) this.failures = 0;
    });
    video.addEventListener("play", () => { if (!this.recovering) this.wantPlaying = true; });
    video.addEventListener("pause", () => { if (!this.recovering) this.wantPlaying = false; });
  }

  // Load ``media`` into the element and go on at ``at`` seconds, as fast and playing as before.
  async load(media, at, playing) {
    const video = this.video;
    const Hls = media.hls ? await this.loadHls() : null;
    const source = chooseSource(media, { Hls, canPlay: (type) => video.canPlayType(type) });
    if (source.kind === "unsupported") {
      this.recovering = null;
      this.ui.showError(this.text.hlsUnsupported || this.text.mediaFailed);
      return;
    }
    video.removeEventListener("loadedmetadata", this.onLoaded);
    this.onLoaded = () => {
      this.resumedAt = at;
      if (at > 0) {
        this.ownSeek = true;
        video.currentTime = Math.min(at, this.limit());
      }
      video.playbackRate = video.defaultPlaybackRate;
      this.recovering = null;
      if (playing) video.play().catch(() => {});
    };
    video.addEventListener("loadedmetadata", this.onLoaded, { once: true });
    this.detachHls();
    if (source.kind === "hls.js") this.attachHls(Hls, source.url, at);
    else video.src = source.url;
  }

  attachHls(Hls, url, at) {
    const hls = new Hls(hlsConfig(at));
    this.hls = hls;
    let mediaRecoveries = 0;
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal || hls !== this.hls) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries < 2) {
        mediaRecoveries += 1; // a decoding hiccup: hls.js rebuilds the buffer itself
        hls.recoverMediaError();
        return;
      }
      this.recover();
    });
    hls.loadSource(url);
    hls.attachMedia(this.video);
  }

  detachHls() {
    if (!this.hls) return;
    const hls = this.hls;
    this.hls = null;
    hls.destroy(); // detaches the element: its src is removed and its buffer dropped
  }

  // The source failed: load a fresh one where the viewer was, at most three times in a row.
  async recover() {
    if (this.fetching || this.root.dataset.state === "revoked") return;
    const video = this.video;
    this.failures += 1;
    if (this.failures > MAX_FAILURES) {
      this.recovering = null;
      this.detachHls();
      this.ui.showError(this.text.mediaFailed);
      return;
    }
    // a failed reload has currentTime 0: keep the first attempt's target
    this.recovering = this.recovering || { at: video.currentTime || this.lastTime,
      playing: this.wantPlaying || !video.paused };
    let media = this.lease.take();
    if (!media) {
      this.fetching = true;
      try {
        media = await this.lease.fetch(true);
      } catch (error) {
        this.recovering = null;
        if (refused(error)) this.ui.revoked();
        else this.ui.showError(error.message);
        return;
      } finally {
        this.fetching = false;
      }
    }
    this.root.dataset.reloads = String(Number(this.root.dataset.reloads || 0) + 1);
    await this.load(media, this.recovering.at, this.recovering.playing);
  }

  // The right to watch has ended: nothing more plays, not even from the buffer.
  stop() {
    const video = this.video;
    this.recovering = null;
    this.wantPlaying = false;
    video.pause();
    this.detachHls();
    video.removeAttribute("src");
    video.removeAttribute("poster"); // a still of the film is the film too
    video.load(); // drops the buffer; it also drops the queued "pause" event
  }
}
