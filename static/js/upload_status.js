// Follows a session's film on the upload page without a reload: waiting (with the films ahead in
// the queue and when it will be ready), processing (progress bar and time left, and "Watch the
// beginning" once its first minutes can be played), then "ready" with a link to the film, or the
// reason and a way to upload again; a film without sound, or without a voice, says so. Polls the access-checked
// /api/v1/recordings/<id>. The upload itself (upload.js) hands over with the "film:uploaded" event.
(function () {
  "use strict";

  const box = document.getElementById("recording-status");
  if (!box) return;
  const el = (id) => document.getElementById(id);
  const label = el("recording-status-text");
  const queue = el("recording-queue");
  const bar = el("recording-progress");
  const left = el("recording-time-left");
  const reason = el("recording-reason");
  const watch = el("recording-watch");
  const playable = el("recording-playable");
  const sound = el("recording-sound");
  const AFTER_READY = 40; // polls (2 minutes) after "ready" for the sound check, which follows it
  let afterReady = 0;
  const textNode = el("status-text");
  const text = textNode ? JSON.parse(textNode.textContent) : {};
  const FINAL = ["ready", "failed", "rejected", "deleted"];
  let following = null;

  function show(node, value) {
    if (!node) return;
    node.textContent = value || "";
    node.hidden = !value;
  }

  function render(rec) {
    box.hidden = false;
    box.dataset.status = rec.status;
    label.textContent = rec.status_text;
    const live = rec.status === "uploaded" || rec.status === "processing";
    const waiting = rec.status === "uploaded" && rec.queue;
    show(queue, waiting ? [rec.queue.text, rec.queue.ready_in_text].filter(Boolean).join(" · ") : "");
    if (bar) {
      bar.hidden = rec.status !== "processing";
      bar.value = Math.round((rec.progress || 0) * 100);
    }
    const timeLeft = rec.status === "processing" ? (rec.time_left_text || (rec.queue && rec.queue.ready_in_text)) : "";
    show(left, timeLeft);
    const failed = rec.status === "failed" || rec.status === "rejected";
    show(reason, failed ? rec.reason_text : "");
    show(sound, rec.status === "rejected" ? "" : rec.sound_warning);
    // An HLS film can be watched from its first minutes on, while the rest is processed: the
    // leader checks that the right film was uploaded.
    show(playable, rec.watch_url && !rec.complete ? rec.playable_text : "");
    if (watch) {
      const link = watch.querySelector("a");
      if (rec.watch_url) {
        link.href = rec.watch_url;
        link.textContent = (rec.complete ? text.watch : text.watchStart) || link.textContent;
        watch.hidden = false;
      } else if (failed && rec.upload_url) {
        link.href = rec.upload_url; // the page then offers the upload again
        link.textContent = text.uploadAgain || link.textContent;
        watch.hidden = false;
      } else {
        watch.hidden = true;
      }
    }
    if (rec.status === "ready" && !rec.sound_checked && afterReady < AFTER_READY) {
      afterReady += 1;
      return false; // the speech lane, and so a film without a voice, is known a little later
    }
    return !live && FINAL.includes(rec.status);
  }

  function follow(recordingId) {
    if (following === String(recordingId)) return;
    following = String(recordingId);
    box.dataset.recordingId = following;
    const poll = async () => {
      let done = false;
      try {
        const response = await fetch(`/api/v1/recordings/${recordingId}`, {
          credentials: "same-origin", headers: { Accept: "application/json" },
        });
        if (response.ok) done = render(await response.json());
      } catch (_e) {
        // offline for a moment: try again
      }
      if (!done) setTimeout(poll, 3000);
    };
    poll();
  }

  document.addEventListener("film:uploaded", (event) => follow(event.detail.recordingId));
  if (box.dataset.recordingId && ["uploaded", "processing"].includes(box.dataset.status)) {
    follow(box.dataset.recordingId);
  }
})();
