"""Films published as HLS by the worker (issue 19), on real ffmpeg, Redis and RQ: the copy path
publishes segments while the run goes on, the encode path runs in chunk jobs and ends ready with
every frame, a failed chunk is retried alone, and the reconciler picks up lost chunks."""

import hashlib
import json
import math
import subprocess
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import AuditEvent
from portal.models.base import utcnow
from portal.models.media import FilmPart, FilmSegment
from portal.models.recordings import Recording
from portal.services import hls
from portal.services import recordings as recording_service
from tests.films import group_with_session, small_parts, upload_clips
from workers import originals
from workers.queues import FIRST, HEAVY, get_queue

# The worker's SQL is the same on both databases; the two runs that race parts to `ready`
# (copy and encode) run on both, the others on SQLite only, to keep the suite short.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def uploaded(app, factory, tmp_path):
    small_parts(app)
    app.config.update(MEDIA_FIRST_CHUNK_SECONDS=1, MEDIA_CHUNK_SECONDS=1, PROCESSING_RETRY_INTERVALS=(0, 0, 0))
    ids = group_with_session(app, factory)
    return lambda *kinds: upload_clips(app, ids, tmp_path / "clips", *kinds)


def state(app, recording_id):
    with app.app_context():
        rec = db.session.get(Recording, recording_id)
        parts = db.session.scalars(db.select(FilmPart).where(FilmPart.recording_id == recording_id,
                                                             FilmPart.run == hls.run_of(rec))
                                   .order_by(FilmPart.track, FilmPart.part)).all()
        segments = db.session.scalars(db.select(FilmSegment).where(FilmSegment.recording_id == recording_id)).all()
        db.session.expunge_all()
        return rec, parts, segments


def frames(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                          "stream=nb_read_frames", "-of", "json", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return int(json.loads(out)["streams"][0]["nb_read_frames"])


def test_the_copy_path_publishes_segments_while_the_film_is_still_processing(app, uploaded, run_jobs, monkeypatch):
    from workers import publishing

    seen, real = [], publishing.pictures.poster_and_thumbnail

    def spy(*args, **kwargs):  # the poster is made once every part is done, before `ready`
        rec, _parts, segments = state(app, recording_id)
        seen.append((rec.status, rec.output_kind, rec.playable_seconds, len(segments)))
        return real(*args, **kwargs)

    monkeypatch.setattr(publishing.pictures, "poster_and_thumbnail", spy)
    recording_id = uploaded("h264_aac", "h264_aac_b")
    run_jobs()
    [(status, kind, playable, count)] = seen
    assert status == "processing" and kind == "hls" and playable > 5.5 and count >= 4
    rec, parts, segments = state(app, recording_id)
    assert rec.status == "ready" and rec.media_info["path"] == "copy"
    assert [(p.track, p.part, p.status) for p in parts] == [
        ("audio", 0, "done"), ("audio", 1, "done"), ("video", 0, "done"), ("video", 1, "done")]
    assert abs(rec.playable_seconds - 6.0) < 0.3 and len(segments) == count


def test_the_encode_path_runs_in_chunk_jobs_and_keeps_every_frame(app, uploaded, run_jobs, tmp_path):
    from workers.publishing import joined_video

    recording_id = uploaded("mpeg_ps")
    run_jobs()
    rec, parts, segments = state(app, recording_id)
    assert rec.status == "ready" and rec.media_info["path"] == "encode" and rec.planned_at is not None
    video = [p for p in parts if p.track == "video"]
    assert len(video) >= 2 and all(p.status == "done" and p.attempts == 1 for p in parts)
    assert [p.part for p in parts if p.track == "audio"] == [0]
    assert abs(rec.playable_seconds - 3.0) < 0.2
    with app.app_context():
        assert len(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "recording.ready")).all()) == 1
        joined = joined_video(recording_id, hls.run_of(rec), rec.output_prefix, str(tmp_path), rec.duration)
    assert frames(joined) == 75  # 3 s at 25 fps: no frame lost or doubled at the cuts
    assert len({(s.track, s.part, s.idx) for s in segments}) == len(segments)


@sqlite_only
def test_the_storyboard_grows_chunk_by_chunk_and_the_ready_film_lists_every_tile(app, uploaded, run_jobs,
                                                                                 monkeypatch):
    from portal.services import playback
    from portal.services.storage import get_storage
    from workers import publishing

    real, seen = publishing.draw_tiles, []

    def spy(writer, *args, **kwargs):  # what a viewer's /play offers as each chunk draws its tiles
        board = playback.growing_storyboard(db.session.get(Recording, writer.recording_id), sign=lambda name: name)
        seen.append([part["first"] for part in board["grid"]["parts"]] if board else [])
        db.session.commit()
        return real(writer, *args, **kwargs)

    monkeypatch.setattr(publishing, "draw_tiles", spy)
    recording_id = uploaded("mpeg_ps")
    run_jobs()
    rec, parts, _segments = state(app, recording_id)
    video = [p for p in parts if p.track == "video"]
    assert rec.status == "ready" and len(video) >= 2
    assert seen == [[tiles for tiles in range(n)] for n in range(len(video))]  # one more part each time
    assert sum(p.tiles["count"] for p in video) == math.ceil(rec.duration)  # a tile a second, each once
    assert [p.tiles["first"] for p in video] == sorted({p.tiles["first"] for p in video})
    sheets = [name for p in video for name in p.tiles["sheets"]]
    assert rec.media_info["storyboard"] == sheets and sheets[0] == "storyboard/p0000-a1-000.jpg"
    with app.app_context():
        storage = get_storage()
        vtt = storage.open_read(f"{rec.output_prefix}/storyboard.vtt").read().decode()
        assert all(storage.head(f"{rec.output_prefix}/{name}") is not None for name in sheets)
        urls = playback.media_urls(db.session.get(Recording, recording_id), 60)["storyboard"]
    cues = [block.splitlines() for block in vtt.split("\n\n")[1:] if block.strip()]
    assert [cue[0].split(" --> ")[0] for cue in cues] == [f"00:00:{n:02d}.000" for n in range(len(cues))]
    assert len(cues) == math.ceil(rec.duration) and list(dict.fromkeys(cue[1].split("#")[0] for cue in cues)) == sheets
    assert urls["vtt"] and urls["grid"] is None and set(urls["sheets"]) == set(sheets)


@sqlite_only
def test_a_chunk_without_its_tiles_leaves_the_storyboard_to_the_ready_film(app, uploaded, run_jobs, monkeypatch):
    from workers import publishing

    def broken(*_args, **_kwargs):
        raise OSError("no room for the sheets")

    monkeypatch.setattr(publishing.pictures, "part_storyboard", broken)
    recording_id = uploaded("mpeg_ps")
    run_jobs()
    rec, parts, _segments = state(app, recording_id)
    assert rec.status == "ready" and all(p.tiles is None for p in parts)
    assert rec.media_info["storyboard"] == ["storyboard-000.jpg"]  # drawn whole, once the film was ready


@sqlite_only
def test_a_chunk_that_fails_once_is_retried_alone(app, uploaded, run_jobs, monkeypatch):
    from workers.media import segmenting

    real, failed = segmenting.encode_video_chunk, []

    def flaky(src, info, start, end, *args, **kwargs):
        if start > 0 and not failed:  # the second chunk, once
            failed.append(start)
            raise OSError("the encoder stumbled")
        return real(src, info, start, end, *args, **kwargs)

    monkeypatch.setattr(segmenting, "encode_video_chunk", flaky)
    recording_id = uploaded("mpeg_ps")
    run_jobs()
    rec, parts, _segments = state(app, recording_id)
    assert failed and rec.status == "ready" and rec.attempts == 1
    assert sorted(p.attempts for p in parts) == [1] * (len(parts) - 1) + [2]  # that chunk alone, again


@sqlite_only
def test_the_reconciler_requeues_a_lost_chunk(app, uploaded, run_jobs, redis_server):
    from workers import chunks

    recording_id = uploaded("mpeg_ps")
    real_enqueue = chunks.enqueue_part
    chunks.enqueue_part = lambda part, duration: None  # the planner's chunk jobs get lost (Redis flushed)
    try:
        run_jobs()
    finally:
        chunks.enqueue_part = real_enqueue
    rec, parts, _segments = state(app, recording_id)
    assert rec.status == "processing" and all(p.status == "waiting" for p in parts)
    with app.app_context():  # one chunk was taken by a worker that then died (kill -9)
        part = db.session.get(FilmPart, parts[0].id)
        part.status, part.attempts, part.heartbeat_at = "working", 1, utcnow() - timedelta(minutes=10)
        db.session.commit()
        assert recording_service.reconcile() == {"enqueued": 0, "failed": 0, "parts": len(parts)}
        assert recording_service.reconcile()["parts"] == 0  # queued already
        assert get_queue(FIRST).count + get_queue(HEAVY).count == len(parts)
    run_jobs()
    rec, parts, segments = state(app, recording_id)
    assert rec.status == "ready" and parts[0].attempts == 2
    assert len({(s.track, s.part, s.idx) for s in segments}) == len(segments)


@sqlite_only
def test_migrate_hls_converts_an_mp4_film_and_drops_the_old_output_after_the_switch(app, factory, run_jobs, tmp_path):
    from tests.films import ready_film
    from tests.workers import clips

    ids = ready_film(app, factory, duration=3.0)
    with app.app_context():
        from portal.services.storage import get_storage

        rec = db.session.get(Recording, ids["recording"])
        old, storage = rec.output_prefix, get_storage()
        storage.upload_from(clips.make("h264_aac", tmp_path), f"{old}/video.mp4", "video/mp4")
        storage.upload_from(clips.make("h264_aac", tmp_path), f"{old}/poster.jpg", "image/jpeg")  # any bytes
    runner = app.test_cli_runner()
    assert "1 films are published as MP4" in runner.invoke(args=["media", "migrate-hls", "--dry-run"]).output
    assert "Queued 1 films" in runner.invoke(args=["media", "migrate-hls"]).output
    run_jobs()
    rec, parts, segments = state(app, ids["recording"])
    assert rec.status == "ready" and rec.output_kind == "hls" and rec.output_prefix != old
    assert {p.track for p in parts} == {"video", "audio"} and all(p.status == "done" for p in parts)
    assert abs(rec.playable_seconds - 3.0) < 0.2
    with app.app_context():
        storage = get_storage()
        assert storage.head(f"{old}/video.mp4") is None  # deleted after the switch
        assert storage.head(f"{rec.output_prefix}/poster.jpg") is not None
        assert all(storage.head(f"{rec.output_prefix}/{s.name}") for s in segments)
    assert "Queued 0 films" in runner.invoke(args=["media", "migrate-hls"]).output  # nothing left to do


@sqlite_only
@pytest.mark.parametrize("cache_minutes", [60, 0])
def test_on_s3_the_copy_path_reads_each_original_once_and_hashes_the_same_bytes(
        app, factory, tmp_path, s3_server, run_jobs, monkeypatch, cache_minutes):
    """With the host's cache, the quick check's download is the copy's input; without it, the
    quick check downloads and the copy streams the object (only an MP4 whose index comes last
    is written to disk, from that same read)."""
    from portal.services.storage_s3 import S3Storage
    from workers import originals

    app.config.update(s3_server.config(s3_server.new_bucket()))
    small_parts(app)
    app.config.update(ORIGINALS_CACHE_MINUTES=cache_minutes)
    gets, written = [], []
    real_read, real_download, real_to_file = S3Storage.open_read, S3Storage.download_to, originals.Streamed.to_file
    monkeypatch.setattr(S3Storage, "open_read", lambda self, key: gets.append(key) or real_read(self, key))
    monkeypatch.setattr(S3Storage, "download_to", lambda self, key, path: gets.append(key) or real_download(
        self, key, path))
    monkeypatch.setattr(originals.Streamed, "to_file", lambda self: written.append(self.path) or real_to_file(self))
    ids = group_with_session(app, factory)
    recording_id = upload_clips(app, ids, tmp_path / "clips", "h264_aac_faststart", "h264_aac")
    run_jobs()
    rec, parts, _segments = state(app, recording_id)
    assert rec.status == "ready" and rec.media_info["path"] == "copy" and len(parts) == 4
    with app.app_context():
        sources = db.session.get(Recording, recording_id).sources
        digests, keys = [s.sha256 for s in sources], [s.storage_key for s in sources]
    originals_read = sorted(key for key in gets if key in keys)  # (the poster and storyboard read segments)
    assert originals_read == sorted(keys * (1 if cache_minutes else 2))  # the check's read, and the copy's
    assert [path.rsplit("-", 1)[1] for path in written] == ([] if cache_minutes else ["001"])
    expected = [hashlib.sha256((tmp_path / "clips" / name).read_bytes()).hexdigest()
                for name in ("phone.mp4", "camera.mp4")]
    assert digests == expected


@sqlite_only
@pytest.mark.parametrize("cache_minutes", [60, 0])
def test_on_s3_the_jobs_of_an_encode_share_one_download_per_host(
        app, factory, tmp_path, s3_server, run_jobs, monkeypatch, cache_minutes):
    """Each chunk job would otherwise fetch the whole original: 75 downloads of a 6 GB file for a
    2.5-hour film. With the host's cache: one, whatever the number of jobs; without: one per job."""
    from portal.services.storage_s3 import S3Storage

    app.config.update(s3_server.config(s3_server.new_bucket()))
    small_parts(app)
    worker_tmp = tmp_path / "worker"
    worker_tmp.mkdir()
    app.config.update(MEDIA_FIRST_CHUNK_SECONDS=1, MEDIA_CHUNK_SECONDS=1, WORKER_TMP_DIR=str(worker_tmp),
                      ORIGINALS_CACHE_MINUTES=cache_minutes)
    gets, real_read, real_download = [], S3Storage.open_read, S3Storage.download_to
    monkeypatch.setattr(S3Storage, "open_read", lambda self, key: gets.append(key) or real_read(self, key))
    monkeypatch.setattr(S3Storage, "download_to", lambda self, key, path: gets.append(key) or real_download(
        self, key, path))
    ids = group_with_session(app, factory)
    recording_id = upload_clips(app, ids, tmp_path / "clips", "mpeg_ps")
    run_jobs()
    rec, parts, _segments = state(app, recording_id)
    assert rec.status == "ready" and rec.media_info["path"] == "encode"
    with app.app_context():
        [source] = db.session.get(Recording, recording_id).sources
        key, digest = source.storage_key, source.sha256
    jobs = 2 + len(parts)  # the quick check, the planning run, each video chunk, the sound
    assert len(parts) >= 3 and gets.count(key) == (1 if cache_minutes else jobs)
    clip = next((tmp_path / "clips").iterdir())
    assert digest == hashlib.sha256(clip.read_bytes()).hexdigest()
    assert list((worker_tmp / originals.CACHE_FOLDER).iterdir() if cache_minutes else []) == []  # dropped when ready


@sqlite_only
def test_a_camera_mpeg_ts_file_with_aac_sound_is_copied(app, uploaded, run_jobs):
    recording_id = uploaded("h264_aac_ts")
    run_jobs()
    rec, parts, _segments = state(app, recording_id)
    assert rec.status == "ready" and rec.media_info["path"] == "copy"
    assert [(p.track, p.part) for p in parts] == [("audio", 0), ("video", 0)]
    assert abs(rec.playable_seconds - 3.0) < 0.3


@sqlite_only
def test_a_chunk_that_keeps_failing_fails_the_film_with_its_reason(app, uploaded, run_jobs, monkeypatch):
    from workers.media import segmenting
    from workers.media.ffmpeg import FFmpegFailed

    def broken(*_args, **_kwargs):
        raise FFmpegFailed("ffmpeg timed out after 60s", timed_out=True)

    monkeypatch.setattr(segmenting, "encode_video_chunk", broken)
    recording_id = uploaded("mpeg_ps")
    run_jobs()
    rec, parts, _segments = state(app, recording_id)
    assert rec.status == "failed" and rec.reason_code == "timeout" and recording_service.reason_text("timeout")
    assert {(p.status, p.attempts) for p in parts if p.track == "video"} >= {("failed", 4)}
    with app.app_context():
        assert len(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "recording.failed")).all()) == 1


@sqlite_only
def test_new_films_start_before_the_tails_of_films_that_play(app, factory, tmp_path):
    """Films uploaded together (their quick checks done by the light worker) each get their run
    and first chunk before any of them gets a second chunk: each plays within seconds, in turn."""
    from rq.job import Job

    from workers.chunks import part_job_id
    from workers.worker import make_worker

    small_parts(app)
    app.config.update(MEDIA_FIRST_CHUNK_SECONDS=1, MEDIA_CHUNK_SECONDS=1)
    films = [upload_clips(app, group_with_session(app, factory), tmp_path / f"clips-{n}", "mpeg_ps")
             for n in range(2)]
    with app.app_context():
        make_worker(app, queues=("light",), simple=True).work(burst=True, with_scheduler=False)  # the quick worker
        assert get_queue(FIRST).count == 2 and get_queue(HEAVY).count == 0  # both runs, ahead of any chunk
        make_worker(app, queues=("heavy",), simple=True).work(burst=True, with_scheduler=False)
    rec_a, parts_a, _ = state(app, films[0])
    rec_b, parts_b, _ = state(app, films[1])
    assert rec_a.status == rec_b.status == "ready"
    with app.app_context():
        connection = get_queue(FIRST).connection

        def ended(part):
            return Job.fetch(part_job_id(part.id), connection=connection).ended_at

        chunks_a = [p for p in parts_a if p.track == "video"]
        firsts_b = [p for p in parts_b if p.track == "audio" or p.part == 0]
        assert len(chunks_a) >= 2
        assert max(ended(p) for p in firsts_b) < min(ended(p) for p in chunks_a[1:])
