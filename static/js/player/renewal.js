// The lease on the film: POST /play answers short-lived media URLs (or, for an HLS film, the
// app's playlist, whose segment URLs redirect to fresh signed ones), and the player asks again
// before they expire. Each renewal checks the right to watch again and leaves its audit trail;
// when the right has ended (consent withdrawn, film deleted, role removed, account closed) the
// server refuses and the player stops at once rather than play on from its buffer.
//
// The element keeps playing from what it has; a renewed answer is kept for the next load, and
// is used only while it has a good part of its life left. Timers and the clock are injected so
// the schedule is unit-tested without waiting (tests/js/renewal.test.mjs).

export const RETRY_MS = 10000; // the network is down: ask again this soon
export const GROWING_MS = 15000; // a film still being processed: ask again this soon, to show it grow

// Milliseconds until the renewal of an answer that lives ``expiresIn`` seconds: at 80 % of it;
// no later than GROWING_MS while the film is still being processed (``complete`` false), so the
// viewer sees the playable part grow and learns soon when the whole film can be played.
export function renewalDelay(expiresIn, complete = true) {
  const delay = Math.max(1, expiresIn * 0.8) * 1000;
  return complete === false ? Math.min(delay, GROWING_MS) : delay;
}

// Milliseconds ``media`` (stamped with ``receivedAt``) has left at ``now``.
export function lifetime(media, now) {
  return media.receivedAt + media.expires_in * 1000 - now;
}

// True when ``media`` still has more than half its life (and at least a second) left.
export function usable(media, now) {
  return Boolean(media) && lifetime(media, now) > Math.max(1000, media.expires_in * 500);
}

// True when the server refused because the right to watch has ended (not a network failure).
export function refused(error) {
  return Boolean(error) && [401, 403, 404].includes(error.status);
}

export class Lease {
  // ``request(renewal)`` calls /play; ``onMedia(media)`` sees every answer; ``onRefused()``
  // runs once when a renewal is refused.
  constructor({ request, onMedia, onRefused, timers = globalThis, now = Date.now }) {
    Object.assign(this, { request, onMedia, onRefused, timers, now });
    this.timer = null;
    this.fresh = null; // a renewed answer, kept for the next load
  }

  // A new answer from /play, stamped, announced and scheduled for renewal.
  async fetch(renewal) {
    const media = await this.request(renewal);
    media.receivedAt = this.now();
    if (this.onMedia) this.onMedia(media);
    this.schedule(media);
    return media;
  }

  schedule(media) {
    this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => this.renew(), renewalDelay(media.expires_in, media.complete));
  }

  async renew() {
    try {
      this.fresh = await this.fetch(true);
    } catch (error) {
      if (refused(error)) {
        this.stop();
        this.onRefused();
        return;
      }
      this.timer = this.timers.setTimeout(() => this.renew(), RETRY_MS);
    }
  }

  // The kept answer if it is still usable, else null; either way it is used up.
  take() {
    const media = usable(this.fresh, this.now()) ? this.fresh : null;
    this.fresh = null;
    return media;
  }

  stop() {
    this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.fresh = null;
  }
}
