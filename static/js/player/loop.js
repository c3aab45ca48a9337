// Playing a comment's range in a loop: at its end the film goes back to its start, until the
// viewer stops the loop or seeks away from the range. ``wraps`` and ``leaves`` are pure
// (tests/js/loop.test.mjs); ``RangeLoop`` drives the element and the loop buttons.

import { fill, timecode } from "./time.js";

const SLACK = 0.5; // seconds a seek may land outside the range and still belong to it

// True when playback at ``t`` has reached the end of ``loop`` and goes back to its start.
export function wraps(loop, t) {
  return Boolean(loop) && t >= loop.end;
}

// True when a seek to ``t`` leaves ``loop``'s range, which ends the loop.
export function leaves(loop, t) {
  return Boolean(loop) && (t < loop.start - SLACK || t > loop.end + SLACK);
}

export class RangeLoop {
  // ``page``: {video, root, text, announce, seek, recovering()}.
  constructor(page) {
    this.page = page;
    this.loop = null;
    const video = page.video;
    video.addEventListener("timeupdate", () => this.check());
    video.addEventListener("ended", () => {
      if (this.loop) { video.currentTime = this.loop.start; video.play().catch(() => {}); }
    });
  }

  toggle(thread) {
    if (!thread) return;
    if (this.loop && String(this.loop.id) === String(thread.id)) this.stop();
    else this.start(thread);
  }

  start(thread) {
    const { video, text, announce } = this.page;
    this.loop = { id: thread.id, start: thread.t_start, end: thread.t_end };
    this.page.seek(thread.t_start);
    video.play().catch(() => {});
    announce(fill(text.loopOn, { start: timecode(this.loop.start), end: timecode(this.loop.end) }));
    this.renderButtons();
  }

  stop() {
    if (!this.loop) return;
    this.loop = null;
    this.page.announce(this.page.text.loopOff);
    this.renderButtons();
  }

  // A seek to ``t``: outside the range it ends the loop.
  seeking(t) {
    if (leaves(this.loop, t)) this.stop();
  }

  check() {
    const { video, root } = this.page;
    if (!this.page.recovering() && wraps(this.loop, video.currentTime)) {
      video.currentTime = this.loop.start;
      root.dataset.loops = String(Number(root.dataset.loops || 0) + 1);
    }
  }

  renderButtons() {
    const text = this.page.text;
    for (const button of document.querySelectorAll("[data-action=loop]")) {
      const on = this.loop !== null && String(this.loop.id) === button.dataset.id;
      button.setAttribute("aria-pressed", String(on));
      button.textContent = on ? text.stopLoop : text.playRange;
    }
  }
}
