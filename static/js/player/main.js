// Player page: the film with a timeline of comments and storyboard previews, keyboard
// shortcuts, and the threads of time-coded comments, all through /api/v1. This module wires
// the parts together; each part is its own module:
//
//   renewal.js   the lease on the film: /play, renewed before its URLs expire
//   playback.js  the <video> element: MP4, HLS through hls.js or natively, recovery
//   timeline.js  played/buffered bars, seeking by pointer, storyboard previews (storyboard.js)
//   comments.js  the threads and markers (comment-view.js, threads.js); compose.js the new one
//   loop.js      a comment's range in a loop;  position.js  where the viewer stopped
//   keyboard.js  the shortcuts;  range.js, time.js  the pure arithmetic
//
// A film still being processed as HLS plays from 0:00 up to what is published; the page says
// so, and seeking stays inside that part (range.js).

import { makeApi } from "./api.js";
import { Comments } from "./comments.js";
import { Composer } from "./compose.js";
import { installKeyboard } from "./keyboard.js";
import { RangeLoop } from "./loop.js";
import { Playback } from "./playback.js";
import { Position } from "./position.js";
import { clampTime, partlyPlayable, percent, playableEnd } from "./range.js";
import { Lease } from "./renewal.js";
import { loadStoryboard } from "./storyboard.js";
import { fill, timecode } from "./time.js";
import { Timeline } from "./timeline.js";

const $ = (id) => document.getElementById(id);

function setUp(root) {
  const cfg = JSON.parse($("player-data").textContent);
  const text = JSON.parse($("player-i18n").textContent);
  const video = $("video");
  const statusLine = $("player-status");
  const errorBox = $("player-error");
  // the latest answer of /play; until the first, what the page knows of a film being processed
  let media = cfg.complete === false ? { complete: false, playable_seconds: cfg.playableSeconds } : null;

  const page = {
    cfg, text, video, root,
    categories: new Map(cfg.categories.map((c) => [c.code, c])),
    api: makeApi({ base: cfg.apiBase, csrf: document.querySelector('meta[name="csrf-token"]').content,
      networkMessage: text.network }),
    announce: (message) => { statusLine.textContent = message; },
    showError: (message) => { errorBox.textContent = message; },
    clearError: () => { errorBox.textContent = ""; },
    // the film's length: the element's once known, else the recording's; while a film is still
    // published the recording's, so markers do not move as the playlist grows
    duration: () => {
      if (partlyPlayable(media) && (media.duration || cfg.duration)) return media.duration || cfg.duration;
      return Number.isFinite(video.duration) && video.duration > 0 ? video.duration : cfg.duration || 0;
    },
    limit: () => playableEnd(media, page.duration()),
    percent: (seconds) => percent(seconds, page.duration()),
    recovering: () => Boolean(playback.recovering),
    seek(seconds) {
      const t = clampTime(seconds, page.limit());
      loop.seeking(t);
      video.currentTime = t;
      playback.lastTime = t;
      timeline.update();
    },
  };

  const lease = new Lease({
    request: (renewal) => page.api("POST", `/recordings/${cfg.recordingId}/play`, { renewal }),
    onMedia: (answer) => {
      media = answer;
      if (answer.storyboard) timeline.sheets = answer.storyboard.sheets;
      if (started) refreshStoryboard(answer);
      showPlayable(answer);
    },
    onRefused: () => stopWatching(),
  });
  const playback = new Playback({ video, root, lease, text, limit: page.limit,
    ui: { showError: page.showError, clearError: page.clearError, revoked: () => stopWatching() } });
  const loop = new RangeLoop(page); // before the timeline: a wrap shows at once
  const timeline = new Timeline(page);
  const comments = new Comments({ ...page, loop });
  const position = new Position(page);
  const form = $("new-comment");
  const composer = form ? new Composer({ ...page, timeline, comments }, form) : null;
  Object.assign(page, { timeline, comments });
  video.addEventListener("timeupdate", () => comments.highlight());

  // The previews grow with a film being encoded (a new grid with every renewal), and the VTT
  // replaces the grid once the film is ready; a finished film's VTT is fetched once.
  let started = false;
  let storyboardFrom = null;
  async function refreshStoryboard(answer) {
    const board = answer.storyboard;
    const from = board ? (board.grid ? `grid:${JSON.stringify(board.grid.parts.map((p) => p.first))}` : "vtt") : null;
    if (from === storyboardFrom) return;
    storyboardFrom = from;
    const cues = await loadStoryboard(answer);
    if (from !== storyboardFrom) return; // a newer answer came meanwhile
    Object.assign(timeline, { cues, growing: Boolean(board && board.grid) });
  }

  // How much of an HLS film can be played: /play's ``playable_text`` on the status line the
  // page renders (#film-playable), updated with every renewal, so the viewer sees the playable
  // part grow and learns when the whole film can be played.
  function showPlayable(answer) {
    const line = $("film-playable");
    if (!line || !answer.playable_text) return;
    if (line.textContent.trim() !== answer.playable_text) line.textContent = answer.playable_text; // announced once
    line.dataset.complete = String(Boolean(answer.complete));
  }

  // The right to watch has ended: stop at once rather than play on from what is buffered.
  function stopWatching() {
    lease.stop();
    root.dataset.state = "revoked";
    position.ready = false; // where the element ends up (0) is not where the viewer was
    playback.stop();
    updatePlayButton();
    page.showError(text.noRight);
  }

  const playButton = $("btn-play");
  const muteButton = $("btn-mute");
  const speed = $("speed");

  function togglePlay() {
    if (video.paused || video.ended) video.play().catch(() => {});
    else video.pause();
  }

  function updatePlayButton() {
    playButton.textContent = video.paused ? text.play : text.pause;
  }

  playButton.addEventListener("click", togglePlay);
  video.addEventListener("click", togglePlay);
  $("btn-back").addEventListener("click", () => page.seek(video.currentTime - 10));
  $("btn-forward").addEventListener("click", () => page.seek(video.currentTime + 10));
  speed.addEventListener("change", () => {
    const rate = parseFloat(speed.value);
    video.defaultPlaybackRate = rate; // survives a reload of the source
    video.playbackRate = rate;
  });
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
    page.seek(0);
    $("resume-note").hidden = true;
    timeline.focus();
  });
  video.addEventListener("play", updatePlayButton);
  video.addEventListener("pause", updatePlayButton);

  installKeyboard(document, {
    composer: Boolean(composer),
    leave: () => timeline.focus(),
    actions: {
      toggle: togglePlay,
      back10: () => page.seek(video.currentTime - 10),
      forward10: () => page.seek(video.currentTime + 10),
      back5: () => page.seek(video.currentTime - 5),
      forward5: () => page.seek(video.currentTime + 5),
      next: () => comments.step(1),
      previous: () => comments.step(-1),
      comment: () => composer.open(),
      markIn: () => composer.setPoint("in"),
      markOut: () => composer.setPoint("out"),
    },
  });

  // Where the film starts: a #t= link, else where the viewer stopped (said on the page), else 0:00.
  function startAt(answer) {
    const hash = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
    if (hash) return clampTime(parseFloat(hash[1]), page.limit());
    const total = cfg.duration || Infinity;
    if (answer.position > 0 && answer.position < total - 2 && !(page.limit() && answer.position > page.limit())) {
      $("resume-text").textContent = fill(text.resumed, { time: timecode(answer.position) });
      $("resume-note").hidden = false;
      return answer.position;
    }
    return 0;
  }

  async function start() {
    comments.load();
    let answer;
    try {
      answer = await lease.fetch(false);
    } catch (error) {
      page.showError(error.message);
      root.dataset.state = "failed";
      return;
    }
    if (answer.poster) video.poster = answer.poster;
    const at = startAt(answer);
    position.saved = answer.position;
    video.addEventListener("loadedmetadata", () => {
      position.ready = true;
      root.dataset.state = "ready";
      timeline.update();
      comments.renderMarkers();
    }, { once: true });
    playback.load(answer, at, false);
    started = true;
    await refreshStoryboard(answer);
  }

  updatePlayButton();
  start();
}

const root = $("player");
if (root) setUp(root);
