"""Real worker processes (`flask portal worker`, as in the Procfile) for fault tests, and the checks
every fault scenario ends with: the recording settled, its originals intact, one publication.

Worker processes share the test's SQLite database file, so these tests run once, on SQLite.
"""

import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models import AuditEvent
from portal.models.recordings import Recording
from portal.services.storage import LocalStorage, folder_prefix, get_storage
from tests.films import ApiClient, group_with_session
from workers.processing import MAX_ATTEMPTS

ROOT = Path(__file__).resolve().parents[2]
OUTPUT_FILES = ("poster.jpg", "thumb.jpg")  # plus every published segment and its init (FilmSegment rows)
SETTLE_SECONDS = 180  # the bound within which every recording must be ready (or failed) again


def require_sqlite(app):
    """Skip the PostgreSQL run: worker processes share the test's SQLite file."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("worker-process tests run once, on SQLite")
    return url


def worker_environment(app, redis_url, scratch, **settings):
    """The environment of a worker process for ``app``: its database, Redis and storage, the
    temporary folder ``scratch``, a quick reconciler and ``settings`` (strings) on top."""
    env = dict(os.environ, PORTAL_ENV="development", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               REDIS_URL=redis_url, STORAGE_PATH=str(app.config["STORAGE_PATH"]), SECRET_KEY="k" * 40,
               WORKER_TMP_DIR=str(scratch), PROCESSING_STALE_SECONDS="3", RECONCILE_SECONDS="1",
               UPLOAD_PART_MIB="5", MEDIA_MIN_DURATION_SECONDS="1")  # the test films last seconds
    env.update({key: str(value) for key, value in settings.items()})
    return env


class Worker:
    """`flask portal worker` (on ``queues``, default both) in its own process group; its log goes
    to ``log_path``."""

    def __init__(self, env, name, log_path, queues=()):
        self.name = name
        self.log_path = Path(log_path)
        options = [f"--queue={queue}" for queue in queues]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "portal", "worker", *options], cwd=ROOT, env=env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def horses(self):
        """Pids of this worker's forked work-horses (children of the worker process)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid and int(fields[2]) == int(entry.name):
                    found.append(int(entry.name))  # RQ puts each work-horse in a group of its own
        return found

    def kill_horses(self):
        """kill -9 of every work-horse (and its ffmpeg); returns how many there were."""
        horses = self.horses()
        for pid in horses:
            _killpg(pid)
        return len(horses)

    def kill(self):
        """kill -9 of the whole worker: its process group and its work-horses' groups."""
        horses = self.horses()
        _killpg(self.proc.pid)
        for pid in horses:
            _killpg(pid)
        self.proc.wait(timeout=10)

    def alive(self):
        return self.proc.poll() is None

    def log(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if not self.alive():
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


def _killpg(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_for(app, recording_id, predicate, timeout=120, every=0.2):
    """The recording once ``predicate(recording)`` holds. :raise AssertionError: after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            rec = db.session.get(Recording, recording_id)
            if predicate(rec):
                db.session.expunge(rec)
                return rec
            db.session.remove()
        time.sleep(every)
    raise AssertionError(f"recording {recording_id} did not get there in {timeout}s")


def settled(rec):
    return rec.status in ("ready", "failed", "rejected")


def film_session(app, factory):
    """A group with a confirmed session (tests.films.group_with_session) in an organisation that
    keeps originals, so the retention run of a worker does not delete them once a film is ready:
    here every original must survive."""
    from portal.models import Organisation

    ids = group_with_session(app, factory)
    with app.app_context():
        db.session.get(Organisation, ids["organisation"]).keep_originals = True
        db.session.commit()
    return ids


def upload_film(app, ids, data, filename="00001.MTS"):
    """Upload ``data`` as the session's one file through the API as its leader; returns
    (recording id, sha256 of the original)."""
    api = ApiClient(app, ids["emails"]["uploader"])
    info, etags = api.upload(ids["session"], data, filename=filename)
    answer = api.complete(info["upload_id"], etags)
    assert answer.status_code == 200, answer.get_json()
    return info["recording_id"], hashlib.sha256(data).hexdigest()


def originals_lost(app, recording_id, digests):
    """How many of the recording's originals are missing from storage or differ from the bytes
    uploaded (``digests``: their sha256, in position order)."""
    with app.app_context():
        rec = db.session.get(Recording, recording_id)
        keys = [s.storage_key for s in sorted(rec.sources, key=lambda s: s.position)]
        storage = get_storage()
        lost = abs(len(keys) - len(digests))
        with tempfile.TemporaryDirectory() as folder:
            for index, (key, digest) in enumerate(zip(keys, digests, strict=False)):
                path = os.path.join(folder, f"original-{index}")
                try:
                    storage.download_to(key, path)
                except Exception:  # noqa: BLE001 - any failure to read it back counts as lost
                    lost += 1
                    continue
                with open(path, "rb") as fh:
                    lost += hashlib.file_digest(fh, "sha256").hexdigest() != digest
        return lost


def publications(app, recording_id):
    """The recording's ``recording.ready`` audit rows."""
    with app.app_context():
        return len(db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.action == "recording.ready", AuditEvent.object_id == recording_id)).all())


def output_report(app, recording_id):
    """``(missing, runs)``: published output files absent from storage, and how many runs left
    outputs under the recording's output folder (1 when nothing else was left behind)."""
    with app.app_context():
        rec = db.session.get(Recording, recording_id)
        if not rec.output_prefix:
            return len(OUTPUT_FILES), 0
        storage = get_storage()
        names = {*OUTPUT_FILES, *((rec.media_info or {}).get("storyboard") or []), *_segment_keys(rec)}
        missing = sum(storage.head(f"{rec.output_prefix}/{name}") is None for name in names)
        return missing, len(_run_folders(storage, rec.output_prefix.rsplit("/", 1)[0]))


def _segment_keys(rec):
    """The names of the published segments of ``rec`` and their init segments (none for an MP4 film)."""
    from portal.models.media import FilmSegment
    from portal.services.hls import run_of

    if rec.output_kind != "hls":
        return {"video.mp4"}
    rows = db.session.scalars(db.select(FilmSegment).where(FilmSegment.recording_id == rec.id,
                                                           FilmSegment.run == run_of(rec))).all()
    assert rows, "a film published as HLS without a segment"
    return {name for row in rows for name in (row.name, row.init)}


def duplicate_segments(app, recording_id):
    """Segments of the recording's published run listed twice for one place (must be 0)."""
    from portal.models.media import FilmSegment
    from portal.services.hls import run_of

    with app.app_context():
        rec = db.session.get(Recording, recording_id)
        rows = db.session.execute(db.select(FilmSegment.track, FilmSegment.part, FilmSegment.idx).where(
            FilmSegment.recording_id == rec.id, FilmSegment.run == run_of(rec))).all()
        return len(rows) - len(set(rows))


def _run_folders(storage, root):
    if isinstance(storage, LocalStorage):
        folder = storage.path(root)
        return os.listdir(folder) if os.path.isdir(folder) else []
    answer = storage.client.list_objects_v2(Bucket=storage.bucket, Prefix=folder_prefix(root), Delimiter="/")
    return [entry["Prefix"] for entry in answer.get("CommonPrefixes", [])]


def outcome(app, recording_id, digests, expect="ready"):
    """The checks every scenario ends with, as keyword arguments for ``FaultTally.record``: the
    recording reached ``expect``, no original lost, published exactly once with all its files and
    no segment twice. ``lost`` counts originals missing or altered, extra publications, segments
    published twice and missing output files;
    ``stray_runs`` counts output folders of runs that did not publish (garbage, not a loss)."""
    with app.app_context():
        rec = db.session.get(Recording, recording_id)
        status, attempts, reason = rec.status, rec.attempts, rec.reason_code
    published = publications(app, recording_id)
    missing, runs = output_report(app, recording_id)
    doubled = duplicate_segments(app, recording_id)
    problems = []
    if doubled:
        problems.append(f"{doubled} segments published twice")
    if status != expect:
        problems.append(f"status {status} ({reason}), expected {expect}")
    if published != (1 if expect == "ready" else 0):
        problems.append(f"{published} recording.ready audit rows")
    if expect == "ready" and missing:
        problems.append(f"{missing} published output files missing")
    lost = originals_lost(app, recording_id, digests) + max(0, published - 1) + doubled
    lost += missing if expect == "ready" else 0
    return {"recovered": not problems, "lost": lost, "problem": "; ".join(problems) or None,
            "attempts": attempts, "final_reason": reason, "publications": published,
            "stray_runs": max(0, runs - (1 if published else 0))}


class Watch:
    """Polls a recording and remembers every (status, reason) it passed through."""

    def __init__(self, app, recording_id):
        self.app, self.recording_id = app, recording_id
        self.seen = []
        self.failed_early = False

    def note(self, status, reason, attempts):
        if self.seen[-1:] != [(status, reason)]:
            self.seen.append((status, reason))
        if status == "failed" and attempts < MAX_ATTEMPTS:
            self.failed_early = True

    def until(self, predicate, timeout=SETTLE_SECONDS):
        def look(rec):
            self.note(rec.status, rec.reason_code, rec.attempts)
            return predicate(rec)

        return wait_for(self.app, self.recording_id, look, timeout=timeout, every=0.1)

    def reasons(self):
        return sorted({reason for _status, reason in self.seen if reason})


def encoding(rec):
    """Mid-encode: the run has claimed the recording and reported some progress (an encode in
    chunks: its first chunk is done, the others are on their way)."""
    return rec.status == "processing" and (rec.progress or 0) > 0.05


def settle(app, recording_id, digests, watch, started):
    """Wait (bounded) for the recording to settle; the common checks as ``FaultTally.record``
    keyword arguments, with the seconds it took from ``started`` and the reasons seen."""
    timed_out = None
    try:
        watch.until(settled)
    except AssertionError as error:
        timed_out = str(error)
    result = outcome(app, recording_id, digests)
    result.update(seconds_to_ready=round(time.monotonic() - started, 1), reason_seen=watch.reasons())
    if timed_out:
        add_problem(result, timed_out)
    if watch.failed_early:
        add_problem(result, "failed before the retries were spent")
    return result


def add_problem(result, problem):
    """Mark an attempt's result as not recovered, because of ``problem``."""
    result["recovered"] = False
    result["problem"] = "; ".join(filter(None, [result.get("problem"), problem]))
