"""RQ jobs that take a recording from ``uploaded`` to ``ready`` (or ``rejected``/``failed``).

The database is the source of truth. A run first *claims* the recording with one conditional
UPDATE, so a duplicate job (complete sent twice, a re-enqueue after a Redis flush) finds
nothing to do. While it works it beats a heartbeat; the reconciler re-enqueues recordings
whose heartbeat stopped (a worker killed with ``kill -9``, Redis flushed). Outputs go under a
key of the run's own and are published by switching the recording's pointer in one UPDATE
that only succeeds while the run still holds its claim; the storyboard is drawn after that,
while the film can already be watched.
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
from portal.models.recordings import (
    FAILED,
    PROCESSING,
    READY,
    REJECTED,
    SOURCE_UPLOADED,
    UPLOADED,
    Recording,
)
from portal.services import audit
from portal.services import recordings as recording_service
from portal.services.storage import get_storage, object_key
from workers.media import pictures
from workers.media.ffmpeg import FFmpegFailed
from workers.media.pipeline import job_timeout, limits_from, process
from workers.media.probe import MediaRejected, sha256_of

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4  # the first run and three retries
LOW_SPACE_BYTES = 1024 * 1024  # less free space than this after ffmpeg failed: the disk filled up
recordings = Recording.__table__


def stale_after():
    """How old a heartbeat may get before the run is taken as lost."""
    return timedelta(seconds=current_app.config["PROCESSING_STALE_SECONDS"])


def heartbeat_seconds():
    """Beat well inside the staleness limit."""
    return max(1.0, min(15.0, current_app.config["PROCESSING_STALE_SECONDS"] / 4))


class Superseded(RuntimeError):
    """This run lost its claim: the recording was deleted or given to another run."""


def job_label():
    job = get_current_job()
    return job.id if job else "inline"


def claim(recording_id, token, now=None):
    """Take the recording for this run; True when this run may work on it."""
    now = now or utcnow()
    stale = now - stale_after()
    result = db.session.execute(
        recordings.update()
        .where(recordings.c.id == recording_id)
        .where(sa.or_(recordings.c.status == UPLOADED,
                      sa.and_(recordings.c.status == PROCESSING,
                              sa.or_(recordings.c.heartbeat_at.is_(None), recordings.c.heartbeat_at < stale))))
        .values(status=PROCESSING, job_token=token, heartbeat_at=now, processing_started_at=now, progress=0.0,
                attempts=recordings.c.attempts + 1, reason_code=None, reason_detail=None))
    db.session.commit()
    return result.rowcount == 1


def _owned(recording_id, token):
    return sa.and_(recordings.c.id == recording_id, recordings.c.job_token == token,
                   recordings.c.status == PROCESSING)


def update_own(recording_id, token, **values):
    """Write ``values`` while this run holds the claim. :raise Superseded: when it does not."""
    with db.engine.begin() as conn:
        result = conn.execute(recordings.update().where(_owned(recording_id, token)).values(**values))
    if result.rowcount != 1:
        raise Superseded(f"recording {recording_id} is no longer held by this run")


class Heartbeat:
    """Beats every few seconds in a thread while the run downloads, encodes and uploads."""

    def __init__(self, app, recording_id, token):
        self.app, self.recording_id, self.token = app, recording_id, token
        with app.app_context():
            self.every = heartbeat_seconds()
        self.stop = threading.Event()
        self.lost = False
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self):
        while not self.stop.wait(self.every):
            with self.app.app_context():
                try:
                    update_own(self.recording_id, self.token, heartbeat_at=utcnow())
                except Superseded:
                    self.lost = True
                    return
                except Exception:  # noqa: BLE001 - a missed beat is retried on the next one
                    log.warning("heartbeat of recording %s failed", self.recording_id, exc_info=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)


def process_recording(recording_id):
    """Probe, make playable, draw pictures and publish one recording (heavy queue)."""
    app = current_app._get_current_object()
    label = job_label()
    token = secrets.token_hex(8)
    if not claim(recording_id, token):
        log.info("job %s: recording %s is not waiting for processing; nothing to do", label, recording_id)
        return "skipped"
    recording = db.session.get(Recording, recording_id)
    sources = [(s.id, s.storage_key, s.size) for s in recording.sources if s.status == SOURCE_UPLOADED]
    prefix = object_key(recording.organisation_id, "rec", recording.public_id, "out", token)
    limits = limits_from(app.config)
    db.session.remove()  # never hold a database session across long work
    log.info("job %s: processing recording %s (%d files)", label, recording_id, len(sources))
    workdir = tempfile.mkdtemp(prefix=f"rec-{recording_id}-", dir=app.config.get("WORKER_TMP_DIR"))
    try:
        with Heartbeat(app, recording_id, token):
            result, checksums = _work(app, recording_id, token, sources, workdir, limits, label)
            _upload_outputs(result, prefix)
        _publish(recording_id, token, prefix, result, checksums, label)
        _add_storyboard(recording_id, prefix, result, workdir, label)
        return "ready"
    except MediaRejected as rejection:
        _finish(recording_id, token, REJECTED, rejection.code, rejection.detail, label)
        discard_originals(recording_id, label)
        return "rejected"
    except Superseded:
        log.info("job %s: recording %s was taken over; leaving it", label, recording_id)
        get_storage().delete_prefix(prefix)
        return "superseded"
    except Exception as error:
        _record_failure(recording_id, token, error, label, workdir)
        raise  # so RQ retries it (or records the failure)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _work(app, recording_id, token, sources, workdir, limits, label):
    storage = get_storage()
    paths, checksums = [], {}
    for index, (source_id, key, size) in enumerate(sources):
        path = os.path.join(workdir, f"source-{index:03d}")
        storage.download_to(key, path)
        if os.path.getsize(path) != size:
            raise RuntimeError(f"source {source_id} is {os.path.getsize(path)} bytes, expected {size}")
        checksums[source_id] = sha256_of(path)
        paths.append(path)

    def progress(fraction):
        update_own(recording_id, token, progress=round(fraction, 3), heartbeat_at=utcnow())

    # The storyboard (hover previews) comes after publishing: on a remuxed camera film it is most
    # of the work, and the film can be watched without it.
    result = process(paths, workdir, limits, progress=progress, storyboard=False)
    log.info("job %s: recording %s made playable by %s in %s", label, recording_id, result.path, workdir)
    return result, checksums


def _upload_outputs(result, prefix):
    _upload([(result.video, "video/mp4"), (result.poster, "image/jpeg"), (result.thumbnail, "image/jpeg"),
             *_storyboard_files(result.sheets, result.vtt)], prefix)


def _storyboard_files(sheets, vtt):
    return [*([(vtt, "text/vtt")] if vtt else []), *[(sheet, "image/jpeg") for sheet in sheets]]


def _upload(files, prefix):
    """Upload ``files`` ((path, content type) pairs) under ``prefix`` by their file names."""
    storage = get_storage()
    for path, content_type in files:
        storage.upload_from(path, f"{prefix}/{os.path.basename(path)}", content_type)


def _publish(recording_id, token, prefix, result, checksums, label):
    """Switch the recording to its new outputs in one transaction, with checksums and audit row
    (a reader never sees it ``ready`` without its ``recording.ready`` row)."""
    from portal.models.recordings import SourceFile

    published = db.session.execute(recordings.update().where(_owned(recording_id, token)).values(
        status=READY, output_prefix=prefix, progress=1.0, ready_at=utcnow(), heartbeat_at=None,
        duration=result.duration, media_info=result.summary())).rowcount == 1
    if not published:
        db.session.rollback()
        get_storage().delete_prefix(prefix)
        raise Superseded(f"recording {recording_id} changed before publishing")
    for source_id, digest in checksums.items():
        db.session.execute(SourceFile.__table__.update().where(SourceFile.__table__.c.id == source_id)
                           .values(sha256=digest))
    recording = db.session.get(Recording, recording_id, populate_existing=True)
    audit.record("recording.ready", recording, actor=None, path=result.path, duration=result.duration)
    db.session.commit()
    recording_service.notify_ready(recording)
    # Issue 20: the speech lane's activity track, on the light queue, now that the film plays.
    from workers.activity import enqueue_analysis  # noqa: PLC0415 - workers.activity imports this module
    enqueue_analysis(recording_id)
    log.info("job %s: recording %s is ready (%s)", label, recording_id, result.path)


def _add_storyboard(recording_id, prefix, result, workdir, label):
    """Draw the published film's storyboard and add it to the recording. Best effort: the film is
    already watchable, so a failure here is logged and leaves it without hover previews."""
    try:
        sheets, vtt = pictures.storyboard(result.video, result.duration, workdir,
                                          timeout=job_timeout(result.duration, "audio"))
        _upload(_storyboard_files(sheets, vtt), prefix)
        result.sheets, result.vtt = sheets, vtt
        with db.engine.begin() as conn:  # only while these outputs are still the published ones
            added = conn.execute(recordings.update().where(
                recordings.c.id == recording_id, recordings.c.status == READY,
                recordings.c.output_prefix == prefix).values(media_info=result.summary())).rowcount == 1
        if not added:  # deleted or replaced meanwhile: these outputs belong to nobody now
            get_storage().delete_prefix(prefix)
            return
        log.info("job %s: recording %s has its storyboard (%d sheets)", label, recording_id, len(sheets))
    except Exception:  # noqa: BLE001 - the film stays ready; only its hover previews are missing
        log.warning("job %s: no storyboard for recording %s", label, recording_id, exc_info=True)


def _finish(recording_id, token, status, code, detail, label):
    update_own(recording_id, token, status=status, reason_code=code, reason_detail=(detail or "")[-2000:],
               heartbeat_at=None)
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
        update_own(recording_id, token, status=FAILED if final else UPLOADED,
                   reason_code=code if final else "retrying", reason_detail=detail[-2000:],
                   heartbeat_at=None)
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
