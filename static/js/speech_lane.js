// The speech lane under the player's timeline (issue 20): where people talk, the break, "skip
// silence" and "skip the break" (remembered per user), speed up to 2.5x with the pitch kept, and
// the review time left. It talks to the player only through the <video> element and the DOM, so
// it works beside either player.
import { hoursMinutes, quietRanges, rangeAt, remainingSeconds, skipPlan } from "./skip_plan.mjs";

const lane = document.getElementById("speech-lane");
const video = document.getElementById("video");
const SPEEDS = [2.25, 2.5];

if (lane && video) start().catch(() => {});

function csrf() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

async function api(method, path, body) {
  const response = await fetch(`/api/v1${path}`, {
    method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => values[name]);
}

async function start() {
  const text = JSON.parse(document.getElementById("speech-lane-i18n").textContent);
  const recordingId = lane.dataset.recording;
  const supervisor = lane.dataset.supervisor === "true";
  const status = document.getElementById("speech-lane-status");
  const note = document.getElementById("speech-lane-note");
  const tell = (message) => { note.textContent = message || ""; note.hidden = !message; };
  // The speeds (up to 2.5x, pitch kept) and the user's own speed do not wait for the track: a
  // film without sound plays at them too.
  const settings = await api("GET", "/me/review-settings");
  extendSpeeds();
  video.preservesPitch = true;
  if (settings.speed !== 1) {
    applySpeed(settings.speed);
    video.addEventListener("loadedmetadata", () => applySpeed(settings.speed), { once: true });
  }
  video.addEventListener("ratechange", () => {
    video.preservesPitch = true;
    const rate = Math.round(video.playbackRate * 100) / 100;
    if (rate !== settings.speed && rate >= 0.5 && rate <= 2.5) {
      settings.speed = rate;
      save({ speed: rate });
    }
  });

  // Worked out right after the film is processed: asked again every 15 s while the film is
  // processed, and for five minutes after.
  let track = await api("GET", `/recordings/${recordingId}/activity`);
  for (let tries = 0; track.status === "pending" && tries < 20; tries += track.film_ready ? 1 : 0) {
    tell(track.film_ready ? text.pending : text.afterProcessing);
    await new Promise((resolve) => setTimeout(resolve, 15000));
    track = await api("GET", `/recordings/${recordingId}/activity`);
  }
  if (track.status !== "ready") {
    tell(track.status === "unavailable" ? text.noSound : text.lateTrack);
    lane.dataset.state = track.status;
    return;
  }
  tell(null);
  const quiet = quietRanges(track.speech, track.step, track.silence_skip_seconds);
  const silence = document.getElementById("skip-silence");
  const skipBreak = document.getElementById("skip-break");
  const remaining = document.getElementById("review-remaining");
  let brk = track.break;
  let plan = [];
  let exempt = null; // a range the viewer sought into on purpose: not skipped until left

  silence.checked = settings.skip_silence;
  skipBreak.checked = settings.skip_break;
  lane.hidden = false;

  const duration = () => (Number.isFinite(video.duration) && video.duration > 0 ? video.duration : track.duration);

  function replan() {
    plan = skipPlan({ quiet, brk, skipSilence: silence.checked, skipBreak: skipBreak.checked });
    lane.dataset.plan = JSON.stringify(plan);
    showRemaining();
  }

  function showRemaining() {
    const { hours, minutes } = hoursMinutes(remainingSeconds(plan, video.currentTime, duration(), video.playbackRate));
    const time = hours ? fill(text.hoursMinutes, { hours, minutes }) : fill(text.minutes, { minutes });
    remaining.textContent = fill(text.left, { time });
  }

  function draw() {
    const canvas = document.getElementById("speech-lane-canvas");
    const width = Math.max(1, Math.round(canvas.clientWidth * (window.devicePixelRatio || 1)));
    canvas.width = width;
    const context = canvas.getContext("2d");
    context.clearRect(0, 0, width, canvas.height);
    context.fillStyle = "#0f766e";
    const steps = track.speech.length;
    for (let x = 0; x < width; x += 1) {
      const from = Math.floor((x / width) * steps);
      const to = Math.max(from + 1, Math.floor(((x + 1) / width) * steps));
      let talk = 0;
      for (let i = from; i < to; i += 1) talk += track.speech[i] === "1";
      const share = talk / (to - from);
      if (share > 0) {
        const h = Math.max(3, Math.round(canvas.height * (0.35 + 0.65 * share)));
        context.fillRect(x, (canvas.height - h) / 2, 1, h);
      }
    }
    const band = document.getElementById("speech-lane-break");
    band.hidden = !brk;
    if (brk) {
      band.style.left = `${(brk.start / track.duration) * 100}%`;
      band.style.width = `${((brk.end - brk.start) / track.duration) * 100}%`;
    }
    const line = document.getElementById("break-text");
    line.textContent = brk
      ? fill(brk.confirmed ? text.confirmed : text.proposed, { start: clock(brk.start), end: clock(brk.end) })
      : text.noBreak;
    skipBreak.disabled = !brk; // nothing to skip in a film without a break
    const confirm = lane.querySelector('[data-break="confirm"]');
    if (confirm) confirm.hidden = !brk || brk.confirmed;
  }

  async function save(changes) {
    try {
      await api("PUT", "/me/review-settings", changes);
    } catch {
      status.textContent = text.failed;
    }
  }

  function applySpeed(rate) {
    video.preservesPitch = true; // speech stays intelligible at 2.5x
    video.defaultPlaybackRate = rate;
    video.playbackRate = rate;
    const select = document.getElementById("speed");
    if (select) select.value = String(rate);
  }

  function extendSpeeds() {
    const select = document.getElementById("speed");
    if (!select) return;
    const comma = document.documentElement.lang === "sv";
    for (const rate of SPEEDS) {
      if ([...select.options].some((o) => parseFloat(o.value) === rate)) continue;
      const option = document.createElement("option");
      option.value = String(rate);
      option.textContent = `${comma ? String(rate).replace(".", ",") : rate}×`;
      select.append(option);
    }
  }

  async function setBreak(startAt, endAt) {
    try {
      const answer = await api("PUT", `/recordings/${recordingId}/break`, { start: startAt, end: endAt });
      brk = answer.break;
      status.textContent = text.saved;
      draw();
      replan();
    } catch {
      status.textContent = text.failed;
    }
  }

  silence.addEventListener("change", () => { replan(); save({ skip_silence: silence.checked }); });
  skipBreak.addEventListener("change", () => { replan(); save({ skip_break: skipBreak.checked }); });
  video.addEventListener("ratechange", showRemaining);
  video.addEventListener("seeked", () => {
    const range = rangeAt(plan, video.currentTime);
    exempt = video.dataset.skipping === "true" ? null : range;
    video.dataset.skipping = "false";
    showRemaining();
  });
  let shown = 0;
  video.addEventListener("timeupdate", () => {
    const t = video.currentTime;
    const range = rangeAt(plan, t);
    if (exempt && range !== exempt) exempt = null;
    if (range && range !== exempt && !video.paused && !video.seeking) {
      video.dataset.skipping = "true";
      video.currentTime = range[1];
      status.textContent = fill(text.skipped, { start: clock(t), end: clock(range[1]) });
      lane.dispatchEvent(new CustomEvent("speechlane:skip", { detail: { from: t, to: range[1] } }));
    }
    if (Math.abs(t - shown) >= 1) {
      shown = t;
      showRemaining();
    }
  });
  lane.addEventListener("click", (event) => {
    const button = event.target.closest("[data-break]");
    if (!button) return;
    const now = Math.round(video.currentTime * 10) / 10;
    const action = button.dataset.break;
    if (action === "none") setBreak(null, null);
    else if (action === "confirm" && brk) setBreak(brk.start, brk.end);
    else if (action === "start") setBreak(now, brk && brk.end > now + 1 ? brk.end : Math.min(duration(), now + 600));
    else if (action === "end") setBreak(brk && brk.start < now - 1 ? brk.start : Math.max(0, now - 600), now);
  });
  document.getElementById("speech-lane-canvas").addEventListener("click", (event) => {
    const box = event.currentTarget.getBoundingClientRect(); // a click on the lane goes there in the film
    video.currentTime = Math.max(0, Math.min(duration(), ((event.clientX - box.left) / box.width) * duration()));
  });
  if (!supervisor) document.getElementById("break-editor")?.remove();
  window.addEventListener("resize", draw);
  draw();
  replan();
  lane.dataset.state = "ready";
}
