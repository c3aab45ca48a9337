// The elements of the comment list: a thread with its replies, its buttons and forms, and the
// markers on the timeline. Everything is built with ``el`` (text, never HTML). ``view`` carries
// what the page knows: {cfg, text, categories, editing, percent}.

import { el, linkified } from "./dom.js";
import { fill } from "./time.js";
import { span } from "./threads.js";

const NO_COLOUR = "#475569";

function categoryOf(view, thread) {
  return view.categories.get(thread.category);
}

// One marker per thread: a dot for a point, a bar for a range, in its category's colour.
export function marker(view, thread) {
  const category = categoryOf(view, thread);
  const label = `${span(thread)} · ${category ? category.label : thread.category}`;
  const node = el("span", { className: thread.t_end === null ? "marker" : "marker marker-range",
    title: label, "data-comment-id": thread.id });
  node.style.left = view.percent(thread.t_start);
  if (thread.t_end !== null) {
    node.style.width = `calc(${view.percent(thread.t_end)} - ${view.percent(thread.t_start)})`;
  }
  node.style.backgroundColor = category ? category.color : NO_COLOUR;
  return node;
}

function metaLine(view, comment) {
  const when = new Date(comment.created_at);
  const date = Number.isNaN(when.getTime()) ? "" : when.toLocaleString(document.documentElement.lang,
    { dateStyle: "medium", timeStyle: "short", timeZone: view.text.timeZone });
  return el("p", { className: "comment-meta" },
    el("strong", { text: comment.author.name || "–" }), ` · ${date}`,
    comment.updated_at ? ` · ${view.text.edited}` : null);
}

function bodyOf(view, comment) {
  if (comment.deleted) return el("p", { className: "comment-body empty-state", text: view.text.deletedBody });
  if (view.editing === comment.id) return editForm(view, comment);
  const body = el("div", { className: "comment-body" });
  body.append(linkified(comment.body));
  return body;
}

function ownActions(view, comment) {
  const text = view.text;
  if (!comment.can_edit || view.editing === comment.id) return null;
  return el("span", { className: "own-actions" },
    el("button", { type: "button", className: "secondary outline", "data-action": "edit", "data-id": comment.id,
      text: text.edit }),
    el("button", { type: "button", className: "secondary outline", "data-action": "delete", "data-id": comment.id,
      text: text.delete }));
}

// A thread's list item: time button, category, meta line, body, actions, replies, reply form.
export function renderThread(view, thread) {
  const text = view.text;
  const category = categoryOf(view, thread);
  const swatch = el("span", { className: "swatch", "aria-hidden": "true" });
  swatch.style.backgroundColor = category ? category.color : NO_COLOUR;
  const head = el("div", { className: "comment-head" },
    el("button", { type: "button", className: "timecode", "data-action": "seek", "data-id": thread.id,
      "aria-label": fill(text.seekTo, { time: span(thread) }), text: span(thread) }),
    el("span", { className: "category" }, swatch, category ? category.label : thread.category),
    thread.visibility === "private" ? el("span", { className: "badge badge-private", text: text.private }) : null);

  const actions = el("div", { className: "comment-actions" });
  if (thread.t_end !== null) {
    actions.append(el("button", { type: "button", className: "secondary", "data-action": "loop",
      "data-id": thread.id, "aria-pressed": "false", text: text.playRange }));
  }
  if (!thread.deleted) {
    const box = el("input", { type: "checkbox", "data-action": "resolve", "data-id": thread.id,
      checked: thread.resolved });
    actions.append(el("label", { className: "resolve" }, box, ` ${text.resolved}`));
  }
  const own = ownActions(view, thread);
  if (own) actions.append(own);

  const item = el("li", { id: `comment-${thread.id}`, className: "thread", "data-comment-id": thread.id,
    "data-category": thread.category },
  head, metaLine(view, thread), bodyOf(view, thread), actions);
  if (thread.resolved) item.classList.add("resolved");
  if (thread.replies.length) {
    item.append(el("ol", { className: "replies" }, ...thread.replies.map((reply) => el("li",
      { id: `comment-${reply.id}`, className: "reply", "data-comment-id": reply.id },
      metaLine(view, reply), bodyOf(view, reply), ownActions(view, reply)))));
  }
  if (!thread.deleted) item.append(replyForm(view, thread));
  return item;
}

function replyForm(view, thread) {
  const text = view.text;
  const id = `reply-${thread.id}`;
  return el("form", { className: "reply-form", "data-form": "reply", "data-id": thread.id },
    el("label", { for: id, className: "visually-hidden", text: fill(text.replyLabel, { time: span(thread) }) }),
    el("textarea", { id, name: "body", rows: "1", maxlength: "5000", placeholder: text.reply, "data-draft": "" }),
    el("button", { type: "submit", className: "secondary", text: text.sendReply }));
}

function editForm(view, comment) {
  const text = view.text;
  const id = `edit-${comment.id}`;
  const box = el("textarea", { id, name: "body", rows: "3", maxlength: "5000" });
  box.value = comment.body;
  const form = el("form", { className: "edit-form", "data-form": "edit", "data-id": comment.id },
    el("label", { for: id, className: "visually-hidden", text: text.editLabel }), box);
  if (comment.parent_id === null && view.cfg.supervisor) {
    const category = el("select", { name: "category" }, ...view.cfg.categories.map((c) =>
      el("option", { value: c.code, text: c.label, selected: c.code === comment.category })));
    const visibility = el("select", { name: "visibility" },
      el("option", { value: "shared", text: text.shared, selected: comment.visibility === "shared" }),
      el("option", { value: "private", text: text.privateOption, selected: comment.visibility === "private" }));
    form.append(el("label", {}, text.category, category), el("label", {}, text.visibility, visibility));
  }
  form.append(el("div", { className: "form-buttons" },
    el("button", { type: "submit", text: text.save }),
    el("button", { type: "button", className: "secondary outline", "data-action": "cancel-edit",
      text: text.cancel })));
  return form;
}
