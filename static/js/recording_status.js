// Follows a recording's processing on the upload page: status text and progress bar, polled
// from /api/v1/recordings/<id> until it is ready or needs a person.
(function () {
  "use strict";

  const script = document.currentScript;
  const id = script && script.dataset.recordingId;
  const box = document.getElementById("recording-status");
  if (!id || !box) return;
  const label = document.getElementById("recording-status-text");
  const bar = document.getElementById("recording-progress");
  const left = document.getElementById("recording-time-left");
  const reason = document.getElementById("recording-reason");
  const done = ["ready", "failed", "rejected", "deleted"];
  const initial = box.dataset.status;

  async function poll() {
    try {
      const response = await fetch(`/api/v1/recordings/${id}`, { credentials: "same-origin" });
      if (response.ok) {
        const rec = await response.json();
        label.textContent = rec.status_text;
        bar.value = Math.round((rec.progress || 0) * 100);
        box.dataset.status = rec.status;
        if (left) left.textContent = rec.time_left_text || "";
        if (reason) {
          reason.textContent = rec.reason_text || "";
          reason.hidden = !rec.reason_text;
        }
        if (done.includes(rec.status)) {
          // the page shows the next step (watch, or what to do) once reloaded
          if (rec.status === "ready" && initial !== "ready") window.location.reload();
          return;
        }
      }
    } catch (_e) {
      // offline for a moment: try again
    }
    setTimeout(poll, 3000);
  }

  setTimeout(poll, 1000);
})();
