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
  const done = ["ready", "failed", "rejected", "deleted"];

  async function poll() {
    try {
      const response = await fetch(`/api/v1/recordings/${id}`, { credentials: "same-origin" });
      if (response.ok) {
        const rec = await response.json();
        label.textContent = rec.status_text;
        bar.value = Math.round((rec.progress || 0) * 100);
        box.dataset.status = rec.status;
        if (done.includes(rec.status)) return;
      }
    } catch (_e) {
      // offline for a moment: try again
    }
    setTimeout(poll, 3000);
  }

  setTimeout(poll, 1000);
})();
