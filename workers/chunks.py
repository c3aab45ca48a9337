"""An encode in chunks: one planning run, then one RQ job per part (issue 19).

The planning run (``workers.processing.process_recording``, FIRST queue) holds the recording's
claim. It finds the first keyframe after MEDIA_FIRST_CHUNK_SECONDS and queues that first chunk
at once, then lists every keyframe and writes the other parts (chunks of about
MEDIA_CHUNK_SECONDS, cut at keyframes, plus one part with the whole session's sound) and sets
``planned_at``: from then on the parts carry the work and the reconciler watches their
heartbeats. A film's first video chunk and its sound go to the FIRST queue, which every
worker on the heavy queue takes before it (``workers.queues.listened``), so a new film becomes
playable before the tails of films that already play are encoded.

Each chunk job claims its part (waiting -> working, with a token and heartbeat of its own),
encodes its range, publishes the segments one by one and draws its stretch of the storyboard
(``workers.publishing``). A failed chunk goes back to waiting and is retried on its own; after
MAX_ATTEMPTS the part fails for good and so does the recording, with the reason. The last part to
finish makes the recording ready, exactly once (``workers.publishing.finish_run``).
"""

import logging
import os
import secrets
import shutil
import tempfile

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.media import AUDIO, CHUNK_DONE, CHUNK_FAILED, CHUNK_WAITING, CHUNK_WORKING, VIDEO, FilmPart
from portal.models.recordings import FAILED, PROCESSING, SOURCE_UPLOADED, Recording
from portal.services import audit
from portal.services import recordings as recording_service
from portal.services.recording_state import part_transition, transition
from portal.services.storage import get_storage
from workers import originals, publishing
from workers.media import segmenting
from workers.media.pipeline import job_timeout
from workers.media.probe import MediaInfo
from workers.publishing import PartWriter, Superseded

log = logging.getLogger(__name__)
parts_table = FilmPart.__table__
FRONT_CHUNKS = 1  # a film's first video chunks that jump the queue: one, so five new films each
# get their first ten seconds encoded before any of them gets a second chunk (docs/BENCHMARKS.md)


def part_job_id(part_id):
    """One RQ job id per part: the reconciler finds it, a second enqueue finds the first."""
    return f"encode-part-{part_id}"


def finish_job_id(recording_id):
    return f"finish-recording-{recording_id}"


def at_front(track, number):
    """True for the parts a viewer needs first (FIRST queue): the first video chunk and the sound."""
    return track == AUDIO or number < FRONT_CHUNKS


def part_timeout(part, duration):
    """The RQ timeout of a part's job: its encode plus fetching its original."""
    length = ((part.end if part.end is not None else duration) - part.start) if part.track == VIDEO else duration
    return job_timeout(max(length, 1.0), "encode" if part.track == VIDEO else "audio") + 600


def _no_live_job(job_id):
    """True when no job ``job_id`` is queued, running or due for a retry (a dead one is dropped)."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from workers.queues import redis_connection

    try:
        existing = Job.fetch(job_id, connection=redis_connection())
        if recording_service.job_is_alive(existing):
            return False
        existing.delete()
    except NoSuchJobError:
        pass
    return True


def enqueue_part(part, duration):
    """Queue ``part``'s job unless it is queued or running already; the new job or None."""
    from workers.processing import MAX_ATTEMPTS
    from workers.queues import FIRST, HEAVY, enqueue

    if not _no_live_job(part_job_id(part.id)):
        return None
    return enqueue(encode_part, part.id, queue=FIRST if at_front(part.track, part.part) else HEAVY,
                   job_id=part_job_id(part.id), timeout=part_timeout(part, duration), retries=MAX_ATTEMPTS - 1,
                   retry_intervals=current_app.config["PROCESSING_RETRY_INTERVALS"])


def enqueue_finish(recording_id):
    """Queue the job that makes a recording whose parts are all done ready (the reconciler's
    way when the last chunk job died between its part and the publication)."""
    from workers.queues import FIRST, enqueue

    if not _no_live_job(finish_job_id(recording_id)):
        return None
    return enqueue(finish_recording, recording_id, queue=FIRST, job_id=finish_job_id(recording_id), timeout=900)


# -- planning -------------------------------------------------------------------------------------

def plan(app, recording_id, run, prefix, paths, infos, checksums, label):
    """Write the parts of an encode in chunks and queue them (the planning run holds the claim)."""
    from workers.processing import update_own

    first_length = app.config["MEDIA_FIRST_CHUNK_SECONDS"]
    length = app.config["MEDIA_CHUNK_SECONDS"]
    duration = sum(info.duration for info in infos)
    first_cut = _first_cut(paths[0], infos[0], first_length)
    first = FilmPart(recording_id=recording_id, run=run, track=VIDEO, part=0, source_index=0, start=0.0,
                     end=first_cut, offset=0.0)
    sound = [FilmPart(recording_id=recording_id, run=run, track=AUDIO, part=0, source_index=0, start=0.0,
                      offset=0.0)] if any(info.audio_codec for info in infos) else []
    _add_parts(recording_id, run, [first, *sound], duration)
    rows, number, offset = [], 1, 0.0
    for index, (path, info) in enumerate(zip(paths, infos, strict=True)):
        ranges = _ranges(path, info, length) if index else _rest(path, info, first_cut, length)
        for start, end in ranges:
            rows.append(FilmPart(recording_id=recording_id, run=run, track=VIDEO, part=number, source_index=index,
                                 start=start, end=end, offset=offset + start))
            number += 1
        offset += info.duration
    update_own(recording_id, run, heartbeat_at=utcnow())  # still ours: then the rest of the parts
    _add_parts(recording_id, run, rows, duration, planned=True, checksums=checksums)
    log.info("job %s: recording %s planned in %d video chunks and its sound", label, recording_id, number)


def _first_cut(path, info, first_length):
    """Where the first chunk of the first file ends: its first keyframe after ``first_length``
    seconds, or None (one chunk) when what would follow is shorter than that."""
    if info.duration <= first_length:
        return None
    cut = segmenting.first_keyframe_after(path, info, first_length)
    if cut is None or info.duration - cut < min(first_length, 2 * segmenting.SEGMENT_SECONDS):
        return None
    return cut


def _rest(path, info, first_cut, length):
    """The chunks of the first file after its first chunk (which ends at ``first_cut``)."""
    if first_cut is None:
        return []
    return segmenting.plan_chunks(segmenting.keyframes(path, info), info.duration, first=length, length=length,
                                  first_end=first_cut)[1:]


def _ranges(path, info, length):
    return segmenting.plan_chunks(segmenting.keyframes(path, info), info.duration, first=length, length=length)


def _add_parts(recording_id, run, rows, duration, planned=False, checksums=None):
    """Insert ``rows`` under the run's claim (and mark the run planned), then queue them."""
    from portal.models.recordings import SourceFile

    extra = {"planned_at": utcnow(), "heartbeat_at": utcnow()} if planned else {}
    if not transition(recording_id, PROCESSING, expect=PROCESSING, token=run, **extra):
        db.session.rollback()
        raise Superseded(f"recording {recording_id} is no longer held by run {run}")
    db.session.add_all(rows)
    for source_id, digest in (checksums or {}).items():
        db.session.execute(SourceFile.__table__.update().where(SourceFile.__table__.c.id == source_id)
                           .values(sha256=digest))
    db.session.commit()
    for row in rows:
        enqueue_part(row, duration)


# -- one part -------------------------------------------------------------------------------------

def part_token():
    """A chunk job's claim on its part: its RQ job's id and a tail of its own for this execution
    (only a tail when it runs outside RQ, or the id is too long for the column)."""
    from rq import get_current_job

    job, tail = get_current_job(), secrets.token_hex(4)
    token = f"{job.id}/{tail}" if job is not None else None
    return token if token is not None and len(token) <= 32 else secrets.token_hex(8)


def claim_part(part_id, token, now=None):
    """Take part ``part_id`` for this job: waiting, working with a stale heartbeat, or working
    under an earlier execution of this same job. RQ runs a job again (its retry) only once the
    execution before has ended (a work-horse killed or out of time), so that claim is dead and
    is taken over at once, not after its heartbeat has gone stale (minutes)."""
    from workers.processing import stale_after

    now = now or utcnow()
    values = dict(job_token=token, heartbeat_at=now, attempts=parts_table.c.attempts + 1, reason_code=None)
    if part_transition(part_id, CHUNK_WORKING, expect=CHUNK_WAITING, **values) or part_transition(
            part_id, CHUNK_WORKING, expect=CHUNK_WORKING, **values,
            where=[sa.or_(parts_table.c.heartbeat_at.is_(None), parts_table.c.heartbeat_at < now - stale_after())]):
        db.session.commit()
        return True
    job_id = token.split("/", 1)[0] if "/" in token else None
    won = job_id is not None and part_transition(
        part_id, CHUNK_WORKING, expect=CHUNK_WORKING, **values,
        where=[parts_table.c.job_token.startswith(job_id + "/", autoescape=True)])
    db.session.commit()
    if won:
        log.warning("film part %s: taken over from an earlier attempt of job %s that ended without a word "
                    "(a killed work-horse)", part_id, job_id)
    return won


def encode_part(part_id):
    """Encode one part of a film and publish its segments (heavy queue, one job per part)."""
    from workers.processing import Heartbeat, job_label

    app = current_app._get_current_object()
    label, token = job_label(), part_token()
    if not claim_part(part_id, token):
        log.info("job %s: film part %s is not waiting; nothing to do", label, part_id)
        return "skipped"
    part = db.session.get(FilmPart, part_id)
    recording = db.session.get(Recording, part.recording_id)
    run, recording_id = part.run, part.recording_id
    if recording.status != PROCESSING or recording.job_token != run:
        db.session.commit()
        log.info("job %s: film part %s belongs to a run that was replaced", label, part_id)
        return "superseded"
    prefix, duration = recording.output_prefix, recording.duration or 0.0
    infos = [MediaInfo(**info) for info in (recording.media_info or {}).get("sources", [])]
    sources = [(s.id, s.storage_key, s.size) for s in recording.sources if s.status == SOURCE_UPLOADED]
    writer = PartWriter(recording_id, run, prefix, part_id, part.track, part.part, attempt=part.attempts,
                        part_token=token)
    track, number, index, start, end, offset = (part.track, part.part, part.source_index, part.start, part.end,
                                                 part.offset)
    db.session.remove()
    workdir = tempfile.mkdtemp(prefix=f"part-{part_id}-", dir=app.config.get("WORKER_TMP_DIR"))
    try:
        with Heartbeat(app, recording_id, token, beat=lambda: _beat(part_id, token)):
            storage, outdir, tiles = get_storage(), os.path.join(workdir, "out"), None
            cache = originals.host_cache(app.config, storage)
            if track == AUDIO:
                files = originals.fetch(storage, sources, workdir, hashed=False, cache=cache)
                pairs = [(files[source_id].path, info)
                         for (source_id, _key, _size), info in zip(sources, infos, strict=True)]
                segmenting.audio_track(pairs, outdir, timeout=job_timeout(duration, "audio"), on_segment=writer)
            else:
                source_id, key, size = sources[index]
                original = originals.fetch(storage, [(source_id, key, size)], workdir, hashed=False,
                                           cache=cache)[source_id]
                length = (end if end is not None else infos[index].duration) - start
                init, segments = segmenting.encode_video_chunk(original.path, infos[index], start, end, outdir,
                                                               offset, timeout=job_timeout(length, "encode"),
                                                               on_segment=writer)
                tiles = publishing.draw_tiles(writer, init, segments, offset, offset + length,
                                              segmenting.chunk_film_start(infos[index], start, offset), duration,
                                              workdir, label)
        writer.done(progress=_progress(recording_id, run, duration, part_id), tiles=tiles)
        log.info("job %s: film part %s (%s #%s of recording %s) is done", label, part_id, track, number,
                 recording_id)
        if publishing.finish_run(recording_id, run, label):
            originals.drop_copies(app.config, get_storage(), sources)
            return "ready"
        return "done"
    except Superseded:
        db.session.rollback()
        _drop_replaced_run(recording_id, run, prefix)
        return "superseded"
    except Exception as error:
        _part_failed(part_id, token, recording_id, run, error, label, workdir)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _beat(part_id, token):
    with db.engine.begin() as conn:
        if not part_transition(part_id, CHUNK_WORKING, expect=CHUNK_WORKING, token=token, conn=conn,
                               heartbeat_at=utcnow()):
            raise Superseded(f"film part {part_id} is no longer held by this job")


def _progress(recording_id, run, duration, part_id):
    """The recording's progress once ``part_id`` is done: the share of its video encoded."""
    done = db.session.execute(db.select(FilmPart.start, FilmPart.end, FilmPart.source_index).where(
        FilmPart.recording_id == recording_id, FilmPart.run == run, FilmPart.track == VIDEO,
        sa.or_(FilmPart.status == CHUNK_DONE, FilmPart.id == part_id))).all()
    recording = db.session.get(Recording, recording_id)
    infos = (recording.media_info or {}).get("sources", [])
    db.session.commit()
    seconds = sum(((end if end is not None else infos[index]["duration"]) - start) for start, end, index in done)
    return min(0.95, 0.95 * seconds / duration) if duration else None


def _drop_replaced_run(recording_id, run, prefix):
    """A chunk of a run that lost its claim: its output belongs to nobody, unless the run is still
    the recording's (only this part was taken over by another job)."""
    recording = db.session.get(Recording, recording_id)
    current = recording is not None and recording.job_token == run and recording.status == PROCESSING
    db.session.commit()
    if not current:
        get_storage().delete_prefix(prefix)


def _part_failed(part_id, token, recording_id, run, error, label, workdir):
    """Back to waiting for a retry of this part alone, or, after its last attempt, the part and
    the recording fail with a reason a person can act on."""
    from workers.processing import MAX_ATTEMPTS, failure_code

    db.session.rollback()
    code = failure_code(error, workdir)
    detail = (getattr(error, "stderr", "") or str(error))[-2000:]
    part = db.session.get(FilmPart, part_id)
    final = part is not None and part.attempts >= MAX_ATTEMPTS
    if not part_transition(part_id, CHUNK_FAILED if final else CHUNK_WAITING, expect=CHUNK_WORKING, token=token,
                           reason_code=code if final else "retrying", heartbeat_at=None):
        db.session.rollback()
        return
    db.session.commit()
    log.warning("job %s: film part %s of recording %s failed (%s, attempt %s)%s", label, part_id, recording_id,
                code, part.attempts, "; giving up" if final else "; will retry")
    if final:
        fail_recording(recording_id, run, code, detail)


def fail_recording(recording_id, run, code, detail):
    """The run's recording fails for good (a part failed after its last attempt); True when this
    call did it, with its audit row and the leaders' notice."""
    won = transition(recording_id, FAILED, expect=PROCESSING, token=run, reason_code=code, reason_detail=detail,
                     heartbeat_at=None)
    if not won:
        db.session.rollback()
        return False
    audit.record("recording.failed", db.session.get(Recording, recording_id, populate_existing=True), actor=None,
                 reason=code)
    db.session.commit()
    recording_service.notify_stopped(db.session.get(Recording, recording_id))
    return True


def finish_recording(recording_id):
    """Make a recording whose parts are all done ready (queued by the reconciler)."""
    from workers.processing import job_label

    recording = db.session.get(Recording, recording_id)
    if recording is None or recording.status != PROCESSING:
        return "skipped"
    run = recording.job_token
    db.session.commit()
    return "ready" if publishing.finish_run(recording_id, run, job_label()) else "skipped"
