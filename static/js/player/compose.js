// A supervisor's new comment: in and out times from the film or typed, a pending range drawn
// on the timeline, and sending it. Absent for leaders (the page has no #new-comment form).

import { clampTime } from "./range.js";
import { fill, parseTime, timecode } from "./time.js";

// The times typed into the in and out fields, in seconds: {start, end}; ``start`` falls back to
// ``now`` and ``end`` to null when left empty, NaN when unreadable. Pure (tests/js/time.test.mjs).
export function readTimes(inValue, outValue, now) {
  const start = inValue.trim() ? parseTime(inValue) : now;
  const end = outValue.trim() ? parseTime(outValue) : null;
  return { start, end };
}

export class Composer {
  // ``page``: {api, cfg, text, video, timeline, comments, limit(), announce, showError, clearError}.
  constructor(page, form) {
    this.page = page;
    this.form = form;
    this.inField = document.getElementById("comment-in");
    this.outField = document.getElementById("comment-out");
    this.pending = document.getElementById("timeline-pending");
    for (const button of form.querySelectorAll("[data-set-time]")) {
      button.addEventListener("click", () => this.setPoint(button.dataset.setTime));
    }
    this.inField.addEventListener("input", () => this.showPending());
    this.outField.addEventListener("input", () => this.showPending());
    form.addEventListener("reset", () => { setTimeout(() => this.showPending(), 0); });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
  }

  showPending() {
    const percent = (t) => this.page.timeline.percent(t);
    const start = parseTime(this.inField.value);
    const end = parseTime(this.outField.value);
    this.pending.hidden = Number.isNaN(start);
    if (this.pending.hidden) return;
    this.pending.style.left = percent(start);
    this.pending.style.width = Number.isNaN(end) || end <= start ? "3px" : `calc(${percent(end)} - ${percent(start)})`;
  }

  // The in (``which`` "in") or out point at the film's current time.
  setPoint(which) {
    const { video, text, announce } = this.page;
    const field = which === "in" ? this.inField : this.outField;
    field.value = timecode(clampTime(video.currentTime, this.page.limit()), true);
    announce(fill(which === "in" ? text.inSet : text.outSet, { time: field.value }));
    this.showPending();
  }

  // C: pause, take the current time as the start unless one is set, and go to the text box.
  open() {
    this.page.video.pause();
    if (!this.inField.value) this.setPoint("in");
    this.form.elements.body.focus();
    this.form.scrollIntoView({ block: "nearest" });
  }

  async send() {
    const { api, cfg, text, video, showError, clearError } = this.page;
    const form = this.form;
    clearError();
    const { start, end } = readTimes(this.inField.value, this.outField.value, video.currentTime);
    if (Number.isNaN(start) || Number.isNaN(end)) {
      showError(text.invalidTime);
      (Number.isNaN(start) ? this.inField : this.outField).focus();
      return;
    }
    const data = {
      t_start: Math.round(start * 1000) / 1000,
      t_end: end === null ? null : Math.round(end * 1000) / 1000,
      category: form.elements.category.value,
      visibility: form.elements.visibility.value,
      body: form.elements.body.value,
    };
    const ok = await this.page.comments.change(() => api("POST", `/recordings/${cfg.recordingId}/comments`, data), {
      message: text.saved,
      done: () => { form.reset(); },
      form,
    });
    if (ok) this.page.timeline.focus();
  }
}
