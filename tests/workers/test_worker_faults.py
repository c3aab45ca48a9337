"""Real worker processes (`flask portal worker`, as in the Procfile) under faults: a work-horse
killed with kill -9 mid-encode (mid-chunk: RQ's retry of that chunk's job takes the part over at
once), and two workers with separate temporary folders sharing work.

These run once, on SQLite: the worker processes share the test's database file.
"""

import os
import signal
import time

import pytest

from portal.extensions import db
from portal.models import AuditEvent
from portal.models.media import FilmPart
from portal.models.recordings import Recording
from tests.faults.workers import Worker, duplicate_segments, require_sqlite, wait_for, worker_environment
from tests.films import group_with_session, small_parts, upload_clips


@pytest.fixture
def worker_env(app, redis_server, tmp_path):
    require_sqlite(app)
    small_parts(app)

    def env(name, **settings):
        scratch = tmp_path / f"tmp-{name}"
        scratch.mkdir()
        return worker_environment(app, redis_server.url, scratch, **settings)

    return env


def test_kill_9_mid_encode_still_ends_ready(app, factory, tmp_path, worker_env):
    ids = group_with_session(app, factory)
    recording_id = upload_clips(app, ids, tmp_path / "clips", "hevc_long")
    # A heartbeat goes stale only after ten minutes here: the killed chunk can only be taken up
    # again by RQ's retry of its own job (a second later), not by the reconciler.
    worker = Worker(worker_env("a", PROCESSING_STALE_SECONDS=600, PROCESSING_RETRY_INTERVALS="1,2,3"), "a",
                    tmp_path / "worker-a.log")
    try:
        wait_for(app, recording_id, lambda r: r.status == "processing" and r.progress > 0.05)
        _chunk_running(app, recording_id)  # the film plays already; its second chunk is encoding
        horses = worker.horses()
        assert horses, "no work-horse found"
        for pid in horses:
            os.kill(pid, signal.SIGKILL)
        rec = wait_for(app, recording_id, lambda r: r.status in ("ready", "failed"), timeout=180)
        assert rec.status == "ready"
    finally:
        worker.stop()
    assert "taken over from an earlier attempt of job encode-part-" in (tmp_path / "worker-a.log").read_text()
    with app.app_context():
        published = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "recording.ready")).all()
        assert len(published) == 1  # no duplicate publication
        # an encode in chunks: the killed chunk alone ran again
        parts = db.session.scalars(db.select(FilmPart).where(FilmPart.recording_id == recording_id)).all()
        assert max(part.attempts for part in parts) >= 2 and rec.attempts == 1
    assert duplicate_segments(app, recording_id) == 0


def _chunk_running(app, recording_id, wait=60):
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with app.app_context():
            if db.session.scalar(db.select(FilmPart.id).where(
                    FilmPart.recording_id == recording_id, FilmPart.track == "video", FilmPart.part >= 1,
                    FilmPart.status == "working")):
                return
            db.session.remove()
        time.sleep(0.05)
    raise AssertionError("no chunk after the first was encoding")


def test_two_workers_share_the_work(app, factory, tmp_path, worker_env):
    sessions = [group_with_session(app, factory) for _ in range(3)]
    recording_ids = [upload_clips(app, ids, tmp_path / "clips", "h264_aac") for ids in sessions]
    workers = [Worker(worker_env(name), name, tmp_path / f"worker-{name}.log") for name in ("a", "b")]
    try:
        for recording_id in recording_ids:
            wait_for(app, recording_id, lambda r: r.status == "ready")
    finally:
        for worker in workers:
            worker.stop()
    with app.app_context():
        ready = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "recording.ready")).all()
        assert sorted(e.object_id for e in ready) == sorted(recording_ids)
        assert all(db.session.get(Recording, i).attempts == 1 for i in recording_ids)
