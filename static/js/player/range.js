// Where on the film the viewer may go, and where a time lies on the timeline. A film published
// as HLS is playable while it is still being processed, from 0:00 up to what is published so
// far (``playable_seconds`` of /play, while ``complete`` is false); seeking, comment jumps and
// range loops stay inside that part. Pure functions: tests/js/range.test.mjs.

// Seconds from 0:00 the viewer may reach now: the whole ``total`` unless /play says the film
// is not complete yet. 0 means "no limit known" (as ``total`` 0 did before HLS).
export function playableEnd(media, total) {
  if (!media || media.complete !== false) return total || 0;
  const playable = Math.max(0, Number(media.playable_seconds) || 0);
  return total ? Math.min(playable, total) : playable;
}

// ``seconds`` kept between 0:00 and ``limit``; without a limit only the lower bound holds.
export function clampTime(seconds, limit) {
  const t = Math.max(0, seconds);
  return limit ? Math.min(t, limit) : t;
}

// True when the film has a part that cannot be played yet.
export function partlyPlayable(media) {
  return Boolean(media && media.complete === false);
}

// Share of ``total`` at ``seconds``, between 0 and 1 (0 without a length).
export function fraction(seconds, total) {
  return total ? Math.min(1, Math.max(0, seconds / total)) : 0;
}

// ``fraction`` as a CSS percentage, for left and width of bars and markers.
export function percent(seconds, total) {
  return `${fraction(seconds, total) * 100}%`;
}

// The film time under ``clientX`` on a timeline box ``{left, width}``.
export function timeAtX(clientX, box, total) {
  if (!box.width) return 0;
  return Math.min(1, Math.max(0, (clientX - box.left) / box.width)) * total;
}

// Where the preview bubble's centre goes: under the pointer, but never past either edge.
export function previewLeft(clientX, box, width) {
  return Math.min(Math.max(clientX - box.left, width / 2), box.width - width / 2);
}
