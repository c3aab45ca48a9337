"""Media pipeline benchmark: time from upload-complete to ``ready`` through the real worker, for
generated 1080p30 films (H.264/AAC, HEVC/AAC, interlaced H.264/AC-3), against a plain
``ffmpeg -c copy -movflags +faststart`` and MediaCMS's and PeerTube's default 720p H.264 commands
on the same files, in one run.

    .venv/bin/python bench/media_paths.py [--minutes 10]

Starts a private redis-server and the real worker (``flask portal worker``) on a fresh SQLite
database with local storage, uploads each film through the upload service and polls the
database until the recording is ``ready``. Then times the baselines, the storyboard step on its
own and our encode as one process against two keyframe-aligned halves encoded at once and
joined, and measures SSIM against the source. Results: bench/results/media_paths.json
(+ docs/benchmarks/media_paths.png when matplotlib is importable).
"""

import argparse
import json
import math
import os
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

from _common import LEADER, ROOT, VENV, Processes, bootstrap_app, local_env, run, start_redis

sys.path.insert(0, str(ROOT))
import ffmpeg  # noqa: E402 - ffmpeg-python, as the pipeline builds its commands

from workers.media import ffmpeg as gate  # noqa: E402
from workers.media import pictures, pipeline, probe, transcode  # noqa: E402

FFMPEG = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
TICKS = os.sysconf("SC_CLK_TCK")
UNIT_SECONDS = 60  # lavfi renders one minute; longer films repeat it with -c copy
NOISE = "noise=alls=4:allf=t"  # light sensor-like grain, so the picture is not trivially compressible
# Audio ends 50 ms before the video, so the unit's length is the video's and -stream_loop
# continues the frames on the 30 fps grid (an AAC tail past 60 s shifted every later unit).
AUDIO = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration={s}"]
AUDIO_SHORTER = 0.05
CAMERA_H264 = ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
               "-g", "30", "-b:v", "16M", "-maxrate", "20M", "-bufsize", "20M"]
SOURCES = {  # kind: file name, lavfi video, encoder and muxer arguments
    "h264": ("camera-h264.mp4", f"testsrc2=size=1920x1080:rate=30:duration={{s}},{NOISE}",
             [*CAMERA_H264, "-c:a", "aac", "-b:a", "128k"]),
    "hevc": ("phone-hevc.mp4", f"testsrc2=size=1920x1080:rate=30:duration={{s}},{NOISE}",
             ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:keyint=30",
              "-b:v", "10M", "-pix_fmt", "yuv420p", "-tag:v", "hvc1", "-c:a", "aac", "-b:a", "128k"]),
    "interlaced": ("camera-interlaced.mts",  # 60 fields/s woven into 30 top-field-first frames
                   f"testsrc2=size=1920x1080:rate=60:duration={{s}},{NOISE},"
                   "tinterlace=mode=interleave_top,setfield=tff",
                   [*CAMERA_H264, "-flags", "+ildct+ilme", "-x264-params", "tff=1",
                    "-c:a", "ac3", "-b:a", "256k", "-f", "mpegts"]),
}
UPLOAD_SNIPPET = r"""
import io, json, os, sys, time
from portal import create_app
from portal.extensions import db
from portal.models import GroupSession, User
from portal.services import recordings, uploads
from portal.services.storage import get_storage

session_id, path, email = int(sys.argv[1]), sys.argv[2], sys.argv[3]  # [4]: barrier folder
app = create_app()
with app.test_request_context():
    leader = db.session.scalar(db.select(User).where(User.email == email))
    content_type = "video/mp2t" if path.endswith(".mts") else "video/mp4"
    source, _resumed = uploads.start_upload(leader, db.session.get(GroupSession, session_id),
                                            os.path.basename(path), os.path.getsize(path), content_type)
    db.session.commit()
    storage, parts = get_storage(), []
    with open(path, "rb") as fh:  # the bytes a browser PUTs to the signed part URLs
        for number in range(1, source.part_count + 1):
            etag = storage.write_part(source.storage_key, source.upload_id, number,
                                      io.BytesIO(fh.read(source.part_size)))
            parts.append({"number": number, "etag": etag.strip('"')})
    if len(sys.argv) > 4:  # a barrier folder: say the bytes are up, complete when told to (films at once)
        open(os.path.join(sys.argv[4], f"{source.recording_id}.up"), "w").close()
        while not os.path.exists(os.path.join(sys.argv[4], "go")):
            time.sleep(0.01)
    uploads.complete_upload(leader, source, parts)  # what POST /uploads/<id>/complete does
    db.session.commit()
    completed = time.time()
    if uploads.finish_recording(leader, source.recording_id):
        recordings.enqueue_after_upload(source.recording)
    print(json.dumps({"recording": source.recording_id, "completed": completed, "parts": len(parts)}))
"""


def load():
    return [round(x, 2) for x in os.getloadavg()]


def sh(args, cwd=None):
    """Run a command at the worker's niceness and sandbox; wall and CPU seconds (its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run([*gate.sandbox_prefix(), *args], cwd=cwd, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(f"{args[0]} exited with {result.returncode}: {result.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def timed(fn, *args, **kwargs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    value = fn(*args, **kwargs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return value, time.monotonic() - started, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


# -- sources -------------------------------------------------------------------------------------

def generate(kind, folder, seconds):
    """Write the ``kind`` film of ``seconds`` into ``folder``: a lavfi unit, repeated by stream copy."""
    name, video, args = SOURCES[kind]
    out = folder / name
    if out.exists():
        return out
    unit_seconds = min(UNIT_SECONDS, seconds)
    unit = folder / f"unit-{name}" if seconds > unit_seconds else out
    audio = [a.format(s=unit_seconds - AUDIO_SHORTER) for a in AUDIO]
    nice = ["nice", "-n", str(gate.NICENESS)]  # not measured: leave the CPU to others' work
    subprocess.run([*nice, *FFMPEG, "-f", "lavfi", "-i", video.format(s=unit_seconds), *audio, *args, str(unit)],
                   check=True)
    if unit != out:
        mux = ["-f", "mpegts"] if name.endswith(".mts") else []
        subprocess.run([*nice, *FFMPEG, "-stream_loop", str(math.ceil(seconds / unit_seconds) - 1), "-i", str(unit),
                        "-map", "0", "-c", "copy", "-t", str(seconds), *mux, str(out)], check=True)
        unit.unlink()
    return out


def cut(film, seconds, folder):
    """The first ``seconds`` of ``film`` by stream copy (it starts on a keyframe), or ``film`` itself."""
    if not seconds or seconds >= probe.describe(str(film)).duration - 1:
        return film
    out = folder / f"cut-{seconds:g}s-{film.name}"
    if not out.exists():
        mux = ["-f", "mpegts"] if film.suffix == ".mts" else []
        subprocess.run([*FFMPEG, "-i", str(film), "-map", "0", "-c", "copy", "-t", f"{seconds:g}", *mux, str(out)],
                       check=True)
    return out


# -- the real worker -----------------------------------------------------------------------------

def wait_for_worker(redis_url, worker, timeout=60):
    from redis import Redis

    conn = Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.returncode}")
        if conn.scard("rq:workers"):
            return
        time.sleep(0.2)
    raise RuntimeError("the worker did not register with Redis")


def recording_row(db_path, recording_id):
    columns = ("status", "media_info", "output_prefix", "duration", "uploaded_at", "ready_at", "reason_code",
               "reason_detail", "attempts")
    while True:
        try:
            with sqlite3.connect(db_path, timeout=5) as conn:
                row = conn.execute(f"SELECT {', '.join(columns)} FROM recordings WHERE id = ?",  # noqa: S608
                                   (recording_id,)).fetchone()
            return dict(zip(columns, row, strict=True))
        except sqlite3.OperationalError:  # the worker holds the write lock for a moment
            time.sleep(0.05)


def process_cpu(pid):
    """CPU seconds of ``pid`` and of its children it has waited for (utime..cstime, proc(5) stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICKS


def through_worker(env, session_id, src, db_path, storage_root, redis_url, worker_pid, timeout):
    """Upload ``src`` through the upload service and time upload-complete -> ``ready``. CPU: the
    worker's and its reaped work-horses' (and so their ffmpeg's) over the run."""
    from redis import Redis
    from rq.job import Job

    cpu_before = process_cpu(worker_pid)
    out = subprocess.run([str(VENV / "python"), "-c", UPLOAD_SNIPPET, str(session_id), str(src), LEADER],
                         cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    upload = json.loads(out.strip().splitlines()[-1])
    deadline = time.monotonic() + timeout
    while (row := recording_row(db_path, upload["recording"]))["status"] not in ("ready", "failed", "rejected"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"recording {upload['recording']} still {row['status']} after {timeout}s")
        time.sleep(0.2)
    seen = time.time()
    if row["status"] != "ready":
        raise RuntimeError(f"recording ended {row['status']}: {row['reason_code']} {row['reason_detail']}")
    for _ in range(int(timeout * 10)):  # the job goes on after ready (the storyboard), then RQ writes ended_at
        job = Job.fetch(f"process-recording-{upload['recording']}", connection=Redis.from_url(redis_url))
        if job.ended_at is not None:
            break
        time.sleep(0.1)
    time.sleep(1.0)  # the worker reaps the work-horse after the job has written ended_at
    cpu = process_cpu(worker_pid) - cpu_before
    info = json.loads(row["media_info"])
    video = Path(storage_root) / row["output_prefix"] / "video.mp4"
    db_s = (datetime.fromisoformat(row["ready_at"]) - datetime.fromisoformat(row["uploaded_at"])).total_seconds()
    return {"recording": upload["recording"], "plan": info["path"], "reasons": info["reasons"],
            "duration": info["duration"], "seconds": seen - upload["completed"], "db_seconds": db_s,
            "queue_wait_s": (job.started_at - job.enqueued_at).total_seconds(),
            "job_s": (job.ended_at - job.started_at).total_seconds(), "cpu_s": cpu, "attempts": row["attempts"],
            "output": str(video), "output_bytes": video.stat().st_size}


def copy_phases(src, workdir):
    """The worker's steps for a COPY film, one by one, to show where its time goes."""
    phases = {}
    workdir.mkdir(parents=True)
    local = workdir / "source-000"
    _, phases["download (LocalStorage copy)"], _ = timed(shutil.copyfile, src, local)
    _, phases["sha256"], _ = timed(probe.sha256_of, local)
    (infos, path, _reasons), phases["probe"], _ = timed(pipeline.inspect, [str(local)])
    part, video = workdir / "part-000.mp4", workdir / "video.mp4"
    _, phases["remux (-c copy, faststart)"], _ = timed(
        transcode.make_playable, str(local), str(part), infos[0], path, workdir=str(workdir),
        timeout=pipeline.job_timeout(infos[0].duration, path))
    os.replace(part, video)
    duration = infos[0].duration
    _, phases["poster + thumbnail"], _ = timed(pictures.poster_and_thumbnail, str(video), duration, str(workdir))
    _, phases["storyboard"], _ = timed(pictures.storyboard, str(video), duration, str(workdir),
                                       timeout=pipeline.job_timeout(duration, "audio"))
    _, phases["upload outputs (LocalStorage copy)"], _ = timed(shutil.copyfile, video, workdir / "published.mp4")
    return {name: round(seconds, 2) for name, seconds in phases.items()}


# -- baselines -----------------------------------------------------------------------------------

def ffprobe(path):
    data = gate.ffprobe(path)
    video = next(s for s in data["streams"] if s["codec_type"] == "video")
    audio = next((s for s in data["streams"] if s["codec_type"] == "audio"), None)
    return data["format"], video, audio


def copy_args(src, dst):
    """(a) the plain remux the copy path is held against."""
    return [*FFMPEG, "-i", str(src), "-c", "copy", "-movflags", "+faststart", str(dst)]


def mediacms_args(src, dst):
    """(b) MediaCMS files/helpers.py produce_ffmpeg_commands(resolution=720, codec="h264"):
    CRF (one pass) for films over CRF_ENCODING_NUM_SECONDS = 2 s, preset "faster" for heights
    >= 720 (X26x_PRESET_BIG_HEIGHT), VIDEO_BITRATES h264 720 = 2500k x 1.5 for maxrate and bufsize."""
    _fmt, video, audio = ffprobe(src)
    fps = Fraction(video["r_frame_rate"])
    while fps > 60:
        fps /= 2
    rate = 2500 if fps <= 30 else 3500
    keyframes = int(fps * 4)  # KEYFRAME_DISTANCE = 4 s
    filters = (["yadif"] if video.get("field_order") in ("tt", "tb", "bt", "bb") else []) + [
        "scale=if(lt(iw\\,ih)\\,720\\,1280):if(lt(iw\\,ih)\\,1280\\,720):force_original_aspect_ratio=decrease"
        ":force_divisible_by=2:flags=lanczos", f"fps=fps={fps}"]
    cmd = [*FFMPEG, "-i", str(src), "-c:v", "libx264", "-filter:v", ",".join(filters), "-pix_fmt", "yuv420p",
           "-crf", "23"]
    if audio:
        cmd += ["-c:a", "aac", "-b:a", "128k", "-ac", "2"]
    return cmd + ["-maxrate", f"{int(rate * 1.5)}k", "-bufsize", f"{int(rate * 1.5)}k",
                  "-force_key_frames", "expr:gte(t,n_forced*4)",
                  "-x264-params", f"keyint={keyframes * 2}:keyint_min={keyframes}", "-preset", "faster",
                  "-profile:v", "main", "-level", "4.2", "-strict", "-2", str(dst)]


def peertube_args(src, out_dir, threads=1):
    """(c) PeerTube's default VOD profile for 720p in its default HLS mode (config/default.yaml:
    transcoding.threads 1, hls enabled, web_videos off). Bitrate from core-utils videos/bitrate.ts,
    options from ffmpeg-default-transcoding-profile.ts, shared/presets.ts, shared/encoder-options.ts,
    ffmpeg-vod.ts and ffmpeg-command-wrapper.ts."""
    fmt, video, audio = ffprobe(src)
    width, height = int(video["width"]), int(video["height"])
    fps = round(float(Fraction(video.get("avg_frame_rate") or video["r_frame_rate"])))  # 30: kept at 720p
    ratio = round(width / height, 4)  # buildAspectRatio: 4 decimals
    resolution = 720
    average = math.floor(resolution * resolution * ratio * fps * 0.11)  # averageBitPerPixel[720p]
    minimum = math.floor(resolution * resolution * ratio * fps * 0.02)
    input_bitrate = int(fmt.get("bit_rate") or 0)
    target = max(minimum, min(average, input_bitrate * 1.3) if input_bitrate else average)
    target = int(target)
    cmd = [*FFMPEG, "-i", str(src)]
    if threads:
        cmd += ["-threads", str(threads)]
    cmd += ["-movflags", "faststart", "-max_muxing_queue_size", "1024", "-map_metadata", "-1",
            "-pix_fmt", "yuv420p", "-c:v", "libx264", "-vf", f"scale=w=-2:h={resolution}",
            "-preset", "veryfast", "-maxrate:v", str(target), "-bufsize:v", str(target * 2),
            "-b_strategy", "1", "-bf", "16", "-r", str(fps), "-g:v", str(fps * 2)]
    if audio:  # HLS: canCopyAudio false; getMaxAudioBitrate() keeps AAC up to 384k at ffmpeg's default
        bitrate, codec = int(audio.get("bit_rate") or 0), audio["codec_name"]
        cmd += ["-c:a", "aac", "-channel_layout", "stereo"]
        if not bitrate:
            cmd += ["-b:a", "256k"]
        elif codec == "aac":
            cmd += ["-b:a", "384k"] if bitrate > 384_000 else []
        else:
            cmd += ["-b:a", "128k" if bitrate <= 192_000 else "256k" if bitrate <= 384_000 else "384k"]
    segment = out_dir / f"{resolution}-fragmented.mp4"
    cmd += ["-hls_time", "4", "-hls_list_size", "0", "-hls_playlist_type", "vod", "-hls_segment_filename",
            str(segment), "-hls_segment_type", "fmp4", "-f", "hls", "-hls_flags", "single_file",
            str(out_dir / f"{resolution}.m3u8")]
    return cmd, segment


def ssim(src, outputs, seconds=0):
    """SSIM All of each output against the source, deinterlaced with our yadif and scaled to the
    output's size with ffmpeg's default scaler, frame n against frame n, in one pass, over the
    first ``seconds`` (0: all). ``outputs``: {label: path}."""
    info = probe.describe(str(src))
    labels = list(outputs)
    deinterlace = "yadif=mode=0," if info.interlaced else ""
    by_index = f"setpts=N/({info.frame_rate:g}*TB)"  # pair the n-th frames, whatever their timestamps
    graph = [f"[{len(labels)}:v]{deinterlace}{by_index},split={len(labels)}"
             + "".join(f"[s{i}]" for i in range(len(labels)))]
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-nostats"]
    # the shortest output bounds the window: past its end the ssim filter would repeat its last frame
    seconds = min([seconds or math.inf] + [probe.describe(str(path)).duration for path in outputs.values()])
    window = ["-t", f"{seconds:.3f}"]
    maps = []
    for i, label in enumerate(labels):
        _fmt, video, _audio = ffprobe(outputs[label])
        graph += [f"[s{i}]scale={video['width']}:{video['height']}[r{i}]", f"[{i}:v]{by_index}[m{i}]",
                  f"[m{i}][r{i}]ssim@{label}[o{i}]"]
        cmd += [*window, "-i", str(outputs[label])]
        maps += ["-map", f"[o{i}]", "-f", "null", "-"]
    cmd += [*window, "-i", str(src), "-filter_complex", ";".join(graph), *maps]
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    found = dict(re.findall(r"\[ssim@(\w+) @ 0x[0-9a-f]+\] SSIM .* All:([0-9.]+)", result.stderr))
    return {label: float(found[label]) for label in labels} | {"window_s": seconds}


# -- storyboard and chunking ---------------------------------------------------------------------

def picture_speed(video, duration, workdir):
    workdir.mkdir(parents=True)
    _, poster_s, _ = timed(pictures.poster_and_thumbnail, str(video), duration, str(workdir))
    (sheets, _vtt), board_s, cpu = timed(pictures.storyboard, str(video), duration, str(workdir),
                                         timeout=pipeline.job_timeout(duration, "audio"))
    return {"storyboard_s": board_s, "storyboard_cpu_s": cpu, "storyboard_x_realtime": duration / board_s,
            "poster_thumbnail_s": poster_s, "sheets": len(sheets)}


def chunking(src, workdir):
    """Our encode of ``src`` as one ffmpeg process against: split at a keyframe near the middle
    (stream copy), both halves encoded at once (two worker processes), joined by stream copy."""
    info = probe.describe(str(src))
    timeout = pipeline.job_timeout(info.duration, probe.ENCODE)
    single_dir, chunk_dir = workdir / "single", workdir / "chunks"
    single_dir.mkdir()
    chunk_dir.mkdir()
    single = single_dir / "video.mp4"
    _, single_s, single_cpu = timed(transcode.make_playable, str(src), str(single), info, probe.ENCODE,
                                    workdir=str(single_dir), timeout=timeout)
    started = time.monotonic()
    split = ffmpeg.input(str(src), f=transcode.input_format(info), **gate.input_options()).output(
        str(chunk_dir / "half-%d.mp4"), map="0", c="copy", f="segment", segment_times=f"{info.duration / 2:.3f}",
        reset_timestamps="1", segment_format="mp4")
    _, split_s, split_cpu = timed(gate.run, split, cwd=str(chunk_dir), timeout=timeout)
    halves = sorted(chunk_dir.glob("half-*.mp4"))
    half_infos = [probe.describe(str(h)) for h in halves]
    parts = [chunk_dir / f"part-{i:03d}.mp4" for i in range(len(halves))]
    half_s, errors = [0.0] * len(halves), []

    def encode(i):
        t = time.monotonic()
        try:
            transcode.make_playable(str(halves[i]), str(parts[i]), half_infos[i], probe.ENCODE,
                                    workdir=str(chunk_dir), timeout=timeout)
        except Exception as error:  # noqa: BLE001 - re-raised below, in the main thread
            errors.append(error)
        half_s[i] = time.monotonic() - t

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    threads = [threading.Thread(target=encode, args=(i,)) for i in range(len(halves))]
    t = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    parallel_s = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if errors:
        raise errors[0]
    joined = chunk_dir / "video.mp4"
    _, join_s, _ = timed(transcode.join, [str(p) for p in parts], str(joined), workdir=str(chunk_dir),
                         timeout=timeout)
    total_s = time.monotonic() - started
    return {"source_duration": info.duration, "single_s": single_s, "single_cpu_s": single_cpu,
            "single_cores_used": single_cpu / single_s, "split_s": split_s, "split_cpu_s": split_cpu,
            "halves": [round(h.duration, 3) for h in half_infos], "half_encode_s": half_s,
            "parallel_s": parallel_s,
            "parallel_cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "join_s": join_s, "chunked_total_s": total_s, "speedup": single_s / total_s,
            "single_output_duration": probe.describe(str(single)).duration,
            "chunked_output_duration": probe.describe(str(joined)).duration}


# -- report --------------------------------------------------------------------------------------

def machine():
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown")
    version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.splitlines()[0]
    return {"nproc": os.cpu_count(), "cpu": model, "ffmpeg": version, "python": sys.version.split()[0],
            "sandbox_prefix": gate.sandbox_prefix()}


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def chart(result, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    kinds = list(result["sources"])
    paths = [p for p in ("ours", "copy", "mediacms", "peertube", "peertube_auto_threads")
             if any(p in result["sources"][k]["seconds"] for k in kinds)]
    scaled = f", scaled from first {result['baseline_minutes']:g} min" if result.get("baseline_minutes") else ""
    names = {"ours": "ours: upload-complete → ready", "copy": "(a) ffmpeg -c copy +faststart",
             "mediacms": f"(b) MediaCMS h264-720{scaled}", "peertube": f"(c) PeerTube 720p, threads 1{scaled}",
             "peertube_auto_threads": f"(c′) PeerTube 720p, threads auto{scaled}"}
    colours = {"ours": "#1f77b4", "copy": "#9ecae1", "mediacms": "#7f7f7f", "peertube": "#bdbdbd",
               "peertube_auto_threads": "#d9d9d9"}
    width = 0.8 / len(paths)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for j, name in enumerate(paths):
        xs = [i + (j - (len(paths) - 1) / 2) * width for i in range(len(kinds))]
        values = [result["sources"][k]["seconds"].get(name, 0) for k in kinds]
        bars = ax.bar(xs, values, width, label=names[name], color=colours[name])
        for bar, value in zip(bars, values, strict=True):
            if value:
                ax.text(bar.get_x() + bar.get_width() / 2, value, f"{value:.0f}", ha="center", va="bottom",
                        fontsize=8)
    labels = {k: f"{k}\n({result['sources'][k]['plan']} path)" for k in kinds}
    ax.set_xticks(range(len(kinds)), [labels[k] for k in kinds])
    ax.set_ylabel("seconds (lower is better)")
    ax.set_title(f"{result['minutes']:g}-minute 1080p30 films, {result['machine']['nproc']} cores")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def measure_chunking(result, film, minutes, workdir, step):
    workdir.mkdir()
    result["chunking"] = c = step("chunking hevc", chunking, cut(film, (minutes or 0) * 60, workdir), workdir)
    result["uptime_end"] = uptime()
    print(f"chunking (hevc, {c['source_duration']:.0f}s): one process {c['single_s']:.1f}s "
          f"({c['single_cores_used']:.2f} cores); split {c['split_s']:.1f}s + two halves at once "
          f"{c['parallel_s']:.1f}s ({c['parallel_cpu_s'] / c['parallel_s']:.2f} cores) + join {c['join_s']:.1f}s "
          f"= {c['chunked_total_s']:.1f}s; speed-up x{c['speedup']:.2f}", flush=True)


def print_summary(result):
    print()
    print(f"{'source':11} {'path':24} {'s':>8} {'x realtime':>10} {'CPU s':>8} {'SSIM':>7}  measured on")
    for kind, row in result["sources"].items():
        duration = row["duration"]
        for name, seconds in row["seconds"].items():
            cpu, value = row["cpu_s"].get(name), row["ssim"].get(name)
            on = row["measured"].get(name, {}).get("input_seconds", duration)
            note = "whole film" if on >= duration - 1 else f"first {on:.0f}s, scaled x{duration / on:.2f}"
            print(f"{kind:11} {name:24} {seconds:8.1f} {duration / seconds:10.1f} "
                  f"{'' if cpu is None else f'{cpu:8.1f}':>8} {'' if value is None else f'{value:.4f}':>7}  {note}")
    print()
    for line in result["targets"]:
        print(line)


def targets(result):
    lines, met = [], {}
    for kind, row in result["sources"].items():
        s = row["seconds"]
        if row["plan"] in (probe.COPY, probe.AUDIO):
            ratio = s["ours"] / s["copy"]
            met[f"{kind}: copy path within 1.5x of (a)"] = ratio <= 1.5
            lines.append(f"{kind}: ours / (a) copy = {ratio:.2f} (target <= 1.5)")
        else:
            cpu = row["cpu_s"]
            if "mediacms" in s:
                ratio = s["ours"] / s["mediacms"]
                met[f"{kind}: encode path <= 0.5x (b)"] = ratio <= 0.5
                lines.append(f"{kind}: ours / (b) MediaCMS = {ratio:.2f} (target <= 0.5); "
                             f"by CPU seconds {cpu['ours'] / cpu['mediacms']:.2f}")
            if "peertube" in s:
                ratio = s["ours"] / s["peertube"]
                met[f"{kind}: encode path no slower than (c)"] = ratio <= 1.0
                lines.append(f"{kind}: ours / (c) PeerTube = {ratio:.2f} (target <= 1.0); "
                             f"by CPU seconds {cpu['ours'] / cpu['peertube']:.2f}")
            met[f"{kind}: SSIM >= 0.95"] = row["ssim"]["ours"] >= 0.95
            lines.append(f"{kind}: SSIM ours = {row['ssim']['ours']:.4f} (target >= 0.95)")
        x = row["pictures"]["storyboard_x_realtime"]
        met[f"{kind}: storyboard >= 25x realtime"] = x >= 25
        lines.append(f"{kind}: storyboard {x:.0f}x realtime (target >= 25)")
    return lines, met


# -- main ----------------------------------------------------------------------------------------

def interrupted(_signum, _frame):
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C


def baseline_runs(film, plan, out, args):
    """(name, command, output to compare, input it ran on) for the baselines of one film; (b) and
    (c) run on the first --baseline-minutes when that is given."""
    out.mkdir(parents=True)
    runs = [("copy", copy_args(film, out / "copy.mp4"), None, film)]
    if plan == probe.ENCODE or args.baselines_on_copy_source:
        src = cut(film, (args.baseline_minutes or 0) * 60, out)
        runs.append(("mediacms", mediacms_args(src, out / "mediacms.mp4"), out / "mediacms.mp4", src))
        for name, threads in (("peertube", 1), ("peertube_auto_threads", 0)):
            if threads or args.peertube_auto_threads:
                (out / name).mkdir()
                cmd, segment = peertube_args(src, out / name, threads=threads)
                runs.append((name, cmd, segment, src))
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10, help="length of each generated film")
    parser.add_argument("--ssim-minutes", type=float, default=2,
                        help="compare the first N minutes (0: all); the films repeat a one-minute unit")
    parser.add_argument("--sources", type=Path, help="keep (and reuse) the generated films in this folder")
    parser.add_argument("--baselines-on-copy-source", action="store_true",
                        help="also run (b) and (c) on the H.264 film (context; MediaCMS always re-encodes)")
    parser.add_argument("--peertube-auto-threads", action="store_true",
                        help="also run (c) without PeerTube's default -threads 1")
    parser.add_argument("--baseline-minutes", type=float,
                        help="run (b) and (c) on the first N minutes and scale their times linearly")
    parser.add_argument("--chunking-minutes", type=float, help="measure chunking on the first N minutes")
    parser.add_argument("--skip-chunking", action="store_true")
    parser.add_argument("--kinds", default=",".join(SOURCES),
                        help=f"which films, comma-separated (default: {','.join(SOURCES)})")
    parser.add_argument("--tag", default="", help="suffix for the result and chart file names")
    parser.add_argument("--chunking-only", action="store_true",
                        help="only the chunking measurement (results: media_paths-chunking.json)")
    args = parser.parse_args()
    seconds = round(args.minutes * 60)

    procs = Processes()
    tmp = Path(tempfile.mkdtemp(prefix="media-bench-"))
    signal.signal(signal.SIGTERM, interrupted)
    result = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "minutes": args.minutes,
              "ssim_minutes": args.ssim_minutes, "baseline_minutes": args.baseline_minutes,
              "chunking_minutes": args.chunking_minutes, "machine": machine(), "uptime_start": uptime(), "steps": [],
              "sources": {}}
    print(f"{result['machine']}\nstart: {result['uptime_start']}", flush=True)

    def step(name, fn, *a, **kw):
        entry = {"step": name, "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "load_before": load()}
        print(f"{name}...", flush=True)
        value, entry["seconds"], _ = timed(fn, *a, **kw)
        entry["load_after"] = load()
        result["steps"].append(entry)
        print(f"  {entry['seconds']:.1f}s (load {entry['load_before'][0]} -> {entry['load_after'][0]})", flush=True)
        return value

    try:
        # 1. the films (not measured)
        folder = args.sources or tmp / "sources"
        folder.mkdir(parents=True, exist_ok=True)
        kinds = ["hevc"] if args.chunking_only else [k for k in SOURCES if k in args.kinds.split(",")]
        films = {kind: step(f"generate {kind}", generate, kind, folder, seconds) for kind in kinds}
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        if args.chunking_only:
            measure_chunking(result, films["hevc"], args.chunking_minutes, tmp / "chunking", step)
            (out_dir / "media_paths-chunking.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
            print(f"results: {out_dir / 'media_paths-chunking.json'}")
            return
        for kind, film in films.items():
            info = probe.describe(str(film))
            result["sources"][kind] = {"file": film.name, "bytes": film.stat().st_size, "duration": info.duration,
                                       "codec": info.video_codec, "interlaced": info.interlaced,
                                       "audio": info.audio_codec, "seconds": {}, "cpu_s": {}, "ssim": {},
                                       "args": {}, "outputs": {}, "measured": {}}

        # 2. the real worker: private Redis, fresh SQLite, local storage
        redis_url = start_redis(procs, tmp)
        # --minutes may be below a session's minimum
        env, db_path, storage_root = local_env(tmp, redis_url, MEDIA_MIN_DURATION_SECONDS="1")
        ids = bootstrap_app(env, confirmed_sessions=len(films))
        worker_log = tmp / "worker.log"
        worker = procs.start("worker", [str(VENV / "flask"), "--app", "app", "portal", "worker"], cwd=ROOT,
                             env=env, stdout=open(worker_log, "wb"), stderr=subprocess.STDOUT)
        wait_for_worker(redis_url, worker)

        # 3. per film: the worker, then the baselines right after (same load), at the worker's niceness
        for session_id, (kind, film) in zip(ids["sessions"], films.items(), strict=True):
            row = result["sources"][kind]
            try:
                run = step(f"worker {kind}", through_worker, env, session_id, film, db_path, storage_root,
                           redis_url, worker.pid, timeout=max(1800, seconds * 6))
            except Exception:
                print(worker_log.read_text()[-4000:], file=sys.stderr)
                raise
            row.update(plan=run["plan"], worker=run)
            row["seconds"]["ours"], row["cpu_s"]["ours"] = run["seconds"], run["cpu_s"]
            if run["plan"] == probe.ENCODE:
                row["outputs"]["ours"] = run["output"]
            print(f"  plan {run['plan']} {run['reasons']}; complete->ready {run['seconds']:.1f}s, "
                  f"job {run['job_s']:.1f}s, CPU {run['cpu_s']:.1f}s", flush=True)
            for name, cmd, output, src in baseline_runs(film, run["plan"], tmp / "baselines" / kind, args):
                row["args"][name] = cmd
                wall, cpu = step(f"{name} {kind}", sh, cmd, cwd=tmp / "baselines" / kind)
                on = probe.describe(str(src)).duration
                row["measured"][name] = {"seconds": wall, "cpu_s": cpu, "input_seconds": on}
                scale = row["duration"] / on  # 1 unless (b)/(c) ran on a cut: then linear
                row["seconds"][name], row["cpu_s"][name] = wall * scale, cpu * scale
                if output:
                    row["outputs"][name] = str(output)
        procs.stop(worker)

        # 4. SSIM of every encode against its source
        for kind, film in films.items():
            row = result["sources"][kind]
            if row["outputs"]:
                row["ssim"] = step(f"ssim {kind}", ssim, film, row["outputs"], args.ssim_minutes * 60)
                row["ssim_window_s"] = row["ssim"].pop("window_s")
                print(f"  {row['ssim']}", flush=True)

        # 5. the pictures step alone, on our output (the pipeline draws from it); the copy path step by step
        for kind, row in result["sources"].items():
            row["pictures"] = step(f"pictures {kind}", picture_speed, Path(row["worker"]["output"]),
                                   row["duration"], tmp / "pictures" / kind)
            if row["plan"] in (probe.COPY, probe.AUDIO):
                row["copy_phases"] = step(f"copy phases {kind}", copy_phases, films[kind], tmp / "phases" / kind)
                print(f"  {row['copy_phases']}", flush=True)

        # 6. one encode process against two halves at once (two worker processes), HEVC
        if not args.skip_chunking and "hevc" in films:
            measure_chunking(result, films["hevc"], args.chunking_minutes, tmp / "chunking", step)

        # 7. report
        result["uptime_end"] = uptime()
        result["targets"], result["met"] = targets(result)
        print_summary(result)
        print(f"end: {result['uptime_end']}")
        name = f"media_paths-{args.tag}" if args.tag else "media_paths"
        (out_dir / f"{name}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        png = ROOT / "docs" / "benchmarks" / f"{name}.png"
        print(f"results: {out_dir / f'{name}.json'}")
        print(f"chart: {png}" if chart(result, png) else "chart: skipped (matplotlib not importable)")
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run(main)
