// The comment threads beside the film: loading them from /api/v1, the list and the timeline
// markers, replies, edits, resolving and deleting, and which comment is playing now.
//
// ``page`` is the wiring from main.js: {api, cfg, text, categories, video, seek, percent,
// announce, showError, clearError, loop}. Bodies are plain text (see dom.js).

import { marker, renderThread } from "./comment-view.js";
import { activeAt, findComment, neighbour, sortThreads } from "./threads.js";

export class Comments {
  constructor(page) {
    this.page = page;
    this.list = document.getElementById("comment-list");
    this.empty = document.getElementById("comments-empty");
    this.markers = document.getElementById("timeline-markers");
    this.threads = [];
    this.editing = null;
    this.active = null;
    this.listen();
  }

  get view() {
    const { cfg, text, categories, percent } = this.page;
    return { cfg, text, categories, percent, editing: this.editing };
  }

  async load(focusSelector) {
    const { api, cfg, showError } = this.page;
    try {
      this.threads = sortThreads((await api("GET", `/recordings/${cfg.recordingId}/comments`)).comments);
    } catch (error) {
      showError(error.message);
      return;
    }
    this.render();
    if (focusSelector) {
      const target = this.list.querySelector(focusSelector);
      if (target) target.focus();
    }
  }

  // Redraw the list, keeping what was typed into reply boxes.
  render() {
    const drafts = new Map();
    for (const box of this.list.querySelectorAll("textarea[data-draft]")) {
      if (box.value) drafts.set(box.id, box.value);
    }
    const view = this.view;
    this.list.replaceChildren(...this.threads.map((thread) => renderThread(view, thread)));
    for (const [id, value] of drafts) {
      const box = document.getElementById(id);
      if (box && !box.value) box.value = value;
    }
    this.empty.hidden = this.threads.length > 0;
    this.renderMarkers();
    this.page.loop.renderButtons();
    this.active = null;
    this.highlight();
  }

  renderMarkers() {
    const view = this.view;
    this.markers.replaceChildren(...this.threads.map((thread) => marker(view, thread)));
  }

  find(id) {
    return findComment(this.threads, id);
  }

  // Run an API change; on success ``done`` tidies up, the list reloads and focus goes to
  // ``focus``. A ``form`` is busy meanwhile, so a second Ctrl+Enter does not send it twice.
  async change(action, { done, focus, message, form } = {}) {
    const { announce, showError, clearError } = this.page;
    if (form) {
      if (form.getAttribute("aria-busy") === "true") return false;
      form.setAttribute("aria-busy", "true");
    }
    clearError();
    try {
      await action();
    } catch (error) {
      showError(error.message);
      return false;
    } finally {
      if (form) form.removeAttribute("aria-busy");
    }
    if (done) done();
    if (message) announce(message);
    await this.load(focus);
    return true;
  }

  listen() {
    this.markers.addEventListener("pointerdown", (event) => {
      const node = event.target.closest(".marker");
      if (!node) return;
      event.stopPropagation(); // not a seek on the timeline under it
      this.goTo(this.threads.find((t) => String(t.id) === node.dataset.commentId));
    });
    this.list.addEventListener("click", (event) => this.onClick(event));
    this.list.addEventListener("change", (event) => this.onResolve(event.target));
    this.list.addEventListener("submit", (event) => {
      event.preventDefault();
      this.onSubmit(event.target);
    });
  }

  onClick(event) {
    const { api, text, loop } = this.page;
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const id = button.dataset.id;
    const action = button.dataset.action;
    if (action === "seek") this.goTo(this.find(id), true);
    else if (action === "loop") loop.toggle(this.find(id));
    else if (action === "edit") {
      this.editing = Number(id);
      this.render();
      document.getElementById(`edit-${id}`).focus();
    } else if (action === "cancel-edit") {
      this.editing = null;
      this.render();
    } else if (action === "delete" && window.confirm(text.confirmDelete)) {
      this.change(() => api("DELETE", `/comments/${id}`), { message: text.deleted });
    }
  }

  onResolve(box) {
    if (box.dataset.action !== "resolve") return;
    this.change(() => this.page.api("PATCH", `/comments/${box.dataset.id}`, { resolved: box.checked }),
      { focus: `input[data-action=resolve][data-id="${box.dataset.id}"]` }).then((ok) => {
      if (!ok) box.checked = !box.checked;
    });
  }

  onSubmit(form) {
    const { api, cfg, text } = this.page;
    const id = form.dataset.id;
    const body = form.elements.body.value;
    if (form.dataset.form === "reply") {
      this.change(() => api("POST", `/recordings/${cfg.recordingId}/comments`, { parent_id: Number(id), body }),
        { done: () => { form.elements.body.value = ""; }, focus: `#reply-${id}`, message: text.replySent, form });
    } else if (form.dataset.form === "edit") {
      const data = { body };
      if (form.elements.category) data.category = form.elements.category.value;
      if (form.elements.visibility) data.visibility = form.elements.visibility.value;
      this.change(() => api("PATCH", `/comments/${id}`, data),
        { done: () => { this.editing = null; }, message: text.saved, form });
    }
  }

  // Seek to ``thread`` (inside the playable part) and mark it; from the timeline or a shortcut
  // the list scrolls to it too.
  goTo(thread, fromList) {
    if (!thread) return;
    this.page.seek(thread.t_start);
    const item = document.getElementById(`comment-${thread.parent_id || thread.id}`);
    if (item && !fromList) item.scrollIntoView({ block: "nearest" });
    this.highlight(thread.id);
  }

  // Mark the thread playing now (or ``forced``) in the list.
  highlight(forced) {
    const playing = activeAt(this.threads, this.page.video.currentTime);
    const current = forced || (playing && playing.id);
    if (current === this.active) return;
    this.active = current;
    for (const item of this.list.querySelectorAll(".thread.active")) item.classList.remove("active");
    if (current) {
      const item = document.getElementById(`comment-${current}`);
      if (item) item.classList.add("active");
    }
  }

  // Go to the next (``direction`` 1) or previous (-1) comment.
  step(direction) {
    this.goTo(neighbour(this.threads, this.page.video.currentTime, direction));
  }
}
