// Which parts of a film the player jumps over, given where people talk and the reviewer's
// settings (issue 20). Pure functions, no DOM: the speech lane (speech_lane.js) and the review-time
// benchmark (bench/review_time.py, through node) use the same plan, and tests/js checks it.

export const LEAD_IN = 0.5; // seconds of quiet kept before speech resumes, so the first word is heard
export const TAIL = 0.25; // seconds of quiet kept after speech stops

/** The stretches without speech of at least `minSeconds`, as [start, end] seconds.
 *  `speech` holds one "1" (speech) or "0" per `step` seconds. */
export function quietRanges(speech, step, minSeconds) {
  const ranges = [];
  let start = null;
  for (let i = 0; i <= speech.length; i += 1) {
    const quiet = i < speech.length && speech[i] !== "1";
    if (quiet && start === null) start = i;
    if (!quiet && start !== null) {
      if ((i - start) * step >= minSeconds) ranges.push([start * step, i * step]);
      start = null;
    }
  }
  return ranges;
}

/** The ranges to jump over, sorted and merged: quiet stretches when `skipSilence`, the break when
 *  `skipBreak`. Each jump lands `leadIn` seconds before speech resumes; a quiet stretch keeps
 *  `tail` seconds after the last word. */
export function skipPlan({ quiet = [], brk = null, skipSilence = false, skipBreak = false,
  leadIn = LEAD_IN, tail = TAIL } = {}) {
  const ranges = [];
  if (skipSilence) {
    for (const [start, end] of quiet) ranges.push([start + tail, end - leadIn]);
  }
  if (skipBreak && brk && brk.end > brk.start) ranges.push([brk.start, brk.end - leadIn]);
  const usable = ranges.filter(([from, to]) => to - from >= 0.5).sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const [from, to] of usable) {
    const last = merged[merged.length - 1];
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

/** The range of `plan` that time `t` lies in (not within 0.05 s of its end), or null. */
export function rangeAt(plan, t) {
  for (const range of plan) {
    if (t >= range[0] && t < range[1] - 0.05) return range;
    if (range[0] > t) break;
  }
  return null;
}

/** Seconds of film still to play from `t` to `duration` with `plan` skipped, at `speed`. */
export function remainingSeconds(plan, t, duration, speed = 1) {
  let left = Math.max(0, duration - t);
  for (const [from, to] of plan) {
    left -= Math.max(0, Math.min(to, duration) - Math.max(from, t));
  }
  return Math.max(0, left) / (speed > 0 ? speed : 1);
}

/** Review time as hours and minutes, rounded up to a minute: { hours, minutes }. */
export function hoursMinutes(seconds) {
  const total = Math.ceil(Math.max(0, seconds) / 60);
  return { hours: Math.floor(total / 60), minutes: total % 60 };
}
