"""RQ jobs that take a recording from ``uploaded`` to ``ready`` (or ``rejected``/``failed``).

The database is the source of truth. A run first *claims* the recording with one guarded
transition (``portal.services.recording_state``), so a duplicate job (complete sent twice, a
re-enqueue after a Redis flush) finds nothing to do. The claim writes the run's output prefix and
``output_kind = "hls"``: the film is served from the segments published so far while the run
goes on (``workers.publishing``). While it works the run beats a heartbeat; the reconciler
re-enqueues recordings whose heartbeat stopped (a worker killed with ``kill -9``, Redis flushed).

A film that can be copied (or needs its sound fixed) is segmented here, file by file, each
segment published as ffmpeg writes it; a film that must be encoded is planned here and encoded
in chunk jobs (``workers.chunks``), the last of which makes it ``ready``.
"""

import errno
import logging
import os
import secrets
import shutil
import tempfile
import threading
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from rq import get_current_job

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.media import AUDIO, CHUNK_WAITING, CHUNK_WORKING, VIDEO, FilmPart
from portal.models.recordings import (
    FAILED,
    PROCESSING,
    REJECTED,
    SOURCE_UPLOADED,
    UPLOADED,
    Recording,
)
from portal.services import audit
from portal.services import recordings as recording_service
from portal.services.recording_state import part_transition, transition
from portal.services.storage import get_storage
from workers import originals, publishing
from workers.media import segmenting
from workers.media.ffmpeg import FFmpegFailed
from workers.media.pipeline import check_length, inspect, job_timeout, limits_from
from workers.media.probe import AUDIO as AUDIO_PATH
from workers.media.probe import COPY, MediaInfo, MediaRejected, plan_for
from workers.publishing import PartWriter, Superseded

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4  # the first run and three retries
LOW_SPACE_BYTES = 1024 * 1024  # less free space than this after ffmpeg failed: the disk filled up
DOWNLOAD_BYTES_PER_SECOND = 20 * 10**6  # a slow store: what the copy path's timeout allows for reading
recordings = Recording.__table__
__all__ = ["Superseded"]


def stale_after():
    """How old a heartbeat may get before the run is taken as lost."""
    return timedelta(seconds=current_app.config["PROCESSING_STALE_SECONDS"])


def heartbeat_seconds():
    """Beat well inside the staleness limit."""
    return max(1.0, min(15.0, current_app.config["PROCESSING_STALE_SECONDS"] / 4))


def job_label():
    job = get_current_job()
    return job.id if job else "inline"


def claim(recording_id, token, prefix, now=None):
    """Take the recording for this run and point its output at ``prefix`` (HLS, nothing
    playable yet); True when this run may work on it. A run planned into chunk jobs is never
    taken over here: the reconciler watches its parts."""
    now = now or utcnow()
    stale = now - stale_after()
    values = dict(job_token=token, heartbeat_at=now, processing_started_at=now, progress=0.0,
                  attempts=recordings.c.attempts + 1, reason_code=None, reason_detail=None,
                  output_kind="hls", output_prefix=prefix, playable_seconds=0.0, planned_at=None)
    won = transition(recording_id, PROCESSING, expect=UPLOADED, **values) or transition(
        recording_id, PROCESSING, expect=PROCESSING, **values,
        where=[recordings.c.planned_at.is_(None),
               sa.or_(recordings.c.heartbeat_at.is_(None), recordings.c.heartbeat_at < stale)])
    db.session.commit()
    return won


def update_own(recording_id, token, **values):
    """Write ``values`` while this run holds the claim. :raise Superseded: when it does not."""
    with db.engine.begin() as conn:
        won = transition(recording_id, PROCESSING, expect=PROCESSING, token=token, conn=conn, **values)
    if not won:
        raise Superseded(f"recording {recording_id} is no longer held by this run")


class Heartbeat:
    """Beats every few seconds in a thread while the run downloads, encodes and uploads."""

    def __init__(self, app, recording_id, token, beat=None):
        self.app, self.recording_id, self.token = app, recording_id, token
        self.beat = beat or (lambda: update_own(recording_id, token, heartbeat_at=utcnow()))
        with app.app_context():
            self.every = heartbeat_seconds()
        self.stop = threading.Event()
        self.lost = False
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self):
        while not self.stop.wait(self.every):
            with self.app.app_context():
                try:
                    self.beat()
                except Superseded:
                    self.lost = True
                    return
                except Exception:  # noqa: BLE001 - a missed beat is retried on the next one
                    log.warning("heartbeat of recording %s failed", self.recording_id, exc_info=True)
                finally:
                    db.session.remove()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)


def process_recording(recording_id):
    """Probe and publish one recording as HLS: copied here, or planned into chunk jobs (FIRST queue:
    a new film's run goes before the tails of films that already play)."""
    app = current_app._get_current_object()
    label = job_label()
    token = secrets.token_hex(8)
    recording = db.session.get(Recording, recording_id)
    if recording is None:
        return "skipped"
    previous, prefix = recording.output_prefix, publishing.run_prefix(recording, token)
    db.session.commit()
    if not claim(recording_id, token, prefix):
        log.info("job %s: recording %s is not waiting for processing; nothing to do", label, recording_id)
        return "skipped"
    recording = db.session.get(Recording, recording_id, populate_existing=True)
    sources = [(s.id, s.storage_key, s.size) for s in recording.sources if s.status == SOURCE_UPLOADED]
    limits = limits_from(app.config)
    checked = _checked_infos(recording.media_info, len(sources))
    publishing.forget_other_runs(recording, token, previous)
    db.session.remove()  # never hold a database session across long work
    log.info("job %s: processing recording %s (%d files)", label, recording_id, len(sources))
    workdir = tempfile.mkdtemp(prefix=f"rec-{recording_id}-", dir=app.config.get("WORKER_TMP_DIR"))
    try:
        with Heartbeat(app, recording_id, token):  # beating until ready: the poster comes first
            checksums = _work(app, recording_id, token, prefix, sources, checked, workdir, limits, label)
            if checksums is None:
                return "planned"
            if not publishing.finish_run(recording_id, token, label, checksums):
                raise Superseded(f"recording {recording_id} changed before it was published")
        originals.drop_copies(app.config, get_storage(), sources)
        return "ready"
    except MediaRejected as rejection:
        _finish(recording_id, token, REJECTED, rejection.code, rejection.detail, label)
        originals.drop_copies(app.config, get_storage(), sources)
        discard_originals(recording_id, label)
        return "rejected"
    except Superseded:
        log.info("job %s: recording %s was taken over; leaving it", label, recording_id)
        db.session.rollback()
        get_storage().delete_prefix(prefix)
        return "superseded"
    except Exception as error:
        _record_failure(recording_id, token, error, label, workdir)
        raise  # so RQ retries it (or records the failure)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _checked_infos(media_info, count):
    """The files' descriptions the quick check stored, or None (an older upload, files changed)."""
    checked = (media_info or {}).get("checked")
    if not checked or len(checked) != count:
        return None
    try:
        return [MediaInfo(**info) for info in checked]
    except TypeError:
        return None


def _work(app, recording_id, token, prefix, sources, checked, workdir, limits, label):
    """Describe, then copy (publishing as it goes) or plan the encode. Returns the checksums of
    the originals, or None when the work goes on in chunk jobs."""
    storage, files = get_storage(), None
    cache = originals.host_cache(app.config, storage)  # the chunk jobs of this host read the same copy
    if checked is not None:
        infos = checked
        check_length(infos, limits)
        path, reasons = plan_for(infos)
    else:
        files = originals.fetch(storage, sources, workdir, cache=cache)
        infos, path, reasons = inspect([files[s[0]].path for s in sources], limits)
    total = sum(info.duration for info in infos)
    update_own(recording_id, token, duration=total, media_info={
        "path": path, "reasons": reasons, "duration": total, "sources": [info.to_json() for info in infos],
        "storyboard": []})
    if path == COPY:
        return _copy(recording_id, token, prefix, storage, sources, files, infos, workdir, cache)
    files = files or originals.fetch(storage, sources, workdir, cache=cache)
    paths = [files[source_id].path for source_id, _key, _size in sources]
    checksums = {source_id: files[source_id].sha256() for source_id, _key, _size in sources}
    if path == AUDIO_PATH:
        _copy_video_fix_sound(recording_id, token, prefix, paths, infos, workdir)
        return checksums
    from workers.chunks import plan

    plan(app, recording_id, token, prefix, paths, infos, checksums, label)
    return None


def copy_parts(recording_id, run, infos, path):
    """The parts of a copied film: each file's video, and each file's sound (or, when the sound
    must be encoded, one part with the whole session's sound)."""
    rows, offset = [], 0.0
    for index, info in enumerate(infos):
        rows.append(FilmPart(recording_id=recording_id, run=run, track=VIDEO, part=index, source_index=index,
                             start=0.0, offset=offset))
        if path == COPY and info.audio_codec:
            rows.append(FilmPart(recording_id=recording_id, run=run, track=AUDIO, part=index,
                                 source_index=index, start=0.0, offset=offset))
        offset += info.duration
    if path == AUDIO_PATH:
        rows.append(FilmPart(recording_id=recording_id, run=run, track=AUDIO, part=0, source_index=0, start=0.0,
                             offset=0.0))
    return rows


def _start_parts(recording_id, run, infos, path):
    """Insert the run's parts; their ids by (track, part)."""
    rows = copy_parts(recording_id, run, infos, path)
    db.session.add_all(rows)
    db.session.commit()
    return {(row.track, row.part): row.id for row in rows}


def _working(part_id, run):
    if not part_transition(part_id, CHUNK_WORKING, expect=CHUNK_WAITING, job_token=run, heartbeat_at=utcnow(),
                           attempts=FilmPart.attempts + 1):
        raise Superseded(f"film part {part_id} was taken")
    db.session.commit()


def _copy(recording_id, run, prefix, storage, sources, files, infos, workdir, cache=None):
    """The copy path: each original read once (from storage as it goes, hashing the same bytes),
    both tracks segmented in that one read and every segment published as ffmpeg writes it."""
    ids = _start_parts(recording_id, run, infos, COPY)
    total, done, offset, checksums = sum(info.duration for info in infos) or 1.0, 0.0, 0.0, {}
    for index, ((source_id, key, size), info) in enumerate(zip(sources, infos, strict=True)):
        tracks = tuple(track for track in (VIDEO, AUDIO) if (track, index) in ids)
        writers = {}
        for track in tracks:
            _working(ids[(track, index)], run)
            writers[track] = PartWriter(recording_id, run, prefix, ids[(track, index)], track, index, attempt=1)
        original = files[source_id] if files else originals.for_copy(
            storage, key, size, os.path.join(workdir, f"source-{index:03d}"), cache)
        outdir = os.path.join(workdir, f"copy-{index:04d}")
        timeout = job_timeout(info.duration, "copy") + int(size / DOWNLOAD_BYTES_PER_SECOND)

        def publish(track, init, path, duration, idx, writers=writers):
            writers[track](init, path, duration, idx)

        try:
            segmenting.copy_tracks(original.source, info, outdir, offset, tracks, timeout, on_segment=publish)
        except segmenting.NeedsSeeking:
            original.to_file()  # an MP4 with its index at the end: the rest of the same read, to disk
            segmenting.copy_tracks(original.source, info, outdir, offset, tracks, timeout, on_segment=publish)
        checksums[source_id] = original.sha256()
        done += info.duration
        offset += info.duration
        for track in tracks:
            writers[track].done(progress=min(0.95, 0.95 * done / total))
        shutil.rmtree(outdir, ignore_errors=True)
    return checksums


def _copy_video_fix_sound(recording_id, run, prefix, paths, infos, workdir):
    """The audio path: each file's video copied, the whole session's sound encoded as one part."""
    ids = _start_parts(recording_id, run, infos, AUDIO_PATH)
    total = sum(info.duration for info in infos) or 1.0
    _working(ids[(AUDIO, 0)], run)
    sound = PartWriter(recording_id, run, prefix, ids[(AUDIO, 0)], AUDIO, 0, attempt=1)
    done, offset = 0.0, 0.0
    for index, (path, info) in enumerate(zip(paths, infos, strict=True)):
        _working(ids[(VIDEO, index)], run)
        writer = PartWriter(recording_id, run, prefix, ids[(VIDEO, index)], VIDEO, index, attempt=1)
        outdir = os.path.join(workdir, f"video-{index:04d}")
        segmenting.copy_to_segments(path, info, outdir, offset, VIDEO, timeout=job_timeout(info.duration, "copy"),
                                    on_segment=writer)
        done += info.duration
        offset += info.duration
        writer.done(progress=min(0.9, 0.9 * done / total))
        shutil.rmtree(outdir, ignore_errors=True)
    segmenting.audio_track(list(zip(paths, infos, strict=True)), os.path.join(workdir, "sound"),
                           timeout=job_timeout(total, "audio"), on_segment=sound)
    sound.done(progress=0.95)


def _end_run(recording_id, token, status, **values):
    """Move the run's recording to ``status`` (guarded by its claim). :raise Superseded:"""
    with db.engine.begin() as conn:
        won = transition(recording_id, status, expect=PROCESSING, token=token, conn=conn, heartbeat_at=None,
                         **values)
    if not won:
        raise Superseded(f"recording {recording_id} is no longer held by this run")


def _finish(recording_id, token, status, code, detail, label):
    _end_run(recording_id, token, status, reason_code=code, reason_detail=(detail or "")[-2000:])
    recording = db.session.get(Recording, recording_id)
    audit.record(f"recording.{status}", recording, actor=None, reason=code)
    db.session.commit()
    recording_service.notify_stopped(recording)
    log.info("job %s: recording %s is %s (%s)", label, recording_id, status, code)


def discard_originals(recording_id, label):
    """Delete a rejected upload's bytes, now that its reason is recorded, with a receipt
    (``recording.originals_deleted``). Best effort: the hourly retention round deletes whatever
    a failure here leaves."""
    from portal.services.retention import delete_originals

    try:
        if delete_originals(db.session.get(Recording, recording_id, populate_existing=True)):
            log.info("job %s: the rejected upload of recording %s is deleted", label, recording_id)
    except Exception:  # noqa: BLE001 - the rejection stands; the retention round retries the deletion
        db.session.rollback()
        log.warning("job %s: could not delete the rejected upload of recording %s yet", label, recording_id,
                    exc_info=True)


def failure_code(error, workdir=None):
    """A reason code a person can act on, for an unexpected failure in ``workdir``."""
    if out_of_space(error, workdir):
        return "disk_full"
    if isinstance(error, FFmpegFailed):
        return "timeout" if error.timed_out else "processing_failed"
    if type(error).__module__.startswith(("botocore", "boto3")) or "storage" in type(error).__name__.lower():
        return "storage_unavailable"
    return "processing_failed"


def out_of_space(error, workdir=None):
    """True for ENOSPC, and for ffmpeg failing where the job's disk is (nearly) full: its own
    "No space left on device" may have found no room in its stderr file either."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return True
    if not isinstance(error, FFmpegFailed) or error.timed_out:
        return False
    if "No space left on device" in (error.stderr or ""):
        return True
    try:
        stat = os.statvfs(workdir) if workdir else None
    except OSError:
        return False
    return stat is not None and stat.f_bavail * stat.f_frsize < LOW_SPACE_BYTES


def _record_failure(recording_id, token, error, label, workdir=None):
    """Record why the run failed: ``failed`` after the last try, else back to ``uploaded``."""
    db.session.rollback()
    code = failure_code(error, workdir)
    detail = getattr(error, "stderr", "") or str(error)
    recording = db.session.get(Recording, recording_id)
    final = recording is not None and recording.attempts >= MAX_ATTEMPTS
    try:
        _end_run(recording_id, token, FAILED if final else UPLOADED, reason_code=code if final else "retrying",
                 reason_detail=detail[-2000:])
    except Superseded:
        return
    log.warning("job %s: recording %s failed (%s, attempt %s)%s", label, recording_id, code,
                recording.attempts, "; giving up" if final else "; will retry")
    if final:
        db.session.expire_all()
        audit.record("recording.failed", db.session.get(Recording, recording_id), actor=None, reason=code)
        db.session.commit()
        recording_service.notify_stopped(db.session.get(Recording, recording_id))


def processing_timeout(recording):
    """The RQ timeout for processing ``recording``: from its duration when known, else its size."""
    seconds = recording.duration
    if not seconds:  # not probed yet: assume a modest 2 Mbit/s camera file
        seconds = sum(s.size for s in recording.sources) * 8 / 2_000_000
    return job_timeout(seconds, "encode") + 600  # plus downloading and uploading
