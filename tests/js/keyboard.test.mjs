// Keyboard shortcuts and keys in fields (keyboard.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { fieldAction, isTyping, shortcutAction } from "../../static/js/player/keyboard.js";

const body = { tagName: "BODY" };
const key = (k, extra = {}) => ({ key: k, target: body, ...extra });

test("the player's keys map to their actions, in either case", () => {
  const expected = { " ": "toggle", k: "toggle", K: "toggle", j: "back10", l: "forward10",
    ArrowLeft: "back5", ArrowRight: "forward5", n: "next", p: "previous" };
  for (const [k, action] of Object.entries(expected)) {
    assert.equal(shortcutAction(key(k), { composer: false }), action, k);
  }
  assert.equal(shortcutAction(key("x"), { composer: true }), null);
  assert.equal(shortcutAction(key("Enter"), { composer: true }), null);
});

test("C, I and O belong to those who can comment", () => {
  for (const [k, action] of [["c", "comment"], ["i", "markIn"], ["O", "markOut"]]) {
    assert.equal(shortcutAction(key(k), { composer: true }), action);
    assert.equal(shortcutAction(key(k), { composer: false }), null);
  }
});

test("no shortcut with a modifier, while composing, when handled already, or in a field", () => {
  for (const extra of [{ ctrlKey: true }, { metaKey: true }, { altKey: true }, { isComposing: true },
    { defaultPrevented: true }]) {
    assert.equal(shortcutAction(key("k", extra), { composer: true }), null, JSON.stringify(extra));
  }
  for (const target of [{ tagName: "INPUT" }, { tagName: "TEXTAREA" }, { tagName: "SELECT" },
    { tagName: "DIV", isContentEditable: true }]) {
    assert.equal(shortcutAction(key("k", { target }), { composer: true }), null, target.tagName);
  }
  assert.equal(shortcutAction(key("k", { shiftKey: true }), { composer: true }), "toggle");
});

test("isTyping tells fields from the rest", () => {
  assert.ok(isTyping({ tagName: "TEXTAREA" }));
  assert.ok(!isTyping({ tagName: "BUTTON" }));
  assert.ok(!isTyping({ tagName: "DIV", isContentEditable: false }));
  assert.ok(!isTyping(null));
});

test("Ctrl or Cmd+Enter sends the form of a text box, Esc leaves any field but a select", () => {
  const area = { tagName: "TEXTAREA", form: {} };
  assert.equal(fieldAction({ key: "Enter", ctrlKey: true, target: area }), "submit");
  assert.equal(fieldAction({ key: "Enter", metaKey: true, target: area }), "submit");
  assert.equal(fieldAction({ key: "Enter", target: area }), null); // a new line
  assert.equal(fieldAction({ key: "Enter", ctrlKey: true, target: { tagName: "TEXTAREA", form: null } }), null);
  assert.equal(fieldAction({ key: "Enter", ctrlKey: true, target: { tagName: "INPUT", form: {} } }), null);
  assert.equal(fieldAction({ key: "Escape", target: { tagName: "INPUT" } }), "leave");
  assert.equal(fieldAction({ key: "Escape", target: { tagName: "SELECT" } }), null);
  assert.equal(fieldAction({ key: "Escape", target: body }), null);
});
