// Where each viewer stopped: saved with PUT /position every 10 s while playing, on pause, after
// a seek while paused, and when the page is hidden or left, so the next visit goes on there.
// ``positionToSave`` is pure (tests/js/position.test.mjs).

const EVERY_MS = 10000;
const AFTER_SEEK_MS = 800;

// The position to save at ``currentTime`` (hundredths), or null when it is within half a
// second of the one saved last.
export function positionToSave(currentTime, saved) {
  const position = Math.round(currentTime * 100) / 100;
  return Math.abs(position - saved) < 0.5 ? null : position;
}

export class Position {
  // ``page``: {api, cfg, video, recovering()}.
  constructor(page) {
    this.page = page;
    this.ready = false; // false until the film is loaded where the viewer was
    this.saved = -1;
    this.seekTimer = null;
    const video = page.video;
    setInterval(() => { if (!video.paused) this.save(false); }, EVERY_MS);
    video.addEventListener("pause", () => this.save(false));
    video.addEventListener("seeked", () => {
      clearTimeout(this.seekTimer);
      if (video.paused) this.seekTimer = setTimeout(() => this.save(false), AFTER_SEEK_MS);
    });
    window.addEventListener("pagehide", () => this.save(true));
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.save(true);
    });
  }

  save(keepalive) {
    if (!this.ready || this.page.recovering()) return;
    const position = positionToSave(this.page.video.currentTime, this.saved);
    if (position === null) return;
    this.saved = position;
    const { api, cfg } = this.page;
    api("PUT", `/recordings/${cfg.recordingId}/position`, { position }, { keepalive }).catch(() => {
      this.saved = -1;
    });
  }
}
