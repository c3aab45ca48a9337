"""HLS benchmark (issue 19): upload complete -> first playable -> fully ready through the real
workers, against the bare ffmpeg commands the old MP4 pipeline is measured by, in one run.

    .venv/bin/python bench/hls_paths.py [--minutes 10] [--five-minutes 3] [--kinds h264,hevc,interlaced]

Same films and set-up as ``bench/media_paths.py`` (1080p30 H.264/AAC, HEVC/AAC, interlaced
H.264/AC-3 generated with lavfi; private redis-server, fresh SQLite, local storage), but the
workers are laid out as ``make run`` starts them (scripts/run.sh): one on heavy+light (and so the
``first`` queue), one on light only. Per film: the time from upload-complete until
``recordings.playable_seconds > 0`` (the player can start at 0:00; polled every 0.1 s) and until
``ready``; then the baseline on the same file right after (copy path: a bare ``ffmpeg -c copy -f
hls -hls_segment_type fmp4``; encode path: the old pipeline's single-process
``transcode.make_playable``); and the frames of the published video segments (init + segments,
part by part) against the source's. Then five films, completed within a second of each other:
each one's first playable. Results: bench/results/hls_paths.json.
"""

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

from _common import LEADER, ROOT, VENV, Processes, bootstrap_app, local_env, run, start_redis
from media_paths import (
    FFMPEG,
    SOURCES,
    UPLOAD_SNIPPET,
    cut,
    generate,
    interrupted,
    load,
    machine,
    sh,
    timed,
    uptime,
    wait_for_worker,
)

sys.path.insert(0, str(ROOT))
from workers.media import pipeline, probe, transcode  # noqa: E402

POLL_S = 0.1
FIRST_TARGET = {"h264": 5, "hevc": 30, "interlaced": 30}  # seconds to first playable, per kind
FIVE_TARGET = 60
COPY_RATIO, ENCODE_RATIO = 1.2, 1.05
FIVE_KINDS = ("h264", "hevc", "interlaced", "h264", "hevc")
WORKERS = (("heavy+light", ["--queue", "heavy", "--queue", "light"]), ("light", ["--queue", "light"]))
# Mux, "How to transcode video 100x faster; or, a Gordian knot cut" (Jon Dahl, 27 April 2023):
# median time to publish by film length, all input / "standard input" (H.264 up to 2K, 82 %).
MUX = {"0-1 min": (2.0, 1.8), "1-5 min": (3.3, 2.6), "5-20 min": (9.0, 5.5), "20-60 min": (46.4, 26.7),
       "60+ min": (93.5, 50.1)}


def mux_bucket(seconds):
    minutes = seconds / 60
    return next(name for name, upper in (("0-1 min", 1), ("1-5 min", 5), ("5-20 min", 20), ("20-60 min", 60),
                                         ("60+ min", float("inf"))) if minutes <= upper)


# -- the workers and the database ----------------------------------------------------------------

def rows(db_path, ids):
    """{id: (status, playable_seconds, reason)} of the recordings ``ids``."""
    marks = ",".join("?" * len(ids))
    while True:
        try:
            with sqlite3.connect(db_path, timeout=5) as conn:
                found = conn.execute(f"SELECT id, status, playable_seconds, reason_code FROM recordings "  # noqa: S608
                                     f"WHERE id IN ({marks})", list(ids)).fetchall()
            return {r[0]: r[1:] for r in found}
        except sqlite3.OperationalError:  # a worker holds the write lock for a moment
            time.sleep(0.02)


def follow(db_path, completed, timeout):
    """Poll until every recording is ready: {id: {"first_playable_s", "ready_s", "playable_at_first"}},
    seconds from its own upload-complete (``completed``: {id: epoch})."""
    seen = {rid: {} for rid in completed}
    deadline = time.monotonic() + timeout
    while any("ready_s" not in s for s in seen.values()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready after {timeout}s: {seen}")
        now = time.time()
        for rid, (status, playable, reason) in rows(db_path, list(completed)).items():
            s = seen[rid]
            if status in ("failed", "rejected"):
                raise RuntimeError(f"recording {rid} ended {status}: {reason}")
            if "first_playable_s" not in s and (playable or 0) > 0:
                s["first_playable_s"], s["playable_at_first"] = now - completed[rid], playable
            if status == "ready" and "ready_s" not in s:
                s["ready_s"] = now - completed[rid]
                s.setdefault("first_playable_s", s["ready_s"])  # ready between two polls
        time.sleep(POLL_S)
    return seen


def wait_idle(redis_url, timeout=600):
    """Until no job is queued or running (the storyboard after ready, mail): the baseline that
    follows must not share the CPU with the tail of the worker's run."""
    from redis import Redis
    from rq import Queue, Worker

    from workers.queues import QUEUES

    conn = Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = any(len(Queue(q, connection=conn)) for q in QUEUES) or any(
            w.get_state() == "busy" for w in Worker.all(connection=conn))
        if not busy:
            return
        time.sleep(0.2)
    raise RuntimeError("the workers are still busy")


def upload(env, session_id, film, barrier=None):
    """Start the upload service's snippet (media_paths.UPLOAD_SNIPPET) for ``film``."""
    return subprocess.Popen([str(VENV / "python"), "-c", UPLOAD_SNIPPET, str(session_id), str(film), LEADER,
                             *([str(barrier)] if barrier else [])],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def uploaded(proc):
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"upload exited with {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1])


# -- frames --------------------------------------------------------------------------------------

def packets(path):
    """Video packets (= frames) of ``path``, by demuxing only."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
                          "stream=nb_read_packets", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return int(out.split()[0].strip(","))  # MPEG-TS lists the stream once per program too


def timeline_frames(path):
    """Frame slots the source's video spans at its frame rate (first to last timestamp): what an
    encode at a steady rate writes. More than ``packets`` where timestamps leave a hole (a stream
    copy cut with -t drops the B-frames after the cut, keeps the P-frame they sit before)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "packet=pts_time:stream=r_frame_rate", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout.split()
    rate = next(Fraction(v) for v in out if "/" in v)
    times = [float(v.strip(",")) for v in out if "/" not in v and v.strip(",") not in ("", "N/A")]
    return round((max(times) - min(times)) * rate) + 1


def published_frames(db_path, storage_root, recording_id, workdir):
    """Frames in the published video segments of the recording's run: per part (and init), the
    init segment followed by its segments, joined into one file and counted."""
    with sqlite3.connect(db_path, timeout=5) as conn:
        prefix = conn.execute("SELECT output_prefix FROM recordings WHERE id = ?", (recording_id,)).fetchone()[0]
        segments = conn.execute("SELECT part, init, name FROM film_segments WHERE recording_id = ? AND run = ? "
                                "AND track = 'video' ORDER BY part, idx",
                                (recording_id, prefix.rstrip("/").rsplit("/", 1)[-1])).fetchall()
    base, groups = Path(storage_root) / prefix, []
    for part, init, name in segments:
        if not groups or groups[-1][0] != (part, init):
            groups.append(((part, init), []))
        groups[-1][1].append(name)
    workdir.mkdir(parents=True, exist_ok=True)
    total = 0
    for n, ((_part, init), names) in enumerate(groups):
        joined = workdir / f"part-{n:04d}.mp4"
        with open(joined, "wb") as out:
            for name in (init, *names):
                out.write((base / name).read_bytes())
        total += packets(joined)
        joined.unlink()
    return {"frames": total, "parts": len(groups), "segments": len(segments)}


# -- baselines -----------------------------------------------------------------------------------

def copy_baseline(film, out):
    """The bare remux to fMP4 HLS the copy path is held against. The file system is synced first:
    the worker's run leaves gigabytes of segments in the page cache, and their write-back would
    otherwise be charged to the baseline (the pipeline's own run had the upload's to bear)."""
    out.mkdir(parents=True)
    os.sync()
    cmd = [*FFMPEG, "-i", str(film), "-c", "copy", "-f", "hls", "-hls_segment_type", "fmp4",
           "-hls_playlist_type", "vod", str(out / "index.m3u8")]
    seconds, cpu = sh(cmd, cwd=out)
    return {"name": "ffmpeg -c copy -f hls -hls_segment_type fmp4", "seconds": seconds, "cpu_s": cpu, "args": cmd}


def encode_baseline(film, out):
    """The old pipeline's encode: one process, the whole file, today's 720p settings."""
    out.mkdir(parents=True)
    info = probe.describe(str(film))
    dst = out / "video.mp4"
    _, seconds, cpu = timed(transcode.make_playable, str(film), str(dst), info, probe.ENCODE, workdir=str(out),
                            timeout=pipeline.job_timeout(info.duration, probe.ENCODE))
    return {"name": "transcode.make_playable (one process)", "seconds": seconds, "cpu_s": cpu,
            "frames": packets(dst)}


# -- report --------------------------------------------------------------------------------------

def targets(result):
    lines, met = [], {}
    for kind, row in result["films"].items():
        first, limit = row["first_playable_s"], FIRST_TARGET[kind]
        met[f"{kind}: first playable <= {limit} s"] = first <= limit
        lines.append(f"{kind}: first playable {first:.1f} s (target <= {limit} s)")
        bound = COPY_RATIO if row["plan"] in (probe.COPY, probe.AUDIO) else ENCODE_RATIO
        met[f"{kind}: ready <= {bound}x baseline"] = row["ratio"] <= bound
        lines.append(f"{kind}: ready {row['ready_s']:.1f} s = {row['ratio']:.2f}x {row['baseline']['name']} "
                     f"{row['baseline']['seconds']:.1f} s (target <= {bound})")
        met[f"{kind}: frames equal the source's"] = row["frames"]["frames"] == row["source_frames"]
        lines.append(f"{kind}: frames {row['frames']['frames']} published, {row['source_frames']} in the source "
                     f"({row['source_timeline_frames']} slots on its timeline; the old encode wrote "
                     f"{row['baseline'].get('frames', 'n/a')})")
    for film in result.get("five", {}).get("films", []):
        met[f"five at once: {film['name']} first playable <= {FIVE_TARGET} s"] = film["first_playable_s"] <= FIVE_TARGET
    if result.get("five"):
        worst = max(f["first_playable_s"] for f in result["five"]["films"])
        lines.append(f"five at once: slowest first playable {worst:.1f} s (target <= {FIVE_TARGET} s each)")
    return lines, met


def yes(flag):
    return "met" if flag else "**not met**"


def print_tables(result):
    print("\n| film | path | length | first playable s | fully ready s | baseline | baseline s | ready ÷ baseline "
          "| frames published / source / its timeline | old encode's frames |")
    print("|---|---|---:|---:|---:|---|---:|---:|---:|---:|")
    for kind, r in result["films"].items():
        print(f"| {kind} | {r['plan']} | {r['duration']:.0f} s | {r['first_playable_s']:.1f} | {r['ready_s']:.1f} "
              f"| {r['baseline']['name']} | {r['baseline']['seconds']:.1f} | {r['ratio']:.2f} "
              f"| {r['frames']['frames']} / {r['source_frames']} / {r['source_timeline_frames']} "
              f"| {r['baseline'].get('frames', '')} |")
    if result.get("five"):
        five = result["five"]
        print(f"\nFive films completed within {five['complete_spread_s']:.2f} s of each other:\n")
        print("| film | kind | length | first playable s | playable then s | fully ready s |")
        print("|---|---|---:|---:|---:|---:|")
        for f in five["films"]:
            print(f"| {f['name']} | {f['kind']} | {f['duration']:.0f} s | {f['first_playable_s']:.1f} "
                  f"| {f['playable_at_first']:.1f} | {f['ready_s']:.1f} |")
    print("\n| Mux median time to publish (2023) | all input s | standard input s |")
    print("|---|---:|---:|")
    for bucket, (every, standard) in MUX.items():
        print(f"| {bucket} | {every} | {standard} |")
    print()
    for line in result["targets"]:
        print(line)
    for name, flag in result["met"].items():
        print(f"- {name}: {yes(flag)}")


# -- main ----------------------------------------------------------------------------------------

def run_film(kind, film, session_id, ctx, timeout):
    """One film through the workers, then its baseline right after, at the same niceness."""
    proc = upload(ctx["env"], session_id, film)
    up = uploaded(proc)
    seen = follow(ctx["db"], {up["recording"]: up["completed"]}, timeout)[up["recording"]]
    wait_idle(ctx["redis"])
    with sqlite3.connect(ctx["db"], timeout=5) as conn:
        plan = json.loads(conn.execute("SELECT media_info FROM recordings WHERE id = ?",
                                       (up["recording"],)).fetchone()[0])["path"]
    frames = published_frames(ctx["db"], ctx["storage"], up["recording"], ctx["tmp"] / "frames" / kind)
    out = ctx["tmp"] / "baselines" / kind
    baseline = copy_baseline(film, out) if plan in (probe.COPY, probe.AUDIO) else encode_baseline(film, out)
    shutil.rmtree(out, ignore_errors=True)
    return {"recording": up["recording"], "plan": plan, **seen, "frames": frames, "baseline": baseline,
            "ratio": seen["ready_s"] / baseline["seconds"]}


def run_five(films, session_ids, ctx, timeout):
    """Upload five films, complete them together (a barrier in the upload snippet), follow all."""
    barrier = ctx["tmp"] / "barrier"
    barrier.mkdir()
    procs = [upload(ctx["env"], sid, film, barrier) for sid, (_n, _k, film) in zip(session_ids, films, strict=True)]
    while len(list(barrier.glob("*.up"))) < len(procs):
        if any(p.poll() not in (None, 0) for p in procs):
            raise RuntimeError("an upload failed")
        time.sleep(0.05)
    (barrier / "go").touch()
    ups = [uploaded(p) for p in procs]
    completed = {u["recording"]: u["completed"] for u in ups}
    seen = follow(ctx["db"], completed, timeout)
    wait_idle(ctx["redis"])
    out = []
    for (name, kind, film), u in zip(films, ups, strict=True):
        out.append({"name": name, "kind": kind, "duration": probe.describe(str(film)).duration,
                    "recording": u["recording"], **seen[u["recording"]]})
    return {"complete_spread_s": max(completed.values()) - min(completed.values()), "films": out}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10, help="length of each film of the per-kind runs")
    parser.add_argument("--kinds", default=",".join(SOURCES), help="comma-separated, of " + ",".join(SOURCES))
    parser.add_argument("--five-minutes", type=float, default=3, help="length of the five films (0: skip)")
    parser.add_argument("--sources", type=Path, help="keep (and reuse) the generated films in this folder")
    parser.add_argument("--json", action="store_true", help="print the result as JSON at the end")
    parser.add_argument("--logs", type=Path, help="copy the workers' logs into this folder at the end")
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    if unknown := set(kinds) - set(SOURCES):
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    seconds, five_seconds = round(args.minutes * 60), round(args.five_minutes * 60)

    procs = Processes()
    tmp = Path(tempfile.mkdtemp(prefix="hls-bench-"))
    signal.signal(signal.SIGTERM, interrupted)
    result = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "minutes": args.minutes,
              "five_minutes": args.five_minutes, "machine": machine(), "uptime_start": uptime(),
              "workers": [name for name, _ in WORKERS], "poll_s": POLL_S, "mux_median_s": MUX, "films": {}}
    print(f"{result['machine']}\nstart: {result['uptime_start']}", flush=True)
    try:
        folder = args.sources or tmp / "sources"
        folder.mkdir(parents=True, exist_ok=True)
        five_kinds = FIVE_KINDS if five_seconds else ()
        films = {}
        for kind in dict.fromkeys([*kinds, *five_kinds]):
            length = seconds if kind in kinds else five_seconds
            print(f"generate {kind} ({length} s)...", flush=True)
            films[kind] = generate(kind, folder, max(length, five_seconds + len(FIVE_KINDS)))
        # five distinct files (the same bytes twice would be one film uploaded twice): cut by stream copy
        five = [(f"{n + 1}-{kind}", kind, cut(films[kind], five_seconds + n, folder))
                for n, kind in enumerate(five_kinds)]
        per_kind = {kind: cut(films[kind], seconds, folder) for kind in kinds}

        redis_url = start_redis(procs, tmp)
        env, db_path, storage_root = local_env(tmp, redis_url, MEDIA_MIN_DURATION_SECONDS="1")
        ids = bootstrap_app(env, confirmed_sessions=len(kinds) + len(five))["sessions"]
        logs = []
        for name, queues in WORKERS:  # as scripts/run.sh starts them
            log = tmp / f"worker-{name}.log"
            logs.append(log)
            worker = procs.start(name, [str(VENV / "flask"), "--app", "app", "portal", "worker", *queues], cwd=ROOT,
                                 env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
            wait_for_worker(redis_url, worker)
        ctx = {"env": env, "db": db_path, "storage": storage_root, "redis": redis_url, "tmp": tmp}
        try:
            for session_id, kind in zip(ids, kinds, strict=False):
                film = per_kind[kind]
                print(f"{kind}: worker, then baseline (load {load()})...", flush=True)
                row = run_film(kind, film, session_id, ctx, timeout=max(1800, seconds * 6))
                info = probe.describe(str(film))
                row.update(file=film.name, bytes=film.stat().st_size, duration=info.duration,
                           codec=info.video_codec, interlaced=info.interlaced, audio=info.audio_codec,
                           source_frames=packets(film), source_timeline_frames=timeline_frames(film),
                           load_after=load())
                result["films"][kind] = row
                print(f"  plan {row['plan']}: first playable {row['first_playable_s']:.1f} s, ready "
                      f"{row['ready_s']:.1f} s; {row['baseline']['name']} {row['baseline']['seconds']:.1f} s "
                      f"(x{row['ratio']:.2f}); frames {row['frames']['frames']}/{row['source_frames']}", flush=True)
            if five:
                print(f"five at once ({five_seconds} s films, load {load()})...", flush=True)
                result["five"] = run_five(five, ids[len(kinds):], ctx, timeout=max(1800, five_seconds * 30))
                result["five"]["load_after"] = load()
        except Exception:
            for log in logs:
                print(log.read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            if args.logs:
                args.logs.mkdir(parents=True, exist_ok=True)
                for log in logs:
                    shutil.copy(log, args.logs / log.name)
        result["uptime_end"] = uptime()
        result["targets"], result["met"] = targets(result)
        print_tables(result)
        print(f"end: {result['uptime_end']}")
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "hls_paths.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"results: {out_dir / 'hls_paths.json'}")
        if args.json:
            print(json.dumps(result, indent=2, default=str))
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run(main)
