"""Fault injection in the media pipeline (issue 9): workers killed, Redis flushed or restarted,
the storage endpoint down, the worker's disk full, complete and enqueue sent twice, and a file
that is no film uploaded while another film encodes (issue 15).

Every scenario repeats its fault (``fault_repeat``) and each attempt must end with the recording
``ready`` within a bounded time, its original intact and exactly one publication: one
``recording.ready`` audit row and the published output files present. Real `flask portal worker`
processes share the test's SQLite file, so these run once, on SQLite.
"""

import hashlib
import os
import re
import subprocess
import threading
import time

import pytest
from markupsafe import escape
from rq.job import Job

from portal.extensions import db
from portal.models.recordings import Recording
from portal.services import recordings as recording_service
from tests.conftest import FAULT_REPEAT, fault_repeat
from tests.faults.tcp_proxy import FaultyTcpProxy
from tests.faults.workers import (
    Watch,
    Worker,
    add_problem,
    encoding,
    film_session,
    outcome,
    settle,
    settled,
    upload_film,
    wait_for,
    worker_environment,
)
from tests.films import ApiClient
from tests.services import RedisServer
from tests.workers import clips
from workers.processing import process_recording
from workers.queues import FIRST, get_queue

pytestmark = [pytest.mark.fault, pytest.mark.slow]

# Seconds the storage endpoint stays down; bench/faults.py sets 60.
OUTAGE_SECONDS = int(os.environ.get("FAULT_OUTAGE_SECONDS", "4"))


# A film whose processing is a real encode of several seconds (deinterlacing, AC-3 to AAC), so
# a fault can land mid-encode; quick to make, unlike tests.workers.clips "hevc_long".
ENCODE = "interlaced_ac3"
ENCODE_SECONDS = 20


@pytest.fixture
def database_url(sqlite_url):
    """Worker processes share the test's SQLite file: these scenarios run once, on SQLite."""
    return sqlite_url


@pytest.fixture(scope="session")
def clip(tmp_path_factory):
    """The bytes of a tests.workers.clips kind (ENCODE: ENCODE_SECONDS long), made once per run."""
    made = {}

    def get(kind):
        if kind not in made:
            folder = tmp_path_factory.mktemp(f"clip-{kind}")
            made[kind] = clips.make(kind, folder, seconds=ENCODE_SECONDS if kind == ENCODE else 3).read_bytes()
        return made[kind]

    return get


def retry_intervals(app, *seconds):
    """Set the processing retry intervals for jobs the test enqueues (the web side) and return
    them for a worker's environment (jobs its reconciler enqueues)."""
    app.config["PROCESSING_RETRY_INTERVALS"] = seconds
    return ",".join(map(str, seconds))


def new_film(app, factory, clip, kind):
    """A fresh group whose session gets the clip ``kind`` uploaded; (recording id, digests)."""
    ids = film_session(app, factory)
    recording_id, digest = upload_film(app, ids, clip(kind))
    return ids, recording_id, [digest]


# -- 1. kill -9 of the work-horse mid-encode (mid-chunk) -------------------------------------------------

@pytest.mark.skipif(FAULT_REPEAT < 2, reason="costly: make test runs it once in "
                    "tests/workers/test_worker_faults.py::test_kill_9_mid_encode_still_ends_ready")
def test_work_horse_killed_mid_encode(app, factory, tmp_path, clip, redis_server, fault_tally):
    worker = Worker(worker_environment(app, redis_server.url, _scratch(tmp_path, "a"),
                                       PROCESSING_RETRY_INTERVALS=retry_intervals(app, 1, 2, 3)),
                    "a", tmp_path / "worker-a.log")
    try:
        for _ in range(fault_repeat(3)):
            _ids, recording_id, digests = new_film(app, factory, clip, ENCODE)
            watch = Watch(app, recording_id)
            watch.until(encoding)
            killed = worker.kill_horses()
            result = settle(app, recording_id, digests, watch, time.monotonic())
            if not worker.alive():
                add_problem(result, "the worker died with its work-horse")
            fault_tally.record(horses_killed=killed, **result)
    finally:
        worker.stop()
    fault_tally.assert_clean()


# -- 2. every worker killed and Redis flushed while processing (mid-chunk, or while planning) ----------

def test_workers_killed_and_redis_flushed(app, factory, tmp_path, clip, redis_server, fault_tally):
    env = worker_environment(app, redis_server.url, _scratch(tmp_path, "w"))
    worker = Worker(env, "w0", tmp_path / "worker.log")
    try:
        for number in range(1, fault_repeat(3) + 1):
            _ids, recording_id, digests = new_film(app, factory, clip, ENCODE)
            watch = Watch(app, recording_id)
            # Odd attempts mid-chunk (the first chunk done, the others queued or running), even
            # ones as soon as the run has claimed the film (while it plans).
            watch.until(encoding if number % 2 else lambda r: r.status == "processing")
            worker.kill()
            redis_server.client.flushall()
            worker = Worker(env, f"w{number}", tmp_path / "worker.log")  # serves the next attempt too
            fault_tally.record(**settle(app, recording_id, digests, watch, time.monotonic()))
    finally:
        worker.stop()
    fault_tally.assert_clean()


# -- 3. Redis restarted (all its data gone) while a recording is queued or processing -----------------

def test_redis_restarted(app, factory, tmp_path, clip, fault_tally):
    redis = RedisServer(_scratch(tmp_path, "redis"))
    app.config["REDIS_URL"] = redis.url
    app.extensions.pop("portal_redis", None)
    env = worker_environment(app, redis.url, _scratch(tmp_path, "w"))
    worker = None
    try:
        for number in range(fault_repeat(4)):
            phase = ("processing", "queued")[number % 2]
            if phase == "queued":  # no worker: the job waits in Redis when Redis goes
                if worker:
                    worker.stop()
                    worker = None
                _ids, recording_id, digests = new_film(app, factory, clip, "h264_aac")
                with app.app_context():  # its quick check, waiting on the light queue
                    job = Job.fetch(recording_service.check_job_id_for(recording_id), connection=redis.client)
                    assert job.get_status() == "queued"
            else:
                worker = worker or Worker(env, f"w{number}", tmp_path / "worker.log")
                _ids, recording_id, digests = new_film(app, factory, clip, ENCODE)
            watch = Watch(app, recording_id)
            if phase == "processing":
                watch.until(encoding)
            redis.restart()
            started = time.monotonic()
            worker = worker or Worker(env, f"w{number}", tmp_path / "worker.log")
            result = settle(app, recording_id, digests, watch, started)
            if not worker.alive():
                add_problem(result, "the worker exited after the Redis restart")
                worker = None
            fault_tally.record(phase=phase, **result)
    finally:
        if worker:
            worker.stop()
        redis.stop()
    fault_tally.assert_clean()


# -- 4. the storage endpoint down during processing (S3) --------------------------------------------

def test_storage_unavailable_during_processing(app, factory, tmp_path, clip, redis_server, s3_server,
                                                fault_tally):
    config = s3_server.config(s3_server.new_bucket())
    app.config.update(config)
    app.extensions.pop("portal_storage", None)
    proxy = FaultyTcpProxy(s3_server.port)
    # The retry intervals scale with the outage: for the bench's 60 s they are the defaults
    # (10, 60, 300): the second retry comes 70 s after the first failure, after the outage.
    intervals = (max(1, OUTAGE_SECONDS // 6), OUTAGE_SECONDS, 5 * OUTAGE_SECONDS)
    env = worker_environment(app, redis_server.url, _scratch(tmp_path, "w"),
                             PROCESSING_RETRY_INTERVALS=retry_intervals(app, *intervals),
                             **{**config, "S3_ENDPOINT_URL": proxy.url})
    worker = Worker(env, "w", tmp_path / "worker.log")
    try:
        for _ in range(fault_repeat(2)):
            ids = film_session(app, factory)
            leader = ApiClient(app, ids["emails"]["uploader"])
            # Down before the worker claims the new upload, so its run meets the outage at once.
            # The upload itself (this process) reaches moto directly: only the worker's way is cut.
            proxy.down = True
            outage_began = time.monotonic()
            recording_id, digest = upload_film(app, ids, clip("h264_aac"))
            watch = Watch(app, recording_id)
            shown = _leader_sees_retrying(leader, ids["session"], recording_id, watch)
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_began)))
            proxy.down = False
            outage = round(time.monotonic() - outage_began, 1)
            result = settle(app, recording_id, [digest], watch, outage_began)
            if not (shown["api_retrying"] and shown["page_retrying"]):
                add_problem(result, f"the leader was not shown that processing is retried ({shown})")
            fault_tally.record(outage_seconds=outage, **shown, **result)
    finally:
        proxy.stop()
        worker.stop()
    fault_tally.assert_clean()


def _leader_sees_retrying(leader, session_id, recording_id, watch, timeout=90):
    """Poll the recording's API as its leader until it says "retrying", then check the leader's
    page says so too; also feeds ``watch`` so a premature ``failed`` is noticed."""
    shown = {"api_retrying": False, "page_retrying": False, "reason_text": None}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not shown["page_retrying"]:
        state = leader.call("GET", f"/recordings/{recording_id}").get_json()
        watch.note(state["status"], state["reason"], state["attempts"])
        if state["status"] == "failed":
            break
        if state["status"] == "uploaded" and state["reason"] == "retrying":
            shown["api_retrying"] = True
            shown["reason_text"] = state["reason_text"]
            page = leader.client.get(f"/sessions/{session_id}/upload").get_data(as_text=True)
            shown["page_retrying"] = bool(state["reason_text"]) and re.search(
                r'id="recording-status-text"[^>]*>' + re.escape(str(escape(state["reason_text"]))), page) is not None
        time.sleep(0.1)
    return shown


# -- 5. the worker's temporary disk full --------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 8 MiB tmpfs for the worker's temporary files, unmounted afterwards."""
    mountpoint = tmp_path / "small-disk"
    mountpoint.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mountpoint)],  # noqa: S607
                       check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as error:
        pytest.skip(f"cannot mount a tmpfs here ({error}); run as root to test a full worker disk")
    yield mountpoint
    subprocess.run(["umount", "-l", str(mountpoint)], check=False, capture_output=True, timeout=10)  # noqa: S607


def test_worker_disk_full(app, factory, tmp_path, clip, redis_server, small_disk, fault_tally):
    # 3 s before the retry: time to look at the failed run's leftovers and free the space.
    env = worker_environment(app, redis_server.url, small_disk, PROCESSING_RETRY_INTERVALS=retry_intervals(app, 3))
    worker = Worker(env, "w", tmp_path / "worker.log")
    filler = small_disk / "filler"
    try:
        for number in range(fault_repeat(5)):
            # Odd attempts: no room at all; even ones: room for the first segments but not the film
            # (on the local backend the copy path reads the original where it is stored).
            room = 0 if number % 2 == 0 else len(clip("h264_aac")) // 4
            previous = _leftovers(small_disk, filler, wait=10)  # the last run cleans up after publishing
            _fill(filler, room)
            ids = film_session(app, factory)
            recording_id, digest = upload_film(app, ids, clip("h264_aac"))
            watch = Watch(app, recording_id)
            failed = watch.until(lambda r: r.status != "processing" and r.attempts >= 1 or settled(r), timeout=60)
            first_failure = (failed.status, failed.reason_code)
            leftovers = _leftovers(small_disk, filler)
            disk_full_logged = _logged(worker, f"recording {recording_id} failed (disk_full")
            filler.unlink()
            result = settle(app, recording_id, [digest], watch, time.monotonic())
            if first_failure != ("uploaded", "retrying"):
                add_problem(result, f"after the disk filled: {first_failure}, not back to uploaded, retrying")
            if not disk_full_logged:
                add_problem(result, "the failure was not recorded as disk_full")
            if leftovers or previous:
                add_problem(result, f"temporary files left behind: {leftovers or previous}")
            fault_tally.record(room=room, first_failure=first_failure, leftovers=leftovers,
                               disk_full_logged=disk_full_logged, **result)
    finally:
        worker.stop()
    fault_tally.assert_clean()


def _fill(filler, room):
    """Fill the disk holding ``filler`` until only ``room`` bytes (about) are free."""
    stat = os.statvfs(filler.parent)
    size = max(0, stat.f_bavail * stat.f_frsize - room)
    chunk = b"\0" * (1024 * 1024)
    with open(filler, "wb") as fh:
        try:
            while size > 0:
                size -= fh.write(chunk[:size])
            fh.flush()
        except OSError:
            pass  # full already: that is the point


def _logged(worker, text, wait=3):
    """True once ``text`` is in the worker's log (it logs just after recording the failure)."""
    deadline = time.monotonic() + wait
    while text not in worker.log():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _leftovers(folder, filler, wait=3):
    """What the failed job left in the worker's temporary folder (waits for its clean-up)."""
    deadline = time.monotonic() + wait
    while True:
        left = sorted(p.name for p in folder.iterdir() if p != filler)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


# -- 6. complete and enqueue sent twice, also at the same time -----------------------------------------

def test_complete_and_enqueue_twice_process_once(app, factory, clip, run_jobs, fault_tally):
    for number in range(fault_repeat()):
        # Odd attempts send everything at once from two threads, and run the job twice at once.
        fault_tally.record(**_complete_and_enqueue_twice(app, factory, clip("h264_aac"), run_jobs,
                                                         together=number % 2 == 1))
    fault_tally.assert_clean()


def _complete_and_enqueue_twice(app, factory, data, run_jobs, together):
    ids = film_session(app, factory)
    clients = [ApiClient(app, ids["emails"]["uploader"]) for _ in range(2)]
    info, etags = clients[0].upload(ids["session"], data)
    recording_id = info["recording_id"]
    answers = _twice(together, lambda n: clients[n].complete(info["upload_id"], etags).status_code)

    def enqueue_again(n):
        with app.app_context():
            recording = db.session.get(Recording, recording_id)
            (recording_service.enqueue_processing, recording_service.enqueue_after_upload)[n](recording)
            db.session.remove()

    _twice(together, enqueue_again)
    with app.app_context():
        queued = get_queue(FIRST).count
    runs = _twice(together, lambda n: _run_inline(app, recording_id)) if together else []
    run_jobs()
    result = outcome(app, recording_id, [hashlib.sha256(data).hexdigest()])
    if answers != [200, 200]:
        add_problem(result, f"complete answered {answers}")
    if result["attempts"] != 1:
        add_problem(result, f"{result['attempts']} processing runs")
    if runs and sorted(runs) != ["ready", "skipped"]:
        add_problem(result, f"two runs at once returned {runs}")
    return {**result, "together": together, "complete_answers": answers, "queued_jobs": queued,
            "inline_runs": runs}


def _twice(together, call):
    """``call(0)`` and ``call(1)``: one after the other, or at the same time from two threads."""
    if not together:
        return [call(0), call(1)]
    results = [None, None]
    barrier = threading.Barrier(2)

    def run(n):
        barrier.wait()
        results[n] = call(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _run_inline(app, recording_id):
    """The processing job run directly, as a second worker would run a duplicate job."""
    with app.app_context():
        try:
            return process_recording(recording_id)
        finally:
            db.session.remove()


# -- 7. a file that is no film, uploaded while another session's film encodes --------------------------

QUICK_CHECK_SECONDS = 30  # issue 15: rejected within 30 s of complete, even while an encode runs


def test_probe_while_encoding(app, factory, tmp_path, clip, redis_server, fault_tally):
    """The workers of `make run` and the Procfile: one on both queues, encodes first, and one on
    the light queue only. A renamed .docx (or a film header without pictures) uploaded while an
    encode runs is rejected within seconds, its bytes deleted; the encode still ends ready."""
    env = worker_environment(app, redis_server.url, _scratch(tmp_path, "w"))
    workers = [Worker(env, "main", tmp_path / "worker-main.log", queues=("heavy", "light")),
               Worker(env, "quick", tmp_path / "worker-quick.log", queues=("light",))]
    try:
        for number in range(fault_repeat(5)):
            kind = ("docx", "header_only")[number % 2]
            _ids, film_id, digests = new_film(app, factory, clip, ENCODE)
            watch = Watch(app, film_id)
            watch.until(encoding)
            wrong_ids = film_session(app, factory)
            wrong_id, _digest = upload_film(app, wrong_ids, clip(kind), filename="00001.MTS")
            started = time.monotonic()  # complete has answered
            rejected = wait_for(app, wrong_id, settled, timeout=120, every=0.1)
            seconds = round(time.monotonic() - started, 2)
            encode_busy = watch.until(lambda r: True).status == "processing"
            result = settle(app, film_id, digests, watch, started)
            problems = _rejection_problems(app, rejected, seconds, encode_busy)
            for problem in problems:
                add_problem(result, problem)
            fault_tally.record(seconds_to_reject=seconds, kind=kind, reject_reason=rejected.reason_code,
                               encode_still_running=encode_busy, **result)
    finally:
        for worker in workers:
            worker.stop()
    fault_tally.assert_clean()


def _rejection_problems(app, rejected, seconds, encode_busy):
    from portal.models import AuditEvent
    from portal.services.storage import get_storage

    problems = []
    if rejected.status != "rejected":
        problems.append(f"the wrong file ended {rejected.status} ({rejected.reason_code}), not rejected")
    if seconds > QUICK_CHECK_SECONDS:
        problems.append(f"rejected after {seconds} s, more than {QUICK_CHECK_SECONDS} s")
    if not encode_busy:
        problems.append("the encode had finished before the rejection: nothing was measured")
    with app.app_context():
        rec = db.session.get(Recording, rejected.id)
        if any(get_storage().head(s.storage_key) is not None for s in rec.sources):
            problems.append("the rejected upload's bytes are still stored")
        receipts = db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.action == "recording.originals_deleted", AuditEvent.object_id == rec.id)).all()
        if len(receipts) != 1:
            problems.append(f"{len(receipts)} deletion receipts for the rejected upload")
    return problems


def _scratch(tmp_path, name):
    folder = tmp_path / f"tmp-{name}"
    folder.mkdir(exist_ok=True)
    return folder
