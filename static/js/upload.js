// Upload page: Uppy's Dashboard and AwsS3 multipart plugin, talking to /api/v1.
//
// Bytes go straight from the browser to storage through part URLs the server signs. Before
// the upload starts, every file is registered with the server (in the chosen order); the
// answer's upload id is put into the file's s3Multipart state, so Uppy always takes its
// "restore" path: it lists the parts storage already has and sends only the missing ones.
// That one path covers a fresh file, pause/resume, a network drop and a reload where the
// same file is chosen again.
(function () {
  "use strict";

  const root = document.getElementById("uploader");
  if (!root) return;
  const cfg = root.dataset;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const MiB = 1024 * 1024;
  const minPart = parseInt(cfg.minPartSize, 10) || 16 * MiB;
  const text = JSON.parse(document.getElementById("upload-text").textContent);
  const partSizes = new WeakMap(); // File/Blob -> part size the server chose
  const restartBox = document.getElementById("upload-restart");
  let busy = false;
  const restarted = new Set(); // upload ids "Start over" aborted on the server

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error && body.error.message) || text.network);
      this.status = status;
      this.code = body && body.error && body.error.code;
    }
  }

  async function api(method, path, body, signal) {
    const response = await fetch(cfg.apiBase + path, {
      method,
      signal,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (_e) { data = null; }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  // The same rule as portal.services.storage.part_size_for: whole MiB, at most 10 000 parts.
  function partSizeFor(size) {
    return Math.max(minPart, Math.ceil(size / 10000 / MiB) * MiB);
  }

  function naturalKey(name) {
    return name.toLowerCase().replace(/\d+/g, (n) => n.padStart(12, "0"));
  }

  const locale = (document.documentElement.lang === "sv" && window.Uppy.locales && window.Uppy.locales.sv_SE) || undefined;
  const uppy = new window.Uppy.Uppy({
    id: "session-upload",
    autoProceed: false,
    locale,
    restrictions: {
      maxFileSize: parseInt(cfg.maxFileBytes, 10),
      maxNumberOfFiles: parseInt(cfg.maxFiles, 10),
      allowedFileTypes: ["video/*", ".mts", ".m2ts", ".mod", ".tod", ".mpg", ".mpeg", ".vob", ".mkv", ".avi", ".mov", ".mp4"],
    },
  });

  uppy.use(window.Uppy.Dashboard, {
    target: "#uploader",
    inline: true,
    width: "100%",
    height: 420,
    proudlyDisplayPoweredByUppy: false,
    showProgressDetails: true, // speed and time left
    hideCancelButton: false,
    doneButtonHandler: null, // no "Klart" button beside the status bar's "Klart": the status box says what comes next
    note: text.note,
    metaFields: [{ id: "position", name: text.positionLabel, placeholder: "1" }],
  });

  uppy.use(window.Uppy.AwsS3, {
    shouldUseMultipart: true,
    limit: 4,
    retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
    getChunkSize: (data) => partSizes.get(data) || partSizeFor(data.size),
    async createMultipartUpload(file) {
      const started = await register(file, 1, 1);
      return { uploadId: started.upload_id, key: started.upload_id };
    },
    async listParts(file, { uploadId, signal }) {
      const state = await api("GET", `/uploads/${uploadId}`, undefined, signal);
      return state.parts.map((p) => ({ PartNumber: p.number, Size: p.size, ETag: p.etag }));
    },
    async signPart(file, { uploadId, partNumber, signal }) {
      const signed = await api("POST", `/uploads/${uploadId}/part-urls`, { part_numbers: [partNumber] }, signal);
      return { url: signed.urls[String(partNumber)], method: "PUT" };
    },
    async completeMultipartUpload(file, { uploadId, parts, signal }) {
      const done = await api("POST", `/uploads/${uploadId}/complete`, {
        parts: parts.map((p) => ({ number: p.PartNumber, etag: p.ETag })),
      }, signal);
      if (done.recording_uploaded) {
        restartBox.hidden = true;
        // upload_status.js follows the film from here (queue, processing, ready)
        document.dispatchEvent(new CustomEvent("film:uploaded", { detail: { recordingId: done.recording_id } }));
      }
      return {};
    },
    async abortMultipartUpload(file, { uploadId }) {
      if (restarted.has(uploadId)) return; // "Start over" aborted it on the server
      await api("DELETE", `/uploads/${uploadId}`);
    },
  });

  // Files keep the order people expect from camera names (00001.MTS, 00002.MTS...);
  // the "order" field in each file's details changes it.
  uppy.on("file-added", () => renumber());
  uppy.on("file-removed", () => renumber());
  uppy.on("dashboard:file-edit-complete", (file) => {
    if (file) uppy.setFileMeta(file.id, { positionTouched: true });
  });

  function ordered() {
    return uppy.getFiles().slice().sort((a, b) => {
      const pa = parseInt(a.meta.position, 10) || 0;
      const pb = parseInt(b.meta.position, 10) || 0;
      return pa - pb || naturalKey(a.name).localeCompare(naturalKey(b.name));
    });
  }

  function renumber() {
    const files = uppy.getFiles().slice().sort((a, b) => naturalKey(a.name).localeCompare(naturalKey(b.name)));
    files.forEach((file, index) => {
      if (!file.meta.positionTouched) uppy.setFileMeta(file.id, { position: String(index + 1) });
    });
  }

  async function register(file, position, count) {
    const started = await api("POST", `/sessions/${cfg.sessionId}/uploads`, {
      filename: file.name,
      size: file.size,
      content_type: file.type || "application/octet-stream",
      position,
      file_count: count,
      last_modified: file.data.lastModified || null,
    });
    partSizes.set(file.data, started.part_size);
    return started;
  }

  // Register every file in order before any byte moves; a refusal (consent not confirmed,
  // too large, already uploaded) stops the upload with the server's own words.
  uppy.addPreProcessor(async (fileIDs) => {
    const files = ordered().filter((f) => fileIDs.includes(f.id));
    for (let i = 0; i < files.length; i += 1) {
      const file = files[i];
      if (file.s3Multipart && file.s3Multipart.uploadId) continue;
      try {
        const started = await register(file, i + 1, files.length);
        uppy.setFileState(file.id, { s3Multipart: { uploadId: started.upload_id, key: started.upload_id } });
        restartBox.hidden = false;
        if (started.resumed) uppy.info(text.resuming.replace("%(name)s", file.name), "info", 4000);
      } catch (error) {
        showError(error.message);
        uppy.emit("upload-error", uppy.getFile(file.id), error);
        throw error;
      }
    }
  });

  uppy.on("upload", () => { busy = true; hideError(); });
  uppy.on("complete", (result) => {
    busy = false;
    if (result.failed && result.failed.length) showError(text.someFailed);
  });
  uppy.on("upload-error", (_file, error) => { if (error && error.message) showError(error.message); });

  // Screen readers hear the upload's progress in steps of 10 %, not every byte (live region).
  const progressText = document.getElementById("upload-progress-text");
  let lastSaid = -1;
  uppy.on("progress", (percent) => {
    const step = Math.floor(percent / 10) * 10;
    if (!progressText || step === lastSaid) return;
    lastSaid = step;
    progressText.textContent = text.progress.replace("%(percent)s", String(step));
  });

  // "Start over": whatever state the upload is in, the server aborts every file's multipart
  // upload and drops what was stored; the files still chosen here are sent again from byte 0.
  document.getElementById("upload-restart-button").addEventListener("click", async (event) => {
    if (!window.confirm(text.restartConfirm)) return;
    const button = event.currentTarget;
    button.disabled = true;
    const files = ordered().map((f) => ({
      name: f.name, type: f.type, data: f.data,
      meta: { position: f.meta.position, positionTouched: f.meta.positionTouched },
    }));
    uppy.getFiles().forEach((f) => { if (f.s3Multipart && f.s3Multipart.uploadId) restarted.add(f.s3Multipart.uploadId); });
    try {
      uppy.cancelAll();
      await api("POST", `/sessions/${cfg.sessionId}/uploads/restart`, {});
    } catch (error) {
      showError(error.message);
      return;
    } finally {
      busy = false;
      button.disabled = false;
    }
    hideError();
    restartBox.hidden = true;
    files.forEach((file) => uppy.addFile(file));
    if (files.length) uppy.upload();
    else showInfo(text.restarted);
  });

  window.addEventListener("beforeunload", (event) => {
    if (!busy) return undefined;
    event.preventDefault();
    event.returnValue = text.leaveWarning; // browsers show their own wording
    return text.leaveWarning;
  });

  function showError(message) {
    const box = document.getElementById("upload-error");
    box.textContent = message;
    box.hidden = false;
  }

  function hideError() {
    document.getElementById("upload-error").hidden = true;
    document.getElementById("upload-info").hidden = true;
  }

  function showInfo(message) {
    const box = document.getElementById("upload-info");
    box.textContent = message;
    box.hidden = false;
  }

  window.filmportalenUppy = uppy; // for tests and debugging
})();
