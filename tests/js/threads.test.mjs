// Comment threads: order, lookup, the playing one, stepping, and links in bodies (threads.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { activeAt, findComment, linkParts, neighbour, sortThreads, span } from "../../static/js/player/threads.js";

const thread = (id, t_start, t_end = null, replies = []) => ({ id, t_start, t_end, replies });

test("threads are put in time order, ties by age, replies oldest first, the input untouched", () => {
  const input = [thread(7, 12), thread(3, 5, 10, [{ id: 9 }, { id: 4 }]), thread(2, 12), thread(5, 0.5)];
  const sorted = sortThreads(input);
  assert.deepEqual(sorted.map((t) => t.id), [5, 3, 2, 7]);
  assert.deepEqual(sorted[1].replies.map((r) => r.id), [4, 9]);
  assert.deepEqual(input[1].replies.map((r) => r.id), [9, 4]);
  assert.deepEqual(sortThreads([thread(1, 3)]).map((t) => t.replies), [[]]);
});

test("span writes a point or a range", () => {
  assert.equal(span(thread(1, 5)), "0:05");
  assert.equal(span({ t_start: 5 }), "0:05");
  assert.equal(span(thread(1, 5, 70)), "0:05–1:10");
});

test("findComment finds threads and replies by number or string id", () => {
  const threads = [thread(1, 0, null, [{ id: 11 }]), thread(2, 5, null, [{ id: 21 }, { id: 22 }])];
  assert.equal(findComment(threads, 2).t_start, 5);
  assert.equal(findComment(threads, "22").id, 22);
  assert.equal(findComment(threads, 3), null);
});

test("a range is active inside it, a point for four seconds after it, the first one wins", () => {
  const threads = [thread(1, 5, 10), thread(2, 8), thread(3, 30)];
  assert.equal(activeAt(threads, 4.8).id, 1); // a quarter second early counts
  assert.equal(activeAt(threads, 9).id, 1);
  assert.equal(activeAt(threads, 10).id, 2);
  assert.equal(activeAt(threads, 11.99).id, 2);
  assert.equal(activeAt(threads, 12), null);
  assert.equal(activeAt(threads, 33.9).id, 3);
  assert.equal(activeAt([], 3), null);
});

test("N goes to the next comment after now, P to the one before the one just reached", () => {
  const threads = [thread(1, 5, 10), thread(2, 10), thread(3, 30)];
  assert.equal(neighbour(threads, 0, 1).id, 1);
  assert.equal(neighbour(threads, 5, 1).id, 2); // not the one at the current time
  assert.equal(neighbour(threads, 30, 1), undefined);
  assert.equal(neighbour(threads, 10, -1).id, 1); // from 0:10 back past the one at 0:10
  assert.equal(neighbour(threads, 11, -1).id, 1); // within 1.5 s it is the one just reached
  assert.equal(neighbour(threads, 11.6, -1).id, 2);
  assert.equal(neighbour(threads, 5, -1), undefined);
});

test("linkParts makes http(s) addresses links and keeps everything else text", () => {
  assert.deepEqual(linkParts("Läs https://example.org/a?b=1, inte javascript:alert(2)"), [
    { text: "Läs " }, { text: "https://example.org/a?b=1", href: "https://example.org/a?b=1" },
    { text: ", inte javascript:alert(2)" }]);
  assert.deepEqual(linkParts("(se http://x.se/p).\n"), [
    { text: "(se " }, { text: "http://x.se/p", href: "http://x.se/p" }, { text: ").\n" }]);
  assert.deepEqual(linkParts('<img src="https://a.b/c">'), [
    { text: '<img src="' }, { text: "https://a.b/c", href: "https://a.b/c" }, { text: '">' }]);
  assert.deepEqual(linkParts("ingen länk"), [{ text: "ingen länk" }]);
  assert.deepEqual(linkParts(""), [{ text: "" }]);
  assert.deepEqual(linkParts("https://"), [{ text: "https://" }]); // not a URL: text
});
