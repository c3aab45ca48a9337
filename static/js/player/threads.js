// The comment threads of a film, as /comments answers them: top-level comments in time order,
// each with its replies. Pure functions over that list (tests/js/threads.test.mjs): ordering,
// lookup, which comment is playing, the next and previous one, and where plain-text bodies
// hold web addresses.

import { timecode } from "./time.js";

const POINT_SECONDS = 4; // a point comment counts as active for a few seconds after its time

// Threads in time order (start, then the oldest first), each with its replies oldest first.
export function sortThreads(threads) {
  const byId = (a, b) => a.id - b.id;
  return threads
    .map((thread) => ({ ...thread, replies: (thread.replies || []).slice().sort(byId) }))
    .sort((a, b) => a.t_start - b.t_start || byId(a, b));
}

// "0:05" for a point, "0:05–0:10" for a range.
export function span(thread) {
  return thread.t_end === null || thread.t_end === undefined
    ? timecode(thread.t_start) : `${timecode(thread.t_start)}–${timecode(thread.t_end)}`;
}

// The thread or reply with ``id`` (a number or its string), or null.
export function findComment(threads, id) {
  for (const thread of threads) {
    if (String(thread.id) === String(id)) return thread;
    const reply = thread.replies.find((r) => String(r.id) === String(id));
    if (reply) return reply;
  }
  return null;
}

// The first thread playing at ``t``: inside its range, or just after its point.
export function activeAt(threads, t) {
  return threads.find((c) => t >= c.t_start - 0.25
    && t < (c.t_end === null ? c.t_start + POINT_SECONDS : c.t_end)) || null;
}

// The next thread after ``t`` (``direction`` > 0) or the previous one before it, or undefined.
// Going back skips the thread just jumped to, so P steps through the list.
export function neighbour(threads, t, direction) {
  if (direction > 0) return threads.find((c) => c.t_start > t + 0.25);
  return threads.slice().reverse().find((c) => c.t_start < t - 1.5);
}

// ``body`` cut into text and http(s) links: [{text}, {text, href}, ...]; trailing punctuation
// stays out of a link, and anything that is not an http(s) URL stays text.
export function linkParts(body) {
  const parts = [];
  const pattern = /https?:\/\/[^\s<>"]+/gi;
  let last = 0;
  for (const match of body.matchAll(pattern)) {
    const address = match[0].replace(/[.,;:!?)\]}'"]+$/, "");
    let url = null;
    try { url = new URL(address); } catch (_e) { url = null; }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) continue;
    if (match.index > last) parts.push({ text: body.slice(last, match.index) });
    parts.push({ text: address, href: url.href });
    last = match.index + address.length;
  }
  if (last < body.length || !parts.length) parts.push({ text: body.slice(last) });
  return parts;
}
