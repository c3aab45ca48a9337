"""The quick check of an uploaded film (light queue): can it become a session film at all?

Every upload is checked before it waits for an encode: each file is probed and its first pictures
decoded, and the session's length is held against MEDIA_MIN_DURATION_SECONDS and
MEDIA_MAX_DURATION_HOURS. A file that can never become a film is ``rejected`` within seconds, with
a reason the leader can act on, and its bytes are deleted with a receipt. A film that passes keeps
its duration (the encode's timeout and the queue's estimate use it) and goes on to its processing run (first queue).

Light jobs have a worker of their own (the Procfile's ``quick``, `make run`), so the check never
waits behind an encode. The recording stays ``uploaded`` while it is checked; every write is
guarded by that status, so a duplicate check or a run racing an admin changes nothing twice.
"""

import logging
import os
import shutil
import tempfile

from flask import current_app

from portal.extensions import db
from portal.models.recordings import FAILED, REJECTED, SOURCE_UPLOADED, UPLOADED, Recording
from portal.services import audit
from portal.services import recordings as recording_service
from portal.services.recording_state import transition
from portal.services.storage import get_storage
from workers.media.pipeline import check_length, limits_from
from workers.media.probe import MediaRejected, describe
from workers.originals import drop_copies, host_cache, stored_path
from workers.processing import MAX_ATTEMPTS, discard_originals, failure_code, job_label

log = logging.getLogger(__name__)

CHECK_SECONDS = 180  # probing and decoding a few pictures, per file
DOWNLOAD_BYTES_PER_SECOND = 20 * 10**6  # a slow store: 4 GB in under three and a half minutes


def check_timeout(recording):
    """The RQ timeout for checking ``recording``: downloading its files and probing each."""
    sources = recording.sources
    return CHECK_SECONDS * max(1, len(sources)) + int(sum(s.size for s in sources) / DOWNLOAD_BYTES_PER_SECOND)


def check_recording(recording_id):
    """Check an uploaded recording's files (light queue): reject it with a reason, or record its
    duration and enqueue its processing. Returns "rejected", "passed" or "skipped"."""
    app = current_app._get_current_object()
    label = job_label()
    recording = db.session.get(Recording, recording_id)
    if recording is None or recording.status != UPLOADED or recording.duration is not None:
        log.info("job %s: recording %s needs no check; nothing to do", label, recording_id)
        return "skipped"
    sources = [(s.id, s.storage_key, s.size) for s in recording.sources if s.status == SOURCE_UPLOADED]
    limits = limits_from(app.config)
    db.session.remove()  # never hold a database session across downloads and ffmpeg
    workdir = tempfile.mkdtemp(prefix=f"check-{recording_id}-", dir=app.config.get("WORKER_TMP_DIR"))
    try:
        infos = [_describe(key, size, source_id, workdir, limits) for source_id, key, size in sources]
        duration = check_length(infos, limits)
    except MediaRejected as rejection:
        drop_copies(app.config, get_storage(), sources)
        return _reject(recording_id, rejection, label)
    except Exception as error:
        _record_failure(recording_id, error, label, workdir)
        raise  # so RQ retries it
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return _pass(recording_id, duration, infos, label)


def _describe(key, size, source_id, workdir, limits):
    """Describe one original: on the local backend where it is stored (as the processing run
    reads it; copying a 6 GB camera file first delayed every new film by seconds), on S3 from
    the host's copy that the film's jobs share (``originals.HostCache``), or with that cache off
    from a downloaded copy that is deleted afterwards.
    :raise MediaRejected: for a file that is no usable film."""
    storage = get_storage()
    path = stored_path(storage, key)
    cache = host_cache(current_app.config, storage) if path is None else None
    if cache is not None:  # the film's processing run on this host reads the same copy
        path, _digest = cache.get(storage, key, size)
    copied = path is None
    if copied:
        path = os.path.join(workdir, f"source-{source_id}")
        storage.download_to(key, path)
    try:
        if os.path.getsize(path) != size:
            raise RuntimeError(f"source {source_id} is {os.path.getsize(path)} bytes, expected {size}")
        return describe(path, max_duration=limits.max_duration)
    finally:
        if copied:
            os.remove(path)


def _reject(recording_id, rejection, label):
    """Record the rejection with its reason, then delete the upload's bytes (with a receipt)."""
    won = transition(recording_id, REJECTED, expect=UPLOADED, reason_code=rejection.code,
                     reason_detail=(rejection.detail or "")[-2000:], heartbeat_at=None)
    if not won:
        db.session.rollback()
        return "skipped"
    audit.record("recording.rejected", db.session.get(Recording, recording_id), actor=None, reason=rejection.code)
    db.session.commit()
    log.info("job %s: recording %s is rejected (%s)", label, recording_id, rejection.code)
    recording_service.notify_stopped(db.session.get(Recording, recording_id))
    discard_originals(recording_id, label)
    return "rejected"


def _pass(recording_id, duration, infos, label):
    """Keep the duration and queue the film's processing run (first queue)."""
    # The files' descriptions go along: the copy path can then stream an original from storage
    # into ffmpeg without reading it first to probe it.
    won = transition(recording_id, UPLOADED, expect=UPLOADED, duration=duration, attempts=0, reason_code=None,
                     reason_detail=None, media_info={"checked": [info.to_json() for info in infos]})
    db.session.commit()
    if not won:
        return "skipped"
    log.info("job %s: recording %s passed its check (%.1f s); queued for processing", label, recording_id,
             duration)
    recording_service.enqueue_after_upload(db.session.get(Recording, recording_id))
    return "passed"


def _record_failure(recording_id, error, label, workdir):
    """A check that could not run (storage away, disk full): "retrying", or ``failed`` with a
    reason once the attempts are spent."""
    db.session.rollback()
    recording = db.session.get(Recording, recording_id)
    if recording is None:
        return
    code = failure_code(error, workdir)
    attempts = recording.attempts + 1
    final = attempts >= MAX_ATTEMPTS
    detail = getattr(error, "stderr", "") or str(error)
    won = transition(recording_id, FAILED if final else UPLOADED, expect=UPLOADED,
                     reason_code=code if final else "retrying", reason_detail=detail[-2000:], attempts=attempts)
    if won and final:
        db.session.expire_all()
        audit.record("recording.failed", db.session.get(Recording, recording_id), actor=None, reason=code)
    db.session.commit()
    if won and final:
        recording_service.notify_stopped(db.session.get(Recording, recording_id))
    log.warning("job %s: check of recording %s failed (%s, attempt %s)%s", label, recording_id, code, attempts,
                "; giving up" if final else "; will retry")
