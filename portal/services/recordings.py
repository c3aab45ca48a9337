"""Recording use cases around the jobs: enqueue once, reconcile lost work, retry, notify, explain.

The web process calls ``enqueue_processing`` after committing an upload; the worker's
reconciler calls ``reconcile`` every minute. Both are safe to repeat: the job itself claims
the recording in the database before doing anything.
"""

import logging
from datetime import UTC, timedelta

from flask import current_app
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.groups import Group, GroupSession
from portal.models.media import CHUNK_DONE, CHUNK_FAILED, CHUNK_WAITING, CHUNK_WORKING, FilmPart
from portal.models.recordings import FAILED, PROCESSING, REJECTED, UPLOADED, Recording
from portal.services import audit, paging, recording_state

log = logging.getLogger(__name__)

LIVE_JOB_STATES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}

# What each reason code means to the person who sees it (leader or admin).
REASONS = {
    "retrying": _l("Processing was interrupted and is being retried automatically."),
    "empty_file": _l("The file is empty. Upload the film again from the camera's memory card."),
    "truncated": _l("The film file is incomplete: the recording probably stopped abruptly "
                    "(battery, full card). Try the camera's repair function or upload another file."),
    "not_a_video": _l("The file is not a video the portal can read. Upload the film file itself "
                      "(MP4, MOV, MTS, MPG, AVI or MKV), for example 00001.MTS from the camera."),
    "no_video": _l("The file has sound but no picture. Upload the video file of the session."),
    "too_large_frame": _l("The film's picture is larger than 4096×4096 pixels, which is not accepted."),
    "too_long": _l("The film is longer than the portal accepts for one session."),
    "unreadable": _l("The file could not be read in time. Upload it again."),
    "processing_failed": _l("The film could not be processed. An administrator can try again."),
    "timeout": _l("Processing took too long and was stopped. An administrator can try again."),
    "storage_unavailable": _l("The film storage could not be reached. Processing is retried; an "
                              "administrator can try again."),
    "disk_full": _l("The processing server ran out of disk space. An administrator can try again."),
    "worker_lost": _l("The processing server stopped several times. An administrator can try again."),
    "undecodable": _l("The file looks like a film, but not one picture in it can be read: the recording "
                      "is damaged or was never written to the end. Upload the film file again straight "
                      "from the camera's memory card, for example 00001.MTS."),
    "too_short": _l("The film is shorter than a session. Upload the whole recording of the session."),
}


STATUS_TEXT = {
    "awaiting_upload": _l("Waiting for the film"),
    "uploading": _l("Uploading"),
    "uploaded": _l("Uploaded, waiting for processing"),
    "processing": _l("Processing"),
    "ready": _l("Ready to watch"),
    "failed": _l("Processing failed"),
    "rejected": _l("Not a usable film"),
    "deleted": _l("Deleted"),
}


def status_text(recording):
    """The recording's status as a person reads it, with "retrying" when that is the truth."""
    if recording.status == UPLOADED and recording.reason_code == "retrying":
        return str(REASONS["retrying"])
    return str(STATUS_TEXT[recording.status])


def seconds_left(recording, now=None):
    """An estimate of the seconds left of the current processing run, or None before there is
    enough progress to tell (the rate so far, extrapolated)."""
    started, progress = recording.processing_started_at, recording.progress or 0.0
    if recording.status != PROCESSING or started is None or not 0.02 <= progress < 1:
        return None
    elapsed = ((now or utcnow()) - _aware(started)).total_seconds()
    return max(0, round(elapsed * (1 - progress) / progress))


NO_VOICE_MIN_SECONDS = 60  # a film this long in which the detector hears no voice at all is worth a word


def sound_check(recording):
    """What the leader should know about the film's sound: ``(checked, code)``. ``checked`` is
    True once it is known (the files probed, and for a film with sound its speech lane worked out);
    ``code`` is ``"no_sound"`` when no file has a sound track, ``"no_voice"`` when not one voice is
    heard in a film of a minute or more (a camera's microphone left off), else None."""
    info = recording.media_info or {}
    files = info.get("sources") or info.get("checked") or []
    if files and not any(f.get("audio_codec") for f in files):
        return True, "no_sound"
    activity = recording.activity or {}
    if activity.get("key") and (activity.get("duration") or 0) >= NO_VOICE_MIN_SECONDS \
            and not activity.get("speech_seconds"):
        return True, "no_voice"
    return bool(activity), None


def sound_text(code, short=False):
    """``sound_check``'s code as a person reads it: what to check, or (``short``) a label for a list."""
    if code == "no_sound":
        return gettext("No sound") if short else gettext(
            "The film has no sound, so the supervisor cannot hear what is said. Check the camera's microphone; "
            "if this is the wrong file, remove the film and upload the right one.")
    if code == "no_voice":
        return gettext("No voice heard") if short else gettext(
            "No voice is heard anywhere in the film. Check that the camera's microphone was on; if this is the "
            "wrong file, remove the film and upload the right one.")
    return None


def sound_warning(recording, short=False):
    """``sound_text`` of the film's ``sound_check``: what the leader should check, or None."""
    return sound_text(sound_check(recording)[1], short)


def time_left_text(seconds):
    """``seconds_left`` as a person reads it, or None."""
    if seconds is None:
        return None
    if seconds < 60:
        return gettext("Less than a minute left")
    if seconds < 5400:
        return gettext("About %(n)d min left", n=round(seconds / 60))
    return gettext("About %(n)d h left", n=round(seconds / 3600))


def reason_text(code, detail=None):
    """The translated explanation of a reason code, or None; ``detail`` (the recording's
    ``reason_detail``) adds the film's length to ``too_short``."""
    if code == "too_short" and detail:
        try:
            seconds = int(float(detail))
        except ValueError:
            seconds = None
        if seconds is not None:
            return ngettext("The film is only %(num)d second long. Upload the whole recording of the session.",
                            "The film is only %(num)d seconds long. Upload the whole recording of the session.",
                            seconds)
    message = REASONS.get(code)
    return str(message) if message is not None else None


def job_id_for(recording_id):
    """One RQ processing job id per recording: a second enqueue finds the first."""
    return f"process-recording-{recording_id}"


def check_job_id_for(recording_id):
    """One RQ job id per recording for its quick check."""
    return f"check-recording-{recording_id}"


def enqueue_processing(recording):
    """Queue the next job of an uploaded recording: its quick check (light queue) until it has
    passed (its duration is known), then its processing run (FIRST queue, which workers on the
    heavy queue take first: the run copies the film or plans its chunks, so a new film starts at
    once instead of waiting behind the chunks of films that already play). Returns the new job, or
    None when that job is already waiting or running."""
    from workers.processing import process_recording, processing_timeout
    from workers.queues import FIRST, LIGHT, enqueue, redis_connection

    if recording.duration is None:
        from workers.quick_checks import check_recording, check_timeout

        func, queue, job_id, timeout = check_recording, LIGHT, check_job_id_for(recording.id), check_timeout
    else:
        func, queue, job_id, timeout = process_recording, FIRST, job_id_for(recording.id), processing_timeout
    try:
        existing = Job.fetch(job_id, connection=redis_connection())
        if job_is_alive(existing):
            return None
        existing.delete()
    except NoSuchJobError:
        pass
    return enqueue(func, recording.id, queue=queue, job_id=job_id, timeout=timeout(recording),
                   retry_intervals=current_app.config["PROCESSING_RETRY_INTERVALS"])


def enqueue_after_upload(recording):
    """Enqueue processing right after an upload; if Redis is away the reconciler does it later."""
    try:
        enqueue_processing(recording)
    except Exception:  # noqa: BLE001 - the recording is `uploaded` in the database: nothing is lost
        log.warning("could not enqueue recording %s now; the reconciler will", recording.id, exc_info=True)


def job_is_alive(job):
    """True while a job will run without help: queued, running, or a retry not yet overdue.

    A retry waits in RQ's scheduled registry; if no scheduler moves it in time (none running,
    or it died), the reconciler takes over. A duplicate run is harmless: the job claims the
    recording in the database first.

    A job whose worker host died or lost its network stays ``started`` until some worker's RQ
    maintenance (every ten minutes) finds its heartbeat expired; so a started job's registry is
    cleaned up now, which hands an abandoned job to its next retry (or fails it).
    """
    status = job.get_status(refresh=True)
    if status == JobStatus.STARTED:
        StartedJobRegistry(job.origin, connection=job.connection).cleanup()
        status = job.get_status(refresh=True)
    if status != JobStatus.SCHEDULED:
        return status in LIVE_JOB_STATES
    due = ScheduledJobRegistry(job.origin, connection=job.connection).get_scheduled_time(job)
    grace = timedelta(seconds=current_app.config["RECONCILE_SECONDS"])
    return due is not None and _aware(due) + grace > utcnow()


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def reconcile(now=None):
    """Re-enqueue recordings and film parts whose job vanished; give up on ones that keep dying.

    Returns ``{"enqueued": n, "failed": n, "parts": n}`` (``parts``: chunk jobs queued again).
    Run by every worker on a timer; a Redis lock makes one of them do it per round. Every change
    is a guarded transition, so a job that comes back to life meanwhile keeps its work.
    """
    from workers.processing import MAX_ATTEMPTS, stale_after

    now = now or utcnow()
    counts = {"enqueued": 0, "failed": 0, "parts": 0}
    stale = now - stale_after()
    table = Recording.__table__
    lost = [table.c.planned_at.is_(None), db.or_(table.c.heartbeat_at.is_(None), table.c.heartbeat_at < stale)]
    dead = db.session.scalars(db.select(Recording).where(Recording.status == PROCESSING, *lost)).all()
    given_up = []
    for recording in dead:
        final = recording.attempts >= MAX_ATTEMPTS
        if final and recording_state.transition(recording.id, FAILED, expect=PROCESSING, where=lost,
                                                reason_code="worker_lost",
                                                reason_detail="the worker stopped beating its heartbeat"):
            audit.record("recording.failed", recording, actor=None, reason="worker_lost")
            counts["failed"] += 1
            given_up.append(recording.id)
        elif not final:
            recording_state.transition(recording.id, UPLOADED, expect=PROCESSING, where=lost,
                                       reason_code="retrying", reason_detail=None)
    db.session.commit()
    given_up += _reconcile_parts(stale, counts)
    for recording_id in given_up:
        notify_stopped(db.session.get(Recording, recording_id, populate_existing=True))
    waiting = db.session.scalars(db.select(Recording).where(Recording.status == UPLOADED)).all()
    for recording in waiting:
        if enqueue_processing(recording) is not None:
            counts["enqueued"] += 1
    if any(counts.values()):
        log.info("reconciler: %s", counts)
    return counts


def _reconcile_parts(stale, counts):
    """The chunk jobs of planned runs: a part whose heartbeat stopped goes back to waiting (or
    fails after its last attempt, and its recording with it); a waiting part without a live
    job is queued again; a run whose parts are all done is finished. Returns the ids of the
    recordings that failed here."""
    from workers.chunks import enqueue_finish, enqueue_part
    from workers.processing import MAX_ATTEMPTS

    parts = FilmPart.__table__
    current = db.select(Recording.id).where(Recording.id == FilmPart.recording_id, Recording.status == PROCESSING,
                                            Recording.job_token == FilmPart.run, Recording.planned_at.is_not(None)
                                            ).correlate(FilmPart)
    stuck = [parts.c.status == CHUNK_WORKING, db.or_(parts.c.heartbeat_at.is_(None), parts.c.heartbeat_at < stale)]
    failed = []
    for part in db.session.scalars(db.select(FilmPart).where(current.exists(), *stuck)).all():
        final = part.attempts >= MAX_ATTEMPTS
        if not recording_state.part_transition(part.id, CHUNK_FAILED if final else CHUNK_WAITING,
                                               expect=CHUNK_WORKING, where=stuck, heartbeat_at=None,
                                               reason_code="worker_lost" if final else "retrying"):
            continue
        if final and recording_state.transition(part.recording_id, FAILED, expect=PROCESSING, token=part.run,
                                                reason_code="worker_lost",
                                                reason_detail="a chunk's worker stopped beating its heartbeat"):
            audit.record("recording.failed", db.session.get(Recording, part.recording_id), actor=None,
                         reason="worker_lost")
            counts["failed"] += 1
            failed.append(part.recording_id)
    db.session.commit()
    waiting = db.session.execute(db.select(FilmPart, Recording.duration).join(
        Recording, Recording.id == FilmPart.recording_id).where(current.exists(), FilmPart.status == CHUNK_WAITING)
        .order_by(FilmPart.recording_id, FilmPart.part)).all()
    for part, duration in waiting:
        if enqueue_part(part, duration or 0.0) is not None:
            counts["parts"] += 1
    unfinished = db.select(FilmPart.id).where(FilmPart.recording_id == Recording.id,
                                              FilmPart.run == Recording.job_token, FilmPart.status != CHUNK_DONE)
    finished = db.session.scalars(db.select(Recording.id).where(
        Recording.status == PROCESSING, Recording.planned_at.is_not(None), ~unfinished.exists())).all()
    for recording_id in finished:
        enqueue_finish(recording_id)
    return failed


def retry(recording, actor):
    """An admin's retry of a failed recording: back to ``uploaded`` with fresh attempts; True when
    it was still failed (two admins pressing "retry" at once: one audit row)."""
    won = recording_state.transition(recording.id, UPLOADED, expect=FAILED, attempts=0, reason_code=None,
                                     reason_detail=None)
    db.session.expire(recording)
    if won:
        audit.record("recording.retry", recording, actor=actor)
    return won


def notify_ready(recording):
    """Tell the group's supervisors that a film is ready to watch (mail on the light queue)."""
    from portal.services import notifications

    notifications.film_ready(recording)


def notify_stopped(recording):
    """Tell the group's leaders that a film was rejected or failed for good, with the reason and
    the next step. Never raises: the recording's state is recorded already."""
    from portal.services import notifications

    try:
        notifications.film_stopped(recording)
    except Exception:  # noqa: BLE001 - a notice lost is logged; the pages still show the reason
        db.session.rollback()
        log.warning("could not notify the leaders of recording %s", recording.id, exc_info=True)


ATTENTION = (FAILED, REJECTED, UPLOADED, PROCESSING)


def needing_attention(organisation_id, q="", page=1, per_page=paging.PER_PAGE):
    """A page of the organisation's films that failed, were refused or are on their way, as
    ``(recording, session, group)`` rows, searched by group title or session title."""
    query = (db.select(Recording, GroupSession, Group)
             .join(GroupSession, Recording.group_session_id == GroupSession.id)
             .join(Group, GroupSession.group_id == Group.id)
             .where(Recording.organisation_id == organisation_id, Recording.status.in_(ATTENTION))
             .order_by(Recording.status, Recording.updated_at.desc(), Recording.id.desc()))
    if (condition := paging.matching(q, Group.title, GroupSession.title)) is not None:
        query = query.where(condition)
    return paging.paginate(query, page, per_page, scalars=False)
