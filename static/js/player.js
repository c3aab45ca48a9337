// Player page: the film with a timeline of comments and storyboard previews, keyboard
// shortcuts, and the threads of time-coded comments, all through /api/v1.
//
// The media URLs are signed for a short time. The player asks for fresh ones before they
// expire and keeps them for the next load; the element keeps playing from what it already
// has. When the browser does need bytes from an expired URL, storage answers 403, the video
// fires "error", and the player loads the fresh URL at the same time, rate and play state.
//
// Comment bodies are plain text: they are put into the page with textContent and
// createElement only, never as HTML.
(function () {
  "use strict";

  const root = document.getElementById("player");
  if (!root) return;
  const cfg = JSON.parse(document.getElementById("player-data").textContent);
  const text = JSON.parse(document.getElementById("player-i18n").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const video = document.getElementById("video");
  const $ = (id) => document.getElementById(id);
  const categories = new Map(cfg.categories.map((c) => [c.code, c]));

  // ---------------------------------------------------------------- helpers

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error && body.error.message) || text.network);
      this.status = status;
    }
  }

  async function api(method, path, body, options) {
    let response;
    try {
      response = await fetch(cfg.apiBase + path, {
        method,
        credentials: "same-origin",
        keepalive: Boolean(options && options.keepalive),
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (_e) {
      throw new ApiError(0, null);
    }
    if (response.status === 204) return null;
    let data = null;
    try { data = await response.json(); } catch (_e) { data = null; }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, (match, key) => (key in values ? values[key] : match));
  }

  // "m:ss" (or "h:mm:ss"); with ``tenths`` one decimal, for the in/out fields.
  function timecode(seconds, tenths) {
    const t = Math.max(0, seconds || 0);
    const whole = tenths ? Math.floor(t) : Math.floor(t + 1e-6);
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = whole % 60;
    let out = (h ? `${h}:${String(m).padStart(2, "0")}` : String(m)) + ":" + String(s).padStart(2, "0");
    if (tenths) out += "." + Math.floor((t - whole) * 10 + 1e-6);
    return out;
  }

  // Seconds from "12:30", "1:02:03.5", "75" or "0:12,5"; NaN when it is none of those.
  function parseTime(value) {
    const parts = value.trim().replace(",", ".").split(":");
    if (!parts[0] || parts.length > 3) return NaN;
    let seconds = 0;
    for (let i = 0; i < parts.length; i += 1) {
      const last = i === parts.length - 1;
      if (!(last ? /^\d+(\.\d+)?$/ : /^\d+$/).test(parts[i])) return NaN;
      seconds = seconds * 60 + parseFloat(parts[i]);
    }
    return seconds;
  }

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "className") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  // Plain text with http(s) addresses made into links; line breaks are kept by CSS.
  function linkified(body) {
    const fragment = document.createDocumentFragment();
    const pattern = /https?:\/\/[^\s<>"]+/gi;
    let last = 0;
    for (const match of body.matchAll(pattern)) {
      const address = match[0].replace(/[.,;:!?)\]}'"]+$/, "");
      let url = null;
      try { url = new URL(address); } catch (_e) { url = null; }
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) continue;
      fragment.append(body.slice(last, match.index));
      fragment.append(el("a", { href: url.href, rel: "noopener noreferrer nofollow", target: "_blank",
        text: address }));
      last = match.index + address.length;
    }
    fragment.append(body.slice(last));
    return fragment;
  }

  const statusLine = $("player-status");
  const errorBox = $("player-error");
  function announce(message) { statusLine.textContent = message; }
  function showError(message) { errorBox.textContent = message; }
  function clearError() { errorBox.textContent = ""; }

  function duration() {
    return Number.isFinite(video.duration) && video.duration > 0 ? video.duration : cfg.duration || 0;
  }

  // ---------------------------------------------------------------- media URLs

  let freshMedia = null; // renewed URLs, kept for the next load
  let renewTimer = null;
  let sheetUrls = {};
  let wantPlaying = false;
  let recovering = null; // {at, playing} while a fresh source is being fetched or loaded
  let fetching = false;
  let onLoaded = null;
  let failures = 0; // reloads since playback last moved on by itself
  let resumedAt = 0;
  let ownSeek = false;
  let lastTime = 0;

  function lifetime(media) { return media.receivedAt + media.expires_in * 1000 - Date.now(); }

  async function requestMedia(renewal) {
    const media = await api("POST", `/recordings/${cfg.recordingId}/play`, { renewal });
    media.receivedAt = Date.now();
    if (media.storyboard) sheetUrls = media.storyboard.sheets;
    scheduleRenewal(media);
    return media;
  }

  function scheduleRenewal(media) {
    clearTimeout(renewTimer);
    renewTimer = setTimeout(renew, Math.max(1, media.expires_in * 0.8) * 1000);
  }

  async function renew() {
    try {
      freshMedia = await requestMedia(true);
    } catch (error) {
      if (refused(error)) { stopWatching(); return; }
      renewTimer = setTimeout(renew, 10000); // the network is down: try again soon
    }
  }

  // Each renewal checks the right to watch again. When it has ended (consent withdrawn, film
  // deleted, role removed, account closed), the player stops at once rather than playing on
  // from what it has buffered.
  function refused(error) { return [401, 403, 404].includes(error.status); }

  function stopWatching() {
    clearTimeout(renewTimer);
    freshMedia = null;
    recovering = null;
    wantPlaying = false;
    root.dataset.state = "revoked";
    positionReady = false; // where the element ends up (0) is not where the viewer was
    video.pause();
    video.removeAttribute("src");
    video.removeAttribute("poster"); // a still of the film is the film too
    video.load(); // drops the buffer; it also drops the queued "pause" event, hence:
    updatePlayButton();
    showError(text.noRight);
  }

  // Load ``media`` into the element and go on at ``at`` seconds, as fast and playing as before.
  function load(media, at, playing) {
    video.removeEventListener("loadedmetadata", onLoaded);
    onLoaded = () => {
      resumedAt = at;
      if (at > 0) {
        ownSeek = true;
        video.currentTime = Math.min(at, duration());
      }
      video.playbackRate = video.defaultPlaybackRate;
      recovering = null;
      if (playing) video.play().catch(() => {});
    };
    video.addEventListener("loadedmetadata", onLoaded, { once: true });
    video.src = media.video;
  }

  // The source failed (an expired URL answers 403): load a fresh one where the viewer was.
  // Three failures without playback moving on in between mean something else is wrong (a
  // broken file, a lost connection), and the viewer is told instead of the player looping.
  async function recover() {
    if (fetching || root.dataset.state === "revoked") return;
    failures += 1;
    if (failures > 3) {
      recovering = null;
      showError(text.mediaFailed);
      return;
    }
    // a failed reload has currentTime 0: keep the first attempt's target
    recovering = recovering || { at: video.currentTime || lastTime, playing: wantPlaying || !video.paused };
    const usable = freshMedia && lifetime(freshMedia) > Math.max(1000, freshMedia.expires_in * 500);
    let media = usable ? freshMedia : null;
    freshMedia = null;
    if (!media) {
      fetching = true;
      try {
        media = await requestMedia(true);
      } catch (error) {
        recovering = null;
        if (refused(error)) stopWatching();
        else showError(error.message);
        return;
      } finally {
        fetching = false;
      }
    }
    root.dataset.reloads = String(Number(root.dataset.reloads || 0) + 1);
    load(media, recovering.at, recovering.playing);
  }

  video.addEventListener("error", () => {
    if (video.error && video.error.code !== video.error.MEDIA_ERR_ABORTED) recover();
  });
  video.addEventListener("playing", () => { if (!recovering) clearError(); });
  video.addEventListener("seeked", () => {
    if (ownSeek) ownSeek = false;
    else if (!recovering) failures = 0; // the viewer moved: a new start
  });
  video.addEventListener("timeupdate", () => {
    if (failures && !recovering && video.currentTime > resumedAt + 2) failures = 0;
  });
  video.addEventListener("play", () => { if (!recovering) wantPlaying = true; });
  video.addEventListener("pause", () => { if (!recovering) wantPlaying = false; });

  // ---------------------------------------------------------------- remembered position

  let positionReady = false;
  let savedPosition = -1;
  let seekSaveTimer = null;

  function savePosition(keepalive) {
    if (!positionReady || recovering) return;
    const position = Math.round(video.currentTime * 100) / 100;
    if (Math.abs(position - savedPosition) < 0.5) return;
    savedPosition = position;
    api("PUT", `/recordings/${cfg.recordingId}/position`, { position }, { keepalive }).catch(() => {
      savedPosition = -1;
    });
  }

  setInterval(() => { if (!video.paused) savePosition(false); }, 10000);
  video.addEventListener("pause", () => savePosition(false));
  video.addEventListener("seeked", () => {
    clearTimeout(seekSaveTimer);
    if (video.paused) seekSaveTimer = setTimeout(() => savePosition(false), 800);
  });
  window.addEventListener("pagehide", () => savePosition(true));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") savePosition(true);
  });

  // ---------------------------------------------------------------- playback controls

  const playButton = $("btn-play");
  const muteButton = $("btn-mute");
  const speed = $("speed");

  function togglePlay() {
    if (video.paused || video.ended) video.play().catch(() => {});
    else video.pause();
  }

  function seek(seconds) {
    const t = Math.min(Math.max(0, seconds), duration() || seconds);
    if (loop && (t < loop.start - 0.5 || t > loop.end + 0.5)) stopLoop();
    video.currentTime = t;
    lastTime = t;
    updateTime();
  }

  function updatePlayButton() {
    playButton.textContent = video.paused ? text.play : text.pause;
  }

  function setRate(rate) {
    video.defaultPlaybackRate = rate; // survives a reload of the source
    video.playbackRate = rate;
  }

  playButton.addEventListener("click", togglePlay);
  video.addEventListener("click", togglePlay);
  $("btn-back").addEventListener("click", () => seek(video.currentTime - 10));
  $("btn-forward").addEventListener("click", () => seek(video.currentTime + 10));
  speed.addEventListener("change", () => setRate(parseFloat(speed.value)));
  muteButton.addEventListener("click", () => {
    video.muted = !video.muted;
    muteButton.setAttribute("aria-pressed", String(video.muted));
    muteButton.textContent = video.muted ? text.unmute : text.mute;
  });
  $("btn-fullscreen").addEventListener("click", () => {
    const frame = video.parentElement;
    if (document.fullscreenElement) document.exitFullscreen();
    else if (frame.requestFullscreen) frame.requestFullscreen().catch(() => {});
  });
  $("btn-restart").addEventListener("click", () => {
    seek(0);
    $("resume-note").hidden = true;
    timeline.focus();
  });
  video.addEventListener("play", updatePlayButton);
  video.addEventListener("pause", updatePlayButton);

  // ---------------------------------------------------------------- timeline

  const timeline = $("timeline");
  const played = $("timeline-played");
  const buffered = $("timeline-buffered");
  const preview = $("timeline-preview");
  const previewImage = $("timeline-preview-image");
  let storyboard = [];

  function percent(seconds) {
    const total = duration();
    return total ? `${Math.min(100, Math.max(0, (seconds / total) * 100))}%` : "0%";
  }

  function updateTime() {
    const t = video.currentTime;
    played.style.width = percent(t);
    $("time-current").textContent = timecode(t);
    timeline.setAttribute("aria-valuenow", String(Math.round(t)));
    timeline.setAttribute("aria-valuetext", timecode(t));
    if (video.buffered.length) buffered.style.width = percent(video.buffered.end(video.buffered.length - 1));
  }

  function timeAt(clientX) {
    const box = timeline.getBoundingClientRect();
    return Math.min(1, Math.max(0, (clientX - box.left) / box.width)) * duration();
  }

  function showPreview(clientX) {
    const t = timeAt(clientX);
    const box = timeline.getBoundingClientRect();
    const cue = storyboard.find((c) => t >= c.start && t < c.end) || storyboard[storyboard.length - 1];
    const url = cue && sheetUrls[cue.sheet];
    previewImage.hidden = !url;
    let width = 64;
    if (url) {
      previewImage.style.backgroundImage = `url("${encodeURI(url).replace(/"/g, "%22")}")`;
      previewImage.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
      previewImage.style.width = `${cue.w}px`;
      previewImage.style.height = `${cue.h}px`;
      width = cue.w;
    }
    $("timeline-preview-time").textContent = timecode(t);
    const x = Math.min(Math.max(clientX - box.left, width / 2), box.width - width / 2);
    preview.style.left = `${x}px`;
    preview.hidden = false;
  }

  let dragging = false;
  timeline.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    dragging = true;
    timeline.setPointerCapture(event.pointerId);
    seek(timeAt(event.clientX));
  });
  timeline.addEventListener("pointermove", (event) => {
    showPreview(event.clientX);
    if (dragging) seek(timeAt(event.clientX));
  });
  timeline.addEventListener("pointerup", () => { dragging = false; });
  timeline.addEventListener("pointerleave", () => { if (!dragging) preview.hidden = true; });
  timeline.addEventListener("keydown", (event) => {
    if (event.key === "Home") { seek(0); event.preventDefault(); }
    if (event.key === "End") { seek(duration()); event.preventDefault(); }
  });

  // The storyboard VTT: cues whose text is "storyboard-NNN.jpg#xywh=x,y,w,h".
  function parseStoryboard(vtt) {
    const stamp = (s) => s.split(":").reduce((sum, part) => sum * 60 + parseFloat(part), 0);
    const cues = [];
    const blocks = vtt.replace(/\r/g, "").split(/\n\n+/);
    for (const block of blocks) {
      const lines = block.split("\n");
      const timing = lines.findIndex((line) => line.includes("-->"));
      if (timing < 0 || !lines[timing + 1]) continue;
      const [start, end] = lines[timing].split("-->").map((s) => stamp(s.trim().split(/\s/)[0]));
      const match = /^([^#\s]+)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(lines[timing + 1].trim());
      if (!match) continue;
      cues.push({ start, end, sheet: match[1], x: +match[2], y: +match[3], w: +match[4], h: +match[5] });
    }
    return cues;
  }

  async function loadStoryboard(media) {
    if (!media.storyboard) return;
    try {
      const response = await fetch(media.storyboard.vtt, { credentials: "omit" });
      if (response.ok) storyboard = parseStoryboard(await response.text());
    } catch (_e) {
      storyboard = []; // previews are a help, not a requirement
    }
  }

  // ---------------------------------------------------------------- range loop

  let loop = null;

  function startLoop(thread) {
    loop = { id: thread.id, start: thread.t_start, end: thread.t_end };
    seek(thread.t_start);
    video.play().catch(() => {});
    announce(fill(text.loopOn, { start: timecode(loop.start), end: timecode(loop.end) }));
    renderLoopButtons();
  }

  function stopLoop() {
    if (!loop) return;
    loop = null;
    announce(text.loopOff);
    renderLoopButtons();
  }

  function renderLoopButtons() {
    for (const button of document.querySelectorAll("[data-action=loop]")) {
      const on = loop !== null && String(loop.id) === button.dataset.id;
      button.setAttribute("aria-pressed", String(on));
      button.textContent = on ? text.stopLoop : text.playRange;
    }
  }

  function checkLoop() {
    if (loop && !recovering && video.currentTime >= loop.end) {
      video.currentTime = loop.start;
      root.dataset.loops = String(Number(root.dataset.loops || 0) + 1);
    }
  }

  video.addEventListener("timeupdate", () => {
    if (!recovering && !video.seeking) lastTime = video.currentTime;
    checkLoop();
    updateTime();
    highlightActive();
  });
  video.addEventListener("progress", updateTime);
  video.addEventListener("ended", () => {
    if (loop) { video.currentTime = loop.start; video.play().catch(() => {}); }
  });

  // ---------------------------------------------------------------- comments

  const list = $("comment-list");
  const empty = $("comments-empty");
  const markers = $("timeline-markers");
  let threads = [];
  let editing = null;

  async function loadComments(focusSelector) {
    try {
      threads = (await api("GET", `/recordings/${cfg.recordingId}/comments`)).comments;
    } catch (error) {
      showError(error.message);
      return;
    }
    renderComments();
    if (focusSelector) {
      const target = list.querySelector(focusSelector);
      if (target) target.focus();
    }
  }

  function renderComments() {
    const drafts = new Map();
    for (const box of list.querySelectorAll("textarea[data-draft]")) {
      if (box.value) drafts.set(box.id, box.value);
    }
    list.replaceChildren(...threads.map(renderThread));
    for (const [id, value] of drafts) {
      const box = document.getElementById(id);
      if (box && !box.value) box.value = value;
    }
    empty.hidden = threads.length > 0;
    renderMarkers();
    renderLoopButtons();
    active = null;
    highlightActive();
  }

  function span(thread) {
    return thread.t_end === null || thread.t_end === undefined
      ? timecode(thread.t_start) : `${timecode(thread.t_start)}–${timecode(thread.t_end)}`;
  }

  function renderMarkers() {
    markers.replaceChildren(...threads.map((thread) => {
      const category = categories.get(thread.category);
      const label = `${span(thread)} · ${category ? category.label : thread.category}`;
      const marker = el("span", { className: thread.t_end === null ? "marker" : "marker marker-range",
        title: label, "data-comment-id": thread.id });
      marker.style.left = percent(thread.t_start);
      if (thread.t_end !== null) {
        marker.style.width = `calc(${percent(thread.t_end)} - ${percent(thread.t_start)})`;
      }
      marker.style.backgroundColor = category ? category.color : "#475569";
      return marker;
    }));
  }

  markers.addEventListener("pointerdown", (event) => {
    const marker = event.target.closest(".marker");
    if (!marker) return;
    event.stopPropagation();
    goToComment(threads.find((t) => String(t.id) === marker.dataset.commentId));
  });

  function metaLine(comment) {
    const when = new Date(comment.created_at);
    const date = Number.isNaN(when.getTime()) ? "" : when.toLocaleString(document.documentElement.lang,
      { dateStyle: "medium", timeStyle: "short", timeZone: text.timeZone });
    return el("p", { className: "comment-meta" },
      el("strong", { text: comment.author.name || "–" }), ` · ${date}`,
      comment.updated_at ? ` · ${text.edited}` : null);
  }

  function bodyOf(comment) {
    if (comment.deleted) return el("p", { className: "comment-body empty-state", text: text.deletedBody });
    if (editing === comment.id) return editForm(comment);
    const body = el("div", { className: "comment-body" });
    body.append(linkified(comment.body));
    return body;
  }

  function ownActions(comment) {
    if (!comment.can_edit || editing === comment.id) return null;
    return el("span", { className: "own-actions" },
      el("button", { type: "button", className: "secondary outline", "data-action": "edit", "data-id": comment.id,
        text: text.edit }),
      el("button", { type: "button", className: "secondary outline", "data-action": "delete", "data-id": comment.id,
        text: text.delete }));
  }

  function renderThread(thread) {
    const category = categories.get(thread.category);
    const swatch = el("span", { className: "swatch", "aria-hidden": "true" });
    swatch.style.backgroundColor = category ? category.color : "#475569";
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
    const own = ownActions(thread);
    if (own) actions.append(own);

    const item = el("li", { id: `comment-${thread.id}`, className: "thread", "data-comment-id": thread.id,
      "data-category": thread.category },
    head, metaLine(thread), bodyOf(thread), actions);
    if (thread.resolved) item.classList.add("resolved");
    if (thread.replies.length) {
      item.append(el("ol", { className: "replies" }, ...thread.replies.map((reply) => el("li",
        { id: `comment-${reply.id}`, className: "reply", "data-comment-id": reply.id },
        metaLine(reply), bodyOf(reply), ownActions(reply)))));
    }
    if (!thread.deleted) item.append(replyForm(thread));
    return item;
  }

  function replyForm(thread) {
    const id = `reply-${thread.id}`;
    return el("form", { className: "reply-form", "data-form": "reply", "data-id": thread.id },
      el("label", { for: id, className: "visually-hidden", text: fill(text.replyLabel, { time: span(thread) }) }),
      el("textarea", { id, name: "body", rows: "1", maxlength: "5000", placeholder: text.reply, "data-draft": "" }),
      el("button", { type: "submit", className: "secondary", text: text.sendReply }));
  }

  function editForm(comment) {
    const id = `edit-${comment.id}`;
    const box = el("textarea", { id, name: "body", rows: "3", maxlength: "5000" });
    box.value = comment.body;
    const form = el("form", { className: "edit-form", "data-form": "edit", "data-id": comment.id },
      el("label", { for: id, className: "visually-hidden", text: text.editLabel }), box);
    if (comment.parent_id === null && cfg.supervisor) {
      const category = el("select", { name: "category" }, ...cfg.categories.map((c) =>
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

  function findComment(id) {
    for (const thread of threads) {
      if (String(thread.id) === String(id)) return thread;
      const reply = thread.replies.find((r) => String(r.id) === String(id));
      if (reply) return reply;
    }
    return null;
  }

  // Run an API change; on success ``done`` tidies up, the list reloads and focus goes to
  // ``focus``. A ``form`` is busy meanwhile, so a second Ctrl+Enter does not send it twice.
  async function change(action, { done, focus, message, form: busyForm } = {}) {
    if (busyForm) {
      if (busyForm.getAttribute("aria-busy") === "true") return false;
      busyForm.setAttribute("aria-busy", "true");
    }
    clearError();
    try {
      await action();
    } catch (error) {
      showError(error.message);
      return false;
    } finally {
      if (busyForm) busyForm.removeAttribute("aria-busy");
    }
    if (done) done();
    if (message) announce(message);
    await loadComments(focus);
    return true;
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const id = button.dataset.id;
    const action = button.dataset.action;
    if (action === "seek") goToComment(findComment(id), true);
    else if (action === "loop") {
      if (loop && String(loop.id) === id) stopLoop();
      else startLoop(findComment(id));
    } else if (action === "edit") {
      editing = Number(id);
      renderComments();
      $(`edit-${id}`).focus();
    } else if (action === "cancel-edit") {
      editing = null;
      renderComments();
    } else if (action === "delete" && window.confirm(text.confirmDelete)) {
      change(() => api("DELETE", `/comments/${id}`), { message: text.deleted });
    }
  });

  list.addEventListener("change", (event) => {
    const box = event.target;
    if (box.dataset.action !== "resolve") return;
    change(() => api("PATCH", `/comments/${box.dataset.id}`, { resolved: box.checked }),
      { focus: `input[data-action=resolve][data-id="${box.dataset.id}"]` }).then((ok) => {
      if (!ok) box.checked = !box.checked;
    });
  });

  list.addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    const id = form.dataset.id;
    const body = form.elements.body.value;
    if (form.dataset.form === "reply") {
      change(() => api("POST", `/recordings/${cfg.recordingId}/comments`, { parent_id: Number(id), body }),
        { done: () => { form.elements.body.value = ""; }, focus: `#reply-${id}`, message: text.replySent, form });
    } else if (form.dataset.form === "edit") {
      const data = { body };
      if (form.elements.category) data.category = form.elements.category.value;
      if (form.elements.visibility) data.visibility = form.elements.visibility.value;
      change(() => api("PATCH", `/comments/${id}`, data),
        { done: () => { editing = null; }, message: text.saved, form });
    }
  });

  function goToComment(thread, fromList) {
    if (!thread) return;
    seek(thread.t_start);
    const item = $(`comment-${thread.parent_id || thread.id}`);
    if (item && !fromList) item.scrollIntoView({ block: "nearest" });
    highlightActive(thread.id);
  }

  let active = null;
  function highlightActive(forced) {
    const t = video.currentTime;
    // a point comment counts as active for a few seconds after its time
    const playing = threads.find((c) => t >= c.t_start - 0.25 && t < (c.t_end === null ? c.t_start + 4 : c.t_end));
    const current = forced || (playing && playing.id);
    if (current === active) return;
    active = current;
    for (const item of list.querySelectorAll(".thread.active")) item.classList.remove("active");
    if (current) {
      const item = $(`comment-${current}`);
      if (item) item.classList.add("active");
    }
  }

  function neighbour(direction) {
    const t = video.currentTime;
    if (direction > 0) return threads.find((c) => c.t_start > t + 0.25);
    return threads.slice().reverse().find((c) => c.t_start < t - 1.5);
  }

  // ---------------------------------------------------------------- new comment (supervisors)

  const form = $("new-comment");
  const inField = $("comment-in");
  const outField = $("comment-out");
  const pending = $("timeline-pending");

  function showPending() {
    const start = parseTime(inField.value);
    const end = parseTime(outField.value);
    pending.hidden = Number.isNaN(start);
    if (pending.hidden) return;
    pending.style.left = percent(start);
    pending.style.width = Number.isNaN(end) || end <= start ? "3px" : `calc(${percent(end)} - ${percent(start)})`;
  }

  function setPoint(which) {
    const field = which === "in" ? inField : outField;
    field.value = timecode(video.currentTime, true);
    announce(fill(which === "in" ? text.inSet : text.outSet, { time: field.value }));
    showPending();
  }

  function openComment() {
    video.pause();
    if (!inField.value) setPoint("in");
    form.elements.body.focus();
    form.scrollIntoView({ block: "nearest" });
  }

  if (form) {
    for (const button of form.querySelectorAll("[data-set-time]")) {
      button.addEventListener("click", () => setPoint(button.dataset.setTime));
    }
    inField.addEventListener("input", showPending);
    outField.addEventListener("input", showPending);
    form.addEventListener("reset", () => { setTimeout(showPending, 0); });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearError();
      const start = inField.value.trim() ? parseTime(inField.value) : video.currentTime;
      const end = outField.value.trim() ? parseTime(outField.value) : null;
      if (Number.isNaN(start) || Number.isNaN(end)) {
        showError(text.invalidTime);
        (Number.isNaN(start) ? inField : outField).focus();
        return;
      }
      const data = {
        t_start: Math.round(start * 1000) / 1000,
        t_end: end === null ? null : Math.round(end * 1000) / 1000,
        category: form.elements.category.value,
        visibility: form.elements.visibility.value,
        body: form.elements.body.value,
      };
      const ok = await change(() => api("POST", `/recordings/${cfg.recordingId}/comments`, data), {
        message: text.saved,
        done: () => { form.reset(); },
        form,
      });
      if (ok) timeline.focus();
    });
  }

  // ---------------------------------------------------------------- keyboard

  function typing(target) {
    return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement
      || target instanceof HTMLSelectElement || (target instanceof HTMLElement && target.isContentEditable);
  }

  // Ctrl+Enter sends the form a text box is in; Esc leaves a field for the film.
  document.addEventListener("keydown", (event) => {
    const box = event.target;
    if (!typing(box)) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && box instanceof HTMLTextAreaElement && box.form) {
      event.preventDefault();
      box.form.requestSubmit();
    } else if (event.key === "Escape" && !(box instanceof HTMLSelectElement)) {
      timeline.focus();
    }
  });

  const shortcuts = {
    " ": togglePlay,
    k: togglePlay,
    j: () => seek(video.currentTime - 10),
    l: () => seek(video.currentTime + 10),
    arrowleft: () => seek(video.currentTime - 5),
    arrowright: () => seek(video.currentTime + 5),
    n: () => goToComment(neighbour(1)),
    p: () => goToComment(neighbour(-1)),
  };
  if (form) {
    shortcuts.c = openComment;
    shortcuts.i = () => setPoint("in");
    shortcuts.o = () => setPoint("out");
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typing(event.target)) return;
    const handler = shortcuts[event.key.toLowerCase()];
    if (!handler) return;
    event.preventDefault(); // no page scroll, and Space does not also press a focused button
    handler();
  });

  // ---------------------------------------------------------------- start

  function startAt(media) {
    const hash = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
    if (hash) return parseFloat(hash[1]);
    const total = cfg.duration || Infinity;
    if (media.position > 0 && media.position < total - 2) {
      $("resume-text").textContent = fill(text.resumed, { time: timecode(media.position) });
      $("resume-note").hidden = false;
      return media.position;
    }
    return 0;
  }

  async function start() {
    loadComments();
    let media;
    try {
      media = await requestMedia(false);
    } catch (error) {
      showError(error.message);
      root.dataset.state = "failed";
      return;
    }
    if (media.poster) video.poster = media.poster;
    const at = startAt(media);
    savedPosition = media.position;
    video.addEventListener("loadedmetadata", () => {
      positionReady = true;
      root.dataset.state = "ready";
      updateTime();
      renderMarkers();
    }, { once: true });
    load(media, at, false);
    loadStoryboard(media);
  }

  updatePlayButton();
  start();
})();
