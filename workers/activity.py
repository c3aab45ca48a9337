"""The audio activity track of a playable film (light queue, issue 20): where people talk.

One ffmpeg process decodes the film's audio to 16 kHz mono s16le and measures its loudness per
0.5 s (``astats``); the PCM is streamed through WebRTC's voice-activity detector (its model is
compiled into the ``webrtcvad`` package: nothing is downloaded) in 30 ms frames, and each 0.5 s
step is speech when enough of its frames are. From that track come the quiet stretches longer
than ``SILENCE_SKIP_SECONDS`` and the proposed break: the longest stretch of low activity of
``BREAK_MIN_SECONDS``..``BREAK_MAX_SECONDS`` in the middle of the session.

The track is stored as ``activity.json`` under the recording's output prefix (so it goes with the
film), and a summary with the proposed break on ``Recording.activity``; a supervisor confirms or
moves the break through ``portal.services.activity``.
"""

import json
import logging
import math
import os
import subprocess
import tempfile
import time

import webrtcvad
from flask import current_app

from portal.extensions import db
from portal.models.recordings import READY, SOURCE_UPLOADED, Recording
from portal.services.storage import LocalStorage, get_storage
from workers.processing import job_label
from workers.queues import LIGHT, enqueue

log = logging.getLogger(__name__)
recordings = Recording.__table__

STEP = 0.5  # seconds per value of the track
RATE = 16000  # samples per second the detector reads
FRAME = 480  # samples per detector frame: 30 ms
FRAME_BYTES = FRAME * 2
SPEECH_SHARE = 0.2  # a step is speech when at least this share of its frames is
VAD_MODE = 2  # 0 (lenient) .. 3 (strict): 2 keeps quiet speakers in a noisy room
SILENT_DB = -91  # loudness of digital silence (astats says -inf)
FILE_NAME = "activity.json"
VERSION = 1


# -- analysis -----------------------------------------------------------------------------------------

def ffmpeg_command(inputs, loudness_file):
    """The one ffmpeg run: every input's first audio stream joined in order, 16 kHz mono s16le
    on stdout, the RMS level of each 0.5 s block printed to ``loudness_file``."""
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error"]
    for source in inputs:
        command += ["-i", source]
    joined = "".join(f"[{i}:a:0]" for i in range(len(inputs)))
    head = f"{joined}concat=n={len(inputs)}:v=0:a=1," if len(inputs) > 1 else f"{joined}"
    chain = (f"{head}aresample={RATE},aformat=sample_fmts=s16:channel_layouts=mono,"
             f"asetnsamples=n={int(RATE * STEP)}:p=0,"
             "astats=metadata=1:reset=1:measure_perchannel=none:measure_overall=RMS_level,"
             f"ametadata=mode=print:key=lavfi.astats.Overall.RMS_level:file={_filter_path(loudness_file)}"
             "[out]")
    return [*command, "-filter_complex", chain, "-map", "[out]", "-f", "s16le", "-"]


def _filter_path(path):
    """``path`` escaped for a filter graph option."""
    return path.replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'").replace(",", "\\,")


def parse_loudness(text):
    """The dB values of ametadata's print output, in order (silence as ``SILENT_DB``)."""
    values = []
    for line in text.splitlines():
        if line.startswith("lavfi.astats.Overall.RMS_level="):
            raw = line.split("=", 1)[1]
            try:
                value = float(raw)
            except ValueError:
                value = SILENT_DB
            # digital silence prints -inf, and a block astats cannot measure inf or nan
            values.append(max(SILENT_DB, round(value)) if math.isfinite(value) else SILENT_DB)
    return values


def detect_speech(stream, mode=VAD_MODE):
    """Read s16le 16 kHz mono PCM from ``stream`` and return one '1' (speech) or '0' per 0.5 s."""
    vad = webrtcvad.Vad(mode)
    per_step = STEP * RATE / FRAME  # frames per step (16.67)
    steps = []  # (voiced frames, frames) per step
    count = voiced = 0
    index = 0
    pending = b""
    while True:
        block = stream.read(FRAME_BYTES * 512)
        if not block:
            break
        data = pending + block
        usable = len(data) - len(data) % FRAME_BYTES
        view = memoryview(data)
        for offset in range(0, usable, FRAME_BYTES):
            step = int((index + 0.5) / per_step)  # the step holding the frame's middle
            while len(steps) < step:  # the previous step is complete
                steps.append((voiced, count))
                voiced = count = 0
            count += 1
            voiced += vad.is_speech(view[offset:offset + FRAME_BYTES], RATE)
            index += 1
        pending = data[usable:]
    if count:
        steps.append((voiced, count))
    return "".join("1" if count and voiced / count >= SPEECH_SHARE else "0" for voiced, count in steps)


def analyse(inputs, timeout=None):
    """The activity track of the audio in ``inputs`` (paths or URLs, in timeline order): a dict
    with ``step``, ``duration``, ``speech`` (a '0'/'1' string) and ``loudness`` (dB per step).

    :raise RuntimeError: when ffmpeg fails (no audio, unreadable input) or runs past ``timeout``.
    """
    with tempfile.TemporaryDirectory(prefix="activity-") as folder:
        loudness_file = os.path.join(folder, "loudness.txt")
        process = subprocess.Popen(ffmpeg_command(inputs, loudness_file), stdout=subprocess.PIPE,  # noqa: S603
                                   stderr=subprocess.PIPE)
        started = time.monotonic()
        try:
            speech = detect_speech(process.stdout)
            _, errors = process.communicate(timeout=max(1, (timeout or 3600) - (time.monotonic() - started)))
        except BaseException:
            process.kill()
            process.wait()
            raise
        if process.returncode != 0:
            raise RuntimeError(f"ffmpeg could not read the audio: {errors.decode(errors='replace')[-500:]}")
        with open(loudness_file, encoding="utf-8") as handle:
            loudness = parse_loudness(handle.read())
    steps = min(len(speech), len(loudness)) if loudness else len(speech)
    return {"version": VERSION, "step": STEP, "duration": round(len(speech) * STEP, 1),
            "speech": speech[:steps], "loudness": loudness[:steps]}


# -- what the track says ------------------------------------------------------------------------------

def runs(flags, value, step=STEP):
    """``(start, end)`` seconds of every run of ``value`` in ``flags`` (a sequence of bools)."""
    found, start = [], None
    for index, flag in enumerate([*flags, not value]):
        if flag == value and start is None:
            start = index
        elif flag != value and start is not None:
            found.append((round(start * step, 2), round(index * step, 2)))
            start = None
    return found


def quiet_ranges(speech, min_seconds, step=STEP):
    """The stretches without speech that last at least ``min_seconds``."""
    return [r for r in runs([c == "1" for c in speech], False, step) if r[1] - r[0] >= min_seconds]


def find_break(speech, min_seconds, max_seconds, step=STEP, middle=(0.1, 0.9), max_share=0.15):
    """The proposed break ``(start, end)`` or None: the longest stretch of low activity (at most
    ``max_share`` speech over a sliding window, so a few words over coffee do not split it) that
    lasts ``min_seconds``..``max_seconds`` and lies within the ``middle`` fractions of the session.
    Its edges are moved to where speech stops and starts again."""
    flags = [c == "1" for c in speech]
    total = len(flags)
    if not total:
        return None
    window = max(1, min(int(60 / step), int(min_seconds / 4 / step)))  # up to a minute, in steps
    prefix = [0]
    for flag in flags:
        prefix.append(prefix[-1] + flag)
    half = window // 2
    low = []
    for index in range(total):
        lo, hi = max(0, index - half), min(total, index + half + 1)
        low.append((prefix[hi] - prefix[lo]) / (hi - lo) <= max_share)
    best = None
    for start, end in runs(low, True, 1):
        start, end = int(start), int(end)
        while start > 0 and not flags[start - 1]:  # widen to the last word before the break
            start -= 1
        while end < total and not flags[end]:  # and to the first word after it
            end += 1
        while start < end and flags[start]:  # a stretch starts and ends without speech
            start += 1
        while end > start and flags[end - 1]:
            end -= 1
        seconds = (end - start) * step
        inside = start >= middle[0] * total and end <= middle[1] * total
        if min_seconds <= seconds <= max_seconds and inside and (best is None or seconds > best[1] - best[0]):
            best = (round(start * step, 2), round(end * step, 2))
    return best


def summary(track, silence_seconds, break_min, break_max, key):
    """What the recording keeps about its track: where it is, how much is speech, the proposed break."""
    proposed = find_break(track["speech"], break_min, break_max, track["step"])
    return {"key": key, "version": track["version"], "duration": track["duration"],
            "speech_seconds": track["speech"].count("1") * track["step"],
            "quiet_count": len(quiet_ranges(track["speech"], silence_seconds, track["step"])),
            "proposed_break": list(proposed) if proposed else None, "break": None}


# -- the job ------------------------------------------------------------------------------------------

def enqueue_analysis(recording_id):
    """Queue the activity track of a film that just became playable. Best effort: a film without
    its track still plays, without the speech lane."""
    try:
        enqueue(analyse_recording, recording_id, queue=LIGHT, timeout=1800, retries=2,
                job_id=f"activity-{recording_id}")
    except Exception:  # noqa: BLE001 - publishing must not fail because Redis hiccupped
        log.warning("recording %s: its activity track could not be queued", recording_id, exc_info=True)


def _inputs(recording, storage, workdir):
    """Where ffmpeg reads the film's audio: an HLS film's published audio track (one fragmented
    MP4 per part, written to ``workdir``), a legacy film's MP4, else the original files in order."""
    if recording.output_kind == "hls" and recording.output_prefix:
        return _hls_audio_files(recording, workdir)
    if recording.output_kind == "mp4" and recording.output_prefix:
        keys = [f"{recording.output_prefix}/video.mp4"]
    else:
        keys = [s.storage_key for s in recording.sources if s.status == SOURCE_UPLOADED]
    if isinstance(storage, LocalStorage):
        return [str(storage.path(key)) for key in keys]
    return [storage.worker_url(key, 6 * 3600) for key in keys]  # ffmpeg streams it: no copy on disk


def _hls_audio_files(recording, workdir):
    """The published audio segments of an HLS film, one fragmented MP4 per part in timeline order
    (the analysis counts samples, so the parts' places on the timeline need no care here)."""
    from portal.models.media import AUDIO, FilmSegment
    from portal.services.hls import run_of
    from workers.publishing import fragment_file

    rows = db.session.scalars(db.select(FilmSegment).where(
        FilmSegment.recording_id == recording.id, FilmSegment.run == run_of(recording), FilmSegment.track == AUDIO)
        .order_by(FilmSegment.part, FilmSegment.idx)).all()
    by_part = {}
    for row in rows:
        by_part.setdefault(row.part, []).append(row)
    files = []
    for number, part_rows in sorted(by_part.items()):
        path = os.path.join(workdir, f"audio-{number:04d}.mp4")
        fragment_file(recording.output_prefix, part_rows, path)
        files.append(path)
    return files


def _record_error(recording_id, prefix, error, label):
    """Note on the film why it has no speech lane (a film without sound, an unreadable file), so the
    player stops waiting for it and the backfill leaves it alone."""
    log.warning("job %s: no activity track for recording %s: %s", label, recording_id, error)
    with db.engine.begin() as conn:
        conn.execute(recordings.update().where(recordings.c.id == recording_id, recordings.c.output_prefix == prefix)
                     .values(activity={"key": None, "error": str(error)[-300:]}))


def backfill(limit=20):
    """Queue the activity track of ready films that have none (published before issue 20, or whose
    job was lost with Redis); run hourly by the workers' maintenance thread. Returns how many."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    from workers.queues import redis_connection

    ids = db.session.scalars(db.select(Recording.id).where(Recording.status == READY, Recording.activity.is_(None),
                                                           Recording.output_prefix.is_not(None))
                             .order_by(Recording.ready_at.desc()).limit(limit)).all()
    queued = 0
    for recording_id in ids:
        try:
            status = Job.fetch(f"activity-{recording_id}", connection=redis_connection()).get_status()
        except NoSuchJobError:
            status = None
        if status not in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
            enqueue_analysis(recording_id)
            queued += 1
    return queued


def analyse_recording(recording_id):
    """Compute and store the activity track of a ready film (light queue).

    Returns "done", "skipped" (not a ready film, or changed meanwhile) or "no_audio".
    :raise RuntimeError: when ffmpeg cannot read the film (recorded on the film first)."""
    app = current_app._get_current_object()
    label = job_label()
    recording = db.session.get(Recording, recording_id)
    if recording is None or recording.status != READY or not recording.output_prefix:
        log.info("job %s: recording %s is not a ready film; no activity track", label, recording_id)
        return "skipped"
    storage = get_storage()
    prefix = recording.output_prefix
    if recording.originals_deleted_at and recording.output_kind not in ("mp4", "hls"):
        log.info("job %s: recording %s has no audio to read", label, recording_id)
        return "skipped"
    settings = (app.config["SILENCE_SKIP_SECONDS"], app.config["BREAK_MIN_SECONDS"], app.config["BREAK_MAX_SECONDS"])
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"activity-{recording_id}-",
                                     dir=app.config.get("WORKER_TMP_DIR")) as workdir:
        inputs = _inputs(recording, storage, workdir)
        db.session.remove()  # never hold a database session across ffmpeg
        if not inputs:
            _record_error(recording_id, prefix, "the film has no sound", label)
            return "no_audio"
        try:
            track = analyse(inputs, timeout=1700)
        except Exception as error:
            _record_error(recording_id, prefix, error, label)
            if "matches no streams" in str(error):  # a film without sound: nothing to retry
                return "no_audio"
            raise  # so RQ retries it (or records the failure)
    key = f"{prefix}/{FILE_NAME}"
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(track, handle, separators=(",", ":"))
    try:
        storage.upload_from(handle.name, key, "application/json")
    finally:
        os.unlink(handle.name)
    with db.engine.begin() as conn:  # only while this output is still the published one
        stored = conn.execute(recordings.update().where(
            recordings.c.id == recording_id, recordings.c.status == READY, recordings.c.output_prefix == prefix)
            .values(activity=summary(track, *settings, key))).rowcount == 1
    if not stored:  # deleted or replaced meanwhile: the file belongs to nobody
        storage.delete_prefix(prefix)
        log.info("job %s: recording %s changed while its activity was computed", label, recording_id)
        return "skipped"
    seconds = time.monotonic() - started
    log.info("job %s: recording %s activity track in %.1f s (%.0fx realtime)", label, recording_id, seconds,
             track["duration"] / max(seconds, 0.001))
    return "done"
