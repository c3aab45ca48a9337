// Test doubles for the player modules: a clock with timers that run only when told to.

export class FakeClock {
  constructor() {
    this.now = 1_000_000;
    this.timers = new Map();
    this.nextId = 1;
  }

  setTimeout(fn, ms) {
    const id = this.nextId++;
    this.timers.set(id, { fn, at: this.now + ms });
    return id;
  }

  clearTimeout(id) {
    this.timers.delete(id);
  }

  // The delays of the pending timers, from now, in ms.
  pending() {
    return [...this.timers.values()].map((t) => t.at - this.now);
  }

  // Move the clock on by ``ms`` and run the timers that fall due, in order.
  async advance(ms) {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      await due[1].fn();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.now = end;
  }
}
