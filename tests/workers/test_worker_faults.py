"""Real worker processes (`flask portal worker`, as in the Procfile) under faults: a work-horse
killed with kill -9 mid-encode, and two workers with separate temporary folders sharing work.

These run once, on SQLite: the worker processes share the test's database file.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import AuditEvent
from portal.models.recordings import Recording
from tests.films import group_with_session, small_parts, upload_clips

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_env(app, redis_server, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("worker-process tests run once, on SQLite")
    small_parts(app)

    def env(name):
        scratch = tmp_path / f"tmp-{name}"
        scratch.mkdir()
        return dict(os.environ, PORTAL_ENV="development", DATABASE_URL=url, REDIS_URL=redis_server.url,
                    STORAGE_PATH=str(app.config["STORAGE_PATH"]), SECRET_KEY="k" * 40,
                    WORKER_TMP_DIR=str(scratch), PROCESSING_STALE_SECONDS="3", RECONCILE_SECONDS="1",
                    UPLOAD_PART_MIB="5")

    return env


class Worker:
    """`flask portal worker` in its own process."""

    def __init__(self, env, name):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "portal", "worker"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        self.name = name

    def horses(self):
        """Pids of this worker's forked work-horses (children of the worker process)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid:
                    found.append(int(entry.name))
        return found

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


def wait_for(app, recording_id, predicate, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            rec = db.session.get(Recording, recording_id)
            if predicate(rec):
                return rec
            db.session.remove()
        time.sleep(0.2)
    raise AssertionError(f"recording {recording_id} did not get there in {timeout}s")


def test_kill_9_mid_encode_still_ends_ready(app, factory, tmp_path, worker_env):
    ids = group_with_session(app, factory)
    recording_id = upload_clips(app, ids, tmp_path / "clips", "hevc_long")
    worker = Worker(worker_env("a"), "a")
    try:
        wait_for(app, recording_id, lambda r: r.status == "processing" and r.progress > 0.05)
        horses = worker.horses()
        assert horses, "no work-horse found"
        for pid in horses:
            os.kill(pid, signal.SIGKILL)
        rec = wait_for(app, recording_id, lambda r: r.status in ("ready", "failed"), timeout=180)
        assert rec.status == "ready" and rec.attempts >= 2
    finally:
        worker.stop()
    with app.app_context():
        published = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "recording.ready")).all()
        assert len(published) == 1  # no duplicate publication


def test_two_workers_share_the_work(app, factory, tmp_path, worker_env):
    sessions = [group_with_session(app, factory) for _ in range(3)]
    recording_ids = [upload_clips(app, ids, tmp_path / "clips", "h264_aac") for ids in sessions]
    workers = [Worker(worker_env(name), name) for name in ("a", "b")]
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
