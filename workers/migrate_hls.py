"""Converting a film published as one MP4 (before issue 19) to HLS, by stream copy.

The film keeps playing as MP4 while its segments are written under a new prefix. The switch is
one guarded UPDATE (still ``ready``, still this MP4 at this prefix) in the same transaction as
the film's part and segment rows; the old prefix is deleted only after that commit, so a viewer
always has one complete output to play. A film deleted or converted meanwhile keeps what it
has and the new prefix is removed.
"""

import logging
import mimetypes
import os
import secrets
import shutil
import tempfile

from flask import current_app

from portal.extensions import db
from portal.models.media import AUDIO, CHUNK_DONE, VIDEO, FilmPart, FilmSegment
from portal.models.recordings import READY, Recording
from portal.services import audit, hls
from portal.services.storage import get_storage
from workers import publishing
from workers.media import segmenting
from workers.media.pipeline import job_timeout
from workers.media.probe import describe

log = logging.getLogger(__name__)
recordings = Recording.__table__
KEPT_FILES = ("poster.jpg", "thumb.jpg")  # plus the storyboard named in media_info


def job_id_for(recording_id):
    return f"migrate-hls-{recording_id}"


def candidates():
    """Ids of ready films still published as one MP4."""
    return db.session.scalars(db.select(Recording.id).where(
        Recording.status == READY, Recording.output_kind == "mp4", Recording.output_prefix.is_not(None))
        .order_by(Recording.id)).all()


def enqueue_all():
    """Queue a conversion for every MP4 film (heavy queue, behind new films); returns how many."""
    from workers.queues import HEAVY, enqueue

    ids = candidates()
    for recording_id in ids:
        enqueue(convert, recording_id, queue=HEAVY, job_id=job_id_for(recording_id), timeout=3600)
    return len(ids)


def convert(recording_id):
    """Convert one MP4 film to HLS segments and switch it over (heavy queue)."""
    recording = db.session.get(Recording, recording_id)
    if recording is None or recording.status != READY or recording.output_kind != "mp4" or not recording.output_prefix:
        return "skipped"
    run = secrets.token_hex(8)
    old, new = recording.output_prefix, publishing.run_prefix(recording, run)
    kept = [*KEPT_FILES, *((recording.media_info or {}).get("storyboard") or [])]
    db.session.commit()
    storage = get_storage()
    workdir = tempfile.mkdtemp(prefix=f"migrate-{recording_id}-", dir=current_app.config.get("WORKER_TMP_DIR"))
    try:
        video = os.path.join(workdir, "video.mp4")
        storage.download_to(f"{old}/video.mp4", video)
        info = describe(video)
        rows = []
        for track in (VIDEO, AUDIO) if info.audio_codec else (VIDEO,):
            outdir = os.path.join(workdir, track)
            init, segments = segmenting.copy_to_segments(video, info, outdir, 0.0, track,
                                                         timeout=job_timeout(info.duration, "copy"))
            rows += _upload(storage, new, track, init, segments)
        _copy_kept(storage, old, new, kept, workdir)
        if not _switch(recording_id, run, old, new, rows):
            storage.delete_prefix(new)
            return "skipped"
        storage.delete_prefix(old)
        return "converted"
    except BaseException:
        storage.delete_prefix(new)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _upload(storage, prefix, track, init, segments):
    """Store one track's segments; their rows (track, idx, duration, name, init) for the switch."""
    init_name = f"{track}/p0000-a1-init.mp4"
    storage.upload_from(init, f"{prefix}/{init_name}", "video/mp4")
    rows = []
    for idx, (path, duration) in enumerate(segments):
        name = f"{track}/p0000-{idx:05d}.m4s"
        storage.upload_from(path, f"{prefix}/{name}", "video/iso.segment")
        rows.append((track, idx, duration, name, init_name))
    return rows


def _copy_kept(storage, old, new, names, workdir):
    """Copy the poster, thumbnail and storyboard to the new prefix (those that exist)."""
    for name in names:
        path = os.path.join(workdir, "kept-" + name)
        if storage.head(f"{old}/{name}") is None:
            continue
        storage.download_to(f"{old}/{name}", path)
        storage.upload_from(path, f"{new}/{name}", mimetypes.guess_type(name)[0] or "application/octet-stream")


def _switch(recording_id, run, old, new, rows):
    """Point the recording at its HLS output in one guarded transaction; True when it did."""
    switched = db.session.execute(recordings.update().where(
        recordings.c.id == recording_id, recordings.c.status == READY, recordings.c.output_kind == "mp4",
        recordings.c.output_prefix == old).values(output_kind="hls", output_prefix=new)).rowcount == 1
    if not switched:
        db.session.rollback()
        return False
    for track in {row[0] for row in rows}:
        db.session.add(FilmPart(recording_id=recording_id, run=run, track=track, part=0, status=CHUNK_DONE,
                                attempts=1, done_at=db.func.now()))
    for track, idx, duration, name, init in rows:
        db.session.add(FilmSegment(recording_id=recording_id, run=run, track=track, part=0, idx=idx,
                                   duration=round(duration, 6), name=name, init=init))
    db.session.flush()
    recording = db.session.get(Recording, recording_id, populate_existing=True)
    recording.playable_seconds = round(hls.playable_seconds(recording), 3)
    audit.record("recording.converted_hls", recording, actor=None, segments=len(rows))
    db.session.commit()
    log.info("recording %s converted to HLS (%d segments)", recording_id, len(rows))
    return True
