// Keyboard shortcuts of the player: a key maps to an action name (pure, tests/js/keyboard.test.mjs),
// and main.js says what each action does. Shortcuts never fire while the viewer types in a
// field; there Ctrl+Enter sends the form and Esc goes back to the film.

const SHORTCUTS = {
  " ": "toggle",
  k: "toggle",
  j: "back10",
  l: "forward10",
  arrowleft: "back5",
  arrowright: "forward5",
  n: "next",
  p: "previous",
  c: "comment",
  i: "markIn",
  o: "markOut",
};
const COMPOSER_ONLY = new Set(["comment", "markIn", "markOut"]); // supervisors, who have the form

// True when ``target`` takes typed text or a choice (the shortcuts leave it alone).
export function isTyping(target) {
  if (!target) return false;
  return ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) || target.isContentEditable === true;
}

// The action of a key press outside fields, or null. ``composer``: the page has the comment form.
export function shortcutAction(event, { composer }) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return null;
  if (isTyping(event.target)) return null;
  const action = SHORTCUTS[event.key.toLowerCase()] || null;
  return action && COMPOSER_ONLY.has(action) && !composer ? null : action;
}

// What a key press inside a field does: "submit" (Ctrl/Cmd+Enter in a text box of a form),
// "leave" (Esc, except in a select, where Esc closes the list), or null.
export function fieldAction(event) {
  const box = event.target;
  if (!isTyping(box)) return null;
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && box.tagName === "TEXTAREA" && box.form) {
    return "submit";
  }
  if (event.key === "Escape" && box.tagName !== "SELECT") return "leave";
  return null;
}

// Listen on ``doc``: ``actions[name]()`` runs for a shortcut; ``leave()`` for Esc in a field.
export function installKeyboard(doc, { actions, composer, leave }) {
  doc.addEventListener("keydown", (event) => {
    const action = fieldAction(event);
    if (action === "submit") {
      event.preventDefault();
      event.target.form.requestSubmit();
    } else if (action === "leave") {
      leave();
    }
  });
  doc.addEventListener("keydown", (event) => {
    const action = shortcutAction(event, { composer });
    if (!action || !actions[action]) return;
    event.preventDefault(); // no page scroll, and Space does not also press a focused button
    actions[action]();
  });
}
