// The timeline under the film: what is played and buffered, the time, a slider for keyboards
// and screen readers, seeking by pointer, and a storyboard preview of the time under the pointer.

import { previewLeft, timeAtX } from "./range.js";
import { cueAt, tileStyle } from "./storyboard.js";
import { timecode } from "./time.js";

const $ = (id) => document.getElementById(id);

export class Timeline {
  // ``page``: {video, duration(), limit(), percent(t), seek(t)}.
  constructor(page) {
    this.page = page;
    this.node = $("timeline");
    this.played = $("timeline-played");
    this.buffered = $("timeline-buffered");
    this.preview = $("timeline-preview");
    this.previewImage = $("timeline-preview-image");
    this.previewTime = $("timeline-preview-time");
    this.current = $("time-current");
    this.cues = [];
    this.growing = false; // the cues are a film's being encoded: no tile where none is drawn
    this.sheets = {}; // sheet name -> signed URL, renewed with every /play answer
    this.dragging = false;
    this.listen();
  }

  percent(seconds) {
    return this.page.percent(seconds);
  }

  update() {
    const video = this.page.video;
    const t = video.currentTime;
    this.played.style.width = this.percent(t);
    this.current.textContent = timecode(t);
    this.node.setAttribute("aria-valuenow", String(Math.round(t)));
    this.node.setAttribute("aria-valuetext", timecode(t));
    if (video.buffered.length) this.buffered.style.width = this.percent(video.buffered.end(video.buffered.length - 1));
  }

  timeAt(clientX) {
    return timeAtX(clientX, this.node.getBoundingClientRect(), this.page.duration());
  }

  showPreview(clientX) {
    const t = this.timeAt(clientX);
    const box = this.node.getBoundingClientRect();
    const cue = cueAt(this.cues, t, this.growing);
    const url = cue && this.sheets[cue.sheet];
    this.previewImage.hidden = !url;
    let width = 64;
    if (url) {
      Object.assign(this.previewImage.style, tileStyle(cue, url));
      width = cue.w;
    }
    this.previewTime.textContent = timecode(t);
    this.preview.style.left = `${previewLeft(clientX, box, width)}px`;
    this.preview.hidden = false;
  }

  focus() {
    this.node.focus();
  }

  listen() {
    const node = this.node;
    const seek = (t) => this.page.seek(t);
    node.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      this.dragging = true;
      node.setPointerCapture(event.pointerId);
      seek(this.timeAt(event.clientX));
    });
    node.addEventListener("pointermove", (event) => {
      this.showPreview(event.clientX);
      if (this.dragging) seek(this.timeAt(event.clientX));
    });
    node.addEventListener("pointerup", () => { this.dragging = false; });
    node.addEventListener("pointerleave", () => { if (!this.dragging) this.preview.hidden = true; });
    node.addEventListener("keydown", (event) => {
      if (event.key === "Home") { seek(0); event.preventDefault(); }
      if (event.key === "End") { seek(this.page.limit()); event.preventDefault(); }
    });
    const video = this.page.video;
    video.addEventListener("timeupdate", () => this.update());
    video.addEventListener("progress", () => this.update());
  }
}
