// Chapters and the fidelity checklist beside the player (issue 20).
//
// Talks to the player only through the <video id="video"> element (currentTime, play, pause) and
// DOM events, so it works with the classic player.js and with the ES-module player alike. Text
// from the server goes into the page with textContent only.

export function timecode(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

export function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, key) => values[key]);
}

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function typing(target) {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement
    || target instanceof HTMLSelectElement || (target instanceof HTMLElement && target.isContentEditable);
}

// Seeks ``media``; with an end, plays from there and pauses at the end (any later jump ends that).
export function rangePlayer(media) {
  let rangeEnd = null;
  media.addEventListener("timeupdate", () => {
    if (rangeEnd !== null && media.currentTime >= rangeEnd) {
      rangeEnd = null;
      media.pause();
    }
  });
  return function jump(seconds, end = null) {
    media.currentTime = seconds;
    rangeEnd = end;
    if (end !== null) Promise.resolve(media.play()).catch(() => {});
  };
}

export function start(cfg, media) {
  const text = cfg.i18n;
  const status = document.getElementById("review-tools-status");
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const say = (message) => { status.textContent = message; };

  async function api(method, path, body, answerStatus = null) {
    let response;
    try {
      response = await fetch(cfg.apiBase + path, {
        method, credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      say(text.network);
      throw error;
    }
    if (answerStatus) answerStatus.code = response.status;
    if (response.status === 204) return null;
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      say(answer.error?.message || text.network);
      throw new Error(answer.error?.code || String(response.status));
    }
    return answer;
  }

  const jump = rangePlayer(media);

  /** Run ``work`` with ``button`` disabled, so a double tap or a second click before the answer
   *  sends nothing twice. */
  async function busy(button, work) {
    if (button.disabled) return;
    button.disabled = true;
    try {
      await work();
    } finally {
      button.disabled = false;
    }
  }

  // ------------------------------------------------------------------ chapters
  const list = document.getElementById("chapter-list");
  const form = document.getElementById("new-chapter");
  const kindSelect = document.getElementById("new-chapter-kind");

  function renderChapters(answer) {
    list.replaceChildren(...answer.chapters.map((chapter) => {
      const jumpButton = el("button", {
        type: "button", className: "secondary outline chapter-jump", "data-start": chapter.start,
        title: fill(text.jumpTo, { time: timecode(chapter.start) }),
      }, [el("span", { className: "timecode", text: timecode(chapter.start) }), " ", chapter.title]);
      jumpButton.addEventListener("click", () => jump(chapter.start));
      const item = el("li", { "data-chapter": chapter.id }, [jumpButton]);
      if (chapter.can_change) {
        const move = el("button", { type: "button", className: "secondary outline", "data-action": "move",
          "aria-label": `${text.moveHere}: ${chapter.title}`, text: text.moveHere });
        move.addEventListener("click", () => busy(move, async () => {
          const changed = await api("PATCH", `/chapters/${chapter.id}`, { start: media.currentTime });
          say(fill(text.moved, { time: timecode(changed.start) }));
          await loadChapters();
        }).catch(() => {}));
        const remove = el("button", { type: "button", className: "secondary outline", "data-action": "delete",
          "aria-label": `${text.delete}: ${chapter.title}`, text: text.delete });
        remove.addEventListener("click", () => busy(remove, async () => {
          if (!window.confirm(text.confirmDelete)) return;
          await api("DELETE", `/chapters/${chapter.id}`);
          say(text.deleted);
          await loadChapters();
        }).catch(() => {}));
        item.append(move, remove);
      }
      return item;
    }));
    document.getElementById("chapters-empty").hidden = answer.chapters.length > 0;
    if (answer.can_add && form.hidden) {
      kindSelect.replaceChildren(...answer.kinds.map((kind) => el("option", { value: kind, text: kind })));
      form.hidden = false;
    }
  }

  async function loadChapters() {
    renderChapters(await api("GET", `/recordings/${cfg.recordingId}/chapters`));
  }

  const addButton = form.querySelector('button[type="submit"]');
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(addButton, async () => {
      const answered = {};
      await api("POST", `/recordings/${cfg.recordingId}/chapters`,
        { kind: kindSelect.value, start: media.currentTime }, answered);
      say(answered.code === 200 ? text.alreadyThere : text.added);  // 200: that chapter was already there
      await loadChapters();
    }).catch(() => {});
  });

  // ------------------------------------------------------------------ checklist
  const items = document.getElementById("checklist-items");
  let selected = null; // the item the T key links
  let pending = null; // { itemId, start } between the two presses of "link to the time"
  let canMark = false;

  function select(itemId) {
    selected = itemId;
    for (const row of items.children) row.classList.toggle("selected", row.dataset.item === String(itemId));
  }

  async function linkPress(itemId) {
    select(itemId);
    const now = media.currentTime;
    if (!pending || pending.itemId !== itemId) {
      pending = { itemId, start: now };
      say(fill(text.linkStarted, { time: timecode(now) }));
      renderPendingLabels();
      return;
    }
    if (now <= pending.start) {
      say(text.endBeforeStart);
      return;
    }
    const start = pending.start;
    pending = null;
    const row = await api("POST", `/sessions/${cfg.sessionId}/checklist/${itemId}/links`,
      { recording_id: cfg.recordingId, start, end: now });
    say(fill(text.linked, { start: timecode(start), end: timecode(now) }));
    replaceRow(row);
  }

  function renderPendingLabels() {
    for (const button of items.querySelectorAll('[data-action="link"]')) {
      const mine = pending && button.closest("li").dataset.item === String(pending.itemId);
      button.textContent = mine ? fill(text.linkEnd, { time: timecode(pending.start) }) : text.link;
    }
  }

  function rowNode(row) {
    const node = el("li", { "data-item": row.item_id, "data-status": row.status || "" });
    const label = el("span", { className: "item-text", text: row.text });
    node.append(label);
    if (canMark) {
      for (const value of ["covered", "partly", "missing"]) {
        const button = el("button", { type: "button", className: "secondary outline", "data-status": value,
          "aria-pressed": String(row.status === value), text: text[value] });
        button.addEventListener("click", async () => {
          select(row.item_id);
          const next = row.status === value ? null : value;
          replaceRow(await api("PUT", `/sessions/${cfg.sessionId}/checklist/${row.item_id}`, { status: next }));
          say(text.marked);
        });
        node.append(button);
      }
      const link = el("button", { type: "button", className: "secondary outline", "data-action": "link",
        title: "T", text: text.link });
      link.addEventListener("click", () => linkPress(row.item_id));
      node.append(link);
      node.addEventListener("focusin", () => select(row.item_id));
    } else if (row.status) {
      node.append(el("strong", { text: text[row.status] }));
    }
    for (const range of row.links.filter((l) => l.recording_id === cfg.recordingId)) {
      const play = el("button", { type: "button", className: "outline", "data-link": range.id,
        "data-start": range.start, "data-end": range.end,
        text: fill(text.playRange, { start: timecode(range.start), end: timecode(range.end) }) });
      play.addEventListener("click", () => jump(range.start, range.end));
      node.append(play);
    }
    return node;
  }

  function replaceRow(row) {
    const old = items.querySelector(`[data-item="${row.item_id}"]`);
    const node = rowNode(row);
    if (old) old.replaceWith(node); else items.append(node);
    select(selected);
    renderPendingLabels();
  }

  async function loadChecklist() {
    const answer = await api("GET", `/sessions/${cfg.sessionId}/checklist`);
    canMark = answer.can_mark;
    items.replaceChildren(...answer.items.map(rowNode));
    document.getElementById("checklist-empty").hidden = answer.items.length > 0;
    const hint = document.getElementById("checklist-hint");
    if (hint) hint.hidden = answer.items.length === 0;  // nothing to mark: no instructions
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typing(event.target) || event.key.toLowerCase() !== "t" || !canMark) return;
    event.preventDefault();
    if (selected === null) say(text.chooseItem); else linkPress(selected);
  });

  loadChapters().catch(() => {});
  if (cfg.checklist && items) loadChecklist().catch(() => {});
}

if (typeof document !== "undefined") {
  const dataNode = document.getElementById("review-tools-data");
  const video = document.getElementById("video");
  if (dataNode && video) start(JSON.parse(dataNode.textContent), video);
}
