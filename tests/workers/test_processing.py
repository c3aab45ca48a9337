"""Processing jobs on a real Redis and real ffmpeg: uploaded -> ready, rejected, retried,
enqueued once, and recovered by the reconciler after the job vanished."""

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import AuditEvent, User
from portal.models.base import utcnow
from portal.models.recordings import Recording
from portal.services import recordings as recording_service
from portal.services.storage import get_storage
from tests.films import ApiClient, group_with_session, small_parts, upload_clips
from workers.queues import FIRST, HEAVY, LIGHT, get_queue


@pytest.fixture
def uploaded(app, factory, tmp_path):
    """``uploaded(kinds)``: upload generated clips as one session's files; returns the recording id."""
    small_parts(app)
    ids = group_with_session(app, factory)
    return lambda *kinds: upload_clips(app, ids, tmp_path / "clips", *kinds)


def recording(app, recording_id):
    with app.app_context():
        return db.session.get(Recording, recording_id)


def keys_under(app, prefix):
    with app.app_context():
        root = get_storage().path(prefix)
        return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_two_files_become_one_ready_film(app, uploaded, run_jobs, mail_server):
    recording_id = uploaded("h264_aac", "h264_aac_b")
    run_jobs()
    rec = recording(app, recording_id)
    assert rec.status == "ready" and rec.progress == 1.0
    assert rec.media_info["path"] == "copy" and abs(rec.duration - 6.0) < 0.3
    assert rec.output_prefix.startswith(f"org/{rec.organisation_id}/rec/{rec.public_id}/out/")
    assert rec.output_kind == "hls" and abs(rec.playable_seconds - 6.0) < 0.3
    names = keys_under(app, rec.output_prefix)
    assert {"poster.jpg", "thumb.jpg", "storyboard.vtt", "storyboard-000.jpg"} <= set(names)
    assert {"p0000-00000.m4s", "p0001-00000.m4s", "p0000-a1-init.mp4"} <= set(names)  # one part per file
    with app.app_context():
        sources = db.session.get(Recording, recording_id).sources
        assert all(len(s.sha256) == 64 for s in sources)
        assert sources[0].sha256 != sources[1].sha256
        assert "recording.ready" in [e.action for e in db.session.scalars(db.select(AuditEvent))]
    run_jobs()  # the mail job queued by the notification
    message = mail_server.wait_for(recording_supervisor_email(app, recording_id))
    assert message["Subject"] == "En film är klar för handledning"
    assert "Principsession 1" in message.get_body(("plain",)).get_content()


def recording_supervisor_email(app, recording_id):
    with app.app_context():
        return db.session.get(Recording, recording_id).group_session.group.supervisors[0].email


def audit_rows(app, action, recording_id):
    with app.app_context():
        return db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.object_id == recording_id)).all()


def heavy_job_exists(app, recording_id):
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    with app.app_context():
        try:
            Job.fetch(recording_service.job_id_for(recording_id), connection=get_queue(FIRST).connection)
        except NoSuchJobError:
            return False
        return True


@pytest.mark.parametrize("kind,code", [("playlist", "not_a_video"), ("docx", "not_a_video"),
                                       ("header_only", "undecodable"), ("scrambled", "undecodable")])
def test_a_file_that_is_no_film_is_rejected_by_the_quick_check_and_its_bytes_deleted(
        app, uploaded, run_jobs, kind, code):
    recording_id = uploaded(kind)
    with app.app_context():
        assert get_queue(LIGHT).count == 1 and get_queue(FIRST).count + get_queue(HEAVY).count == 0  # checked first
    run_jobs()
    with app.app_context():
        rec = db.session.get(Recording, recording_id)
        assert rec.status == "rejected" and rec.reason_code == code
        assert rec.attempts == 0 and not heavy_job_exists(app, recording_id)  # at once: never retried
        assert recording_service.reason_text(code)
        assert get_storage().head(rec.sources[0].storage_key) is None  # the upload's bytes are gone
        assert keys_under(app, f"org/{rec.organisation_id}/rec/{rec.public_id}") == []
        assert rec.originals_deleted_at is not None
    [receipt] = audit_rows(app, "recording.originals_deleted", recording_id)
    assert receipt.detail["reason"] == code and receipt.detail["objects"] == 1
    assert receipt.detail["bytes"] > 0
    assert len(audit_rows(app, "recording.rejected", recording_id)) == 1


def test_a_film_shorter_than_the_default_minimum_is_rejected_with_its_length(app, uploaded, run_jobs):
    from config.settings import Config

    app.config["MEDIA_MIN_DURATION_SECONDS"] = Config().MEDIA_MIN_DURATION_SECONDS
    assert app.config["MEDIA_MIN_DURATION_SECONDS"] == 60  # the default, not the tests' 1 s
    recording_id = uploaded("h264_aac")
    run_jobs()
    rec = recording(app, recording_id)
    assert rec.status == "rejected" and rec.reason_code == "too_short" and rec.duration is None
    assert not heavy_job_exists(app, recording_id)
    with app.app_context():
        leader = db.session.get(User, db.session.get(Recording, recording_id).created_by_id).email
    state = ApiClient(app, leader).call("GET", f"/recordings/{recording_id}").get_json()
    assert state["status"] == "rejected"
    assert state["reason_text"] == ("Filmen är bara 3 sekunder lång. Ladda upp hela inspelningen av "
                                    "träffen.")
    assert len(audit_rows(app, "recording.originals_deleted", recording_id)) == 1
    with app.test_request_context(headers={"Accept-Language": "sv"}):  # the leaders are told, with the length
        from portal.models.supervision import Notification
        from portal.services import notifications

        texts = [notifications.message(n) for n in db.session.scalars(db.select(Notification))]
        assert len(texts) == 2 and all("Filmen är bara 3 sekunder lång." in text for text in texts)


def test_the_shortness_reason_says_second_or_seconds(app):
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        assert recording_service.reason_text("too_short", "1.7").startswith("Filmen är bara 1 sekund lång.")
        assert recording_service.reason_text("too_short", "59.9").startswith("Filmen är bara 59 sekunder lång.")
        assert recording_service.reason_text("too_short") == ("Filmen är kortare än en träff. Ladda upp "
                                                              "hela inspelningen av träffen.")


def test_an_mpeg_program_stream_from_a_dvd_camcorder_becomes_a_film(app, uploaded, run_jobs):
    recording_id = uploaded("mpeg_ps")
    run_jobs()
    rec = recording(app, recording_id)
    assert rec.status == "ready" and rec.media_info["path"] == "encode"
    assert abs(rec.duration - 3) < 0.3 and rec.attempts == 1


def test_complete_twice_runs_processing_once(app, uploaded, run_jobs):
    recording_id = uploaded("h264_aac")
    with app.app_context():
        assert recording_service.enqueue_processing(recording(app, recording_id)) is None
        assert get_queue(LIGHT).count == 1  # its quick check
    run_jobs()
    with app.app_context():
        ready = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "recording.ready")).all()
        assert len(ready) == 1
        assert recording(app, recording_id).attempts == 1


def test_reconciler_recovers_a_job_lost_with_redis(app, uploaded, run_jobs, redis_server):
    recording_id = uploaded("h264_aac")
    with app.app_context():  # its quick check passed, a worker claimed it, then died with Redis flushed under it
        rec = db.session.get(Recording, recording_id)
        rec.status, rec.attempts, rec.heartbeat_at = "processing", 1, utcnow() - timedelta(minutes=10)
        rec.duration = 3.0
        db.session.commit()
    redis_server.client.flushall()
    with app.app_context():
        assert recording_service.reconcile() == {"enqueued": 1, "failed": 0, "parts": 0}
        assert recording_service.reconcile() == {"enqueued": 0, "failed": 0, "parts": 0}  # already queued
    run_jobs()
    rec = recording(app, recording_id)
    assert rec.status == "ready" and rec.attempts == 2


def test_reconciler_recovers_a_job_whose_worker_host_died(app, uploaded, redis_server):
    """A host that dies (or loses its network) leaves its job ``started`` with a heartbeat that
    stops: the next round hands it to its retry instead of waiting for RQ's ten-minute cleanup."""
    from rq.job import Job, JobStatus

    recording_id = uploaded("h264_aac")
    with app.app_context():
        rec = db.session.get(Recording, recording_id)
        rec.status, rec.attempts, rec.heartbeat_at = "processing", 1, utcnow() - timedelta(minutes=10)
        rec.duration = 3.0
        db.session.commit()
        job = recording_service.enqueue_processing(rec)
        get_queue(FIRST).remove(job)  # taken by a worker on a host that then died:
        job.set_status(JobStatus.STARTED)  # started, its registry entry's heartbeat long expired
        redis_server.client.zadd(f"rq:wip:{FIRST}", {f"{job.id}:lost-execution": 1})
        assert recording_service.reconcile()["enqueued"] == 0  # its retry is the job now
        retried = Job.fetch(job.id, connection=redis_server.client)
        assert retried.get_status() in (JobStatus.SCHEDULED, JobStatus.QUEUED)
        assert db.session.get(Recording, recording_id).status == "uploaded"


def test_a_live_claim_is_left_alone(app, uploaded):
    recording_id = uploaded("h264_aac")
    with app.app_context():
        rec = db.session.get(Recording, recording_id)
        rec.status, rec.heartbeat_at = "processing", utcnow()
        db.session.commit()
        get_queue(FIRST).empty()
        assert recording_service.reconcile() == {"enqueued": 0, "failed": 0, "parts": 0}


def test_reconciler_gives_up_after_the_last_attempt(app, uploaded):
    recording_id = uploaded("h264_aac")
    with app.app_context():
        rec = db.session.get(Recording, recording_id)
        rec.status, rec.attempts, rec.heartbeat_at = "processing", 4, utcnow() - timedelta(hours=1)
        db.session.commit()
        assert recording_service.reconcile()["failed"] == 1
        rec = db.session.get(Recording, recording_id)
        assert rec.status == "failed" and rec.reason_code == "worker_lost"
        recording_service.retry(rec, actor=None)
        db.session.commit()
        assert rec.status == "uploaded" and rec.attempts == 0


def test_failure_is_recorded_then_retried(app, uploaded, run_jobs, monkeypatch):
    recording_id = uploaded("h264_aac")
    from workers.media import segmenting

    def broken(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(segmenting, "copy_tracks", broken)
    run_jobs()
    rec = recording(app, recording_id)
    assert rec.status == "uploaded" and rec.reason_code == "retrying"
    assert "No space left" in rec.reason_detail
    with app.app_context():
        assert recording_service.status_text(rec) == recording_service.reason_text("retrying")
    queue_job_scheduled_for_retry(app, recording_id)
    monkeypatch.undo()
    run_jobs()
    assert recording(app, recording_id).status == "ready"


def queue_job_scheduled_for_retry(app, recording_id):
    """RQ scheduled the retry with a back-off; move it to the queue now, as its scheduler would."""
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    with app.app_context():
        queue = get_queue(FIRST)
        registry = ScheduledJobRegistry(queue=queue)
        job_id = recording_service.job_id_for(recording_id)
        assert job_id in registry.get_job_ids()
        registry.remove(job_id)
        queue.enqueue_job(Job.fetch(job_id, connection=queue.connection))


def test_a_full_disk_is_named_as_such(tmp_path):
    import errno

    from workers.media.ffmpeg import FFmpegFailed
    from workers.processing import failure_code

    assert failure_code(OSError(errno.ENOSPC, "No space left on device")) == "disk_full"
    assert failure_code(FFmpegFailed("ffmpeg exited with 1", "Error: No space left on device")) == "disk_full"
    # ffmpeg on a disk with room: a processing failure, not a full disk
    assert failure_code(FFmpegFailed("ffmpeg exited with 1", ""), workdir=tmp_path) == "processing_failed"
    assert failure_code(FFmpegFailed("ffprobe timed out", timed_out=True), workdir=tmp_path) == "timeout"


def storyboard_spy(monkeypatch, app, then):
    """Replace the storyboard step: record the recording's status when it starts, then ``then``."""
    import sqlalchemy as sa

    from workers import publishing

    seen, real = [], publishing.pictures.storyboard

    def spy(video, duration, workdir, timeout):
        with db.engine.connect() as conn:
            seen.append(conn.execute(sa.text("SELECT status FROM recordings")).scalar_one())
        return then(real, video, duration, workdir, timeout)

    monkeypatch.setattr(publishing.pictures, "storyboard", spy)
    return seen


def test_the_film_is_ready_before_its_storyboard_and_stays_ready_when_that_fails(
        app, uploaded, run_jobs, monkeypatch):
    def fail(*_args):
        raise RuntimeError("storyboard broke")

    seen = storyboard_spy(monkeypatch, app, fail)
    recording_id = uploaded("h264_aac")
    run_jobs()
    rec = recording(app, recording_id)
    assert seen == ["ready"]  # watchable before the slowest picture step
    assert rec.status == "ready" and rec.attempts == 1 and rec.media_info["storyboard"] == []
    names = keys_under(app, rec.output_prefix)
    assert {"poster.jpg", "thumb.jpg", "p0000-00000.m4s"} <= set(names) and "storyboard.vtt" not in names
    with app.app_context():
        from portal.services import playback

        assert playback.media_urls(db.session.get(Recording, recording_id), 60)["storyboard"] is None


def test_a_storyboard_drawn_for_a_film_deleted_meanwhile_leaves_nothing(app, uploaded, run_jobs, monkeypatch):
    import sqlalchemy as sa

    def delete_first(real, *args):
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE recordings SET status = 'deleted'"))
        return real(*args)

    storyboard_spy(monkeypatch, app, delete_first)
    recording_id = uploaded("h264_aac")
    run_jobs()
    rec = recording(app, recording_id)
    assert rec.status == "deleted" and keys_under(app, rec.output_prefix) == []


def test_a_rejected_upload_whose_deletion_failed_is_deleted_by_the_retention_round(
        app, uploaded, run_jobs, monkeypatch):
    from portal.models import Organisation
    from portal.services import retention
    from portal.services.storage import StorageError

    def storage_away(_recording, actor=None):
        raise StorageError("the store did not answer")

    monkeypatch.setattr(retention, "delete_originals", storage_away)
    recording_id = uploaded("docx")
    run_jobs()
    with app.app_context():
        rec = db.session.get(Recording, recording_id)
        db.session.get(Organisation, rec.organisation_id).keep_originals = True  # a policy for films only
        db.session.commit()
        assert rec.status == "rejected" and get_storage().head(rec.sources[0].storage_key) is not None
    monkeypatch.undo()
    with app.app_context():
        assert retention.run_retention()["originals_deleted"] == 1
        rec = db.session.get(Recording, recording_id)
        assert get_storage().head(rec.sources[0].storage_key) is None
    assert len(audit_rows(app, "recording.originals_deleted", recording_id)) == 1
