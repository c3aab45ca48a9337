"""A 2.5-hour film through the HLS pipeline, then played in Chromium (issue 19): upload complete ->
first playable -> fully ready on the copy path against a bare ``ffmpeg -c copy -f hls`` of the same
file, then the first frame and jumps far into the film as a supervisor sees them.

    .venv/bin/python bench/hls_seek.py [--hours 2.5] [--sources DIR] [--jumps 8]

The film is ``bench/supervision_load.py``'s (640x360 H.264/AAC, ten generated minutes joined by
stream copy, about 2 GB for 2.5 hours; kept in ``--sources`` when given). Private redis-server,
fresh SQLite, local storage, the workers as ``make run`` starts them, the app under gunicorn.
Chromium (headless, loopback) logs in as the group's supervisor, opens the player three times
and measures ``play()`` to the first frame shown (``requestVideoFrameCallback``), then jumps to
``--jumps`` places spread over the film in an order that never lands in what is buffered, each
until its frame is shown. Results: bench/results/hls_seek.json.
"""

import argparse
import json
import random
import shutil
import signal
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _common import ROOT, VENV, Processes, bootstrap_app, free_port, local_env, run, start_redis, wait_port
from hls_paths import copy_baseline, follow, upload, uploaded, wait_idle
from media_paths import interrupted, load, machine, uptime, wait_for_worker
from supervision_load import (
    BROWSER_JS_FIRST_FRAME,
    BROWSER_JS_SEEK,
    CHROMIUM,
    CHROMIUM_ARGS,
    browser_login,
    make_long_film,
)

SUPERVISOR = "sara-bench@example.org"  # bench/_common.py's SETUP_SNIPPET
FIRST_FRAME_TARGET_MS, JUMP_TARGET_MS = 2000, 1000


def jump_points(duration, count, seed=7):
    """``count`` places spread over the film (one in each of ``count`` equal parts), visited in
    a shuffled order so that no jump lands in what the previous one buffered."""
    rng = random.Random(seed)
    part = duration / count
    points = [round(part * k + rng.uniform(0.1, 0.9) * part, 2) for k in range(count)]
    rng.shuffle(points)
    return points


def playback(base_url, recording_id, duration, jumps):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            browser_login(page, base_url, SUPERVISOR)
            first = []
            for _run in range(3):
                page.goto(f"{base_url}/review/recordings/{recording_id}")
                first.append(page.evaluate(BROWSER_JS_FIRST_FRAME))
            engine = page.evaluate("() => document.getElementById('video').currentSrc.startsWith('blob:')"
                                   " ? 'hls.js (Media Source Extensions)' : 'file'")
            points = jump_points(duration, jumps)
            seeks = [page.evaluate(BROWSER_JS_SEEK, t) for t in points]
            return {"engine": engine, "first_frame_ms": [round(x, 1) for x in first],
                    "jumps": [{"to": t, "ms": round(s["ms"], 1), "at": round(s["at"], 2)}
                              for t, s in zip(points, seeks, strict=True)]}
        finally:
            browser.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=2.5)
    parser.add_argument("--jumps", type=int, default=8)
    parser.add_argument("--sources", type=Path, help="keep (and reuse) the generated film in this folder")
    args = parser.parse_args()

    procs = Processes()
    tmp = Path(tempfile.mkdtemp(prefix="hls-seek-"))
    signal.signal(signal.SIGTERM, interrupted)
    result = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "hours": args.hours,
              "machine": machine(), "uptime_start": uptime()}
    print(f"{result['machine']}\nstart: {result['uptime_start']}", flush=True)
    try:
        folder = args.sources or tmp / "sources"
        folder.mkdir(parents=True, exist_ok=True)
        film = folder / "long.mp4"
        if not film.exists():
            print(f"generate a {args.hours} h film...", flush=True)
            film = make_long_film(folder, args.hours)
        result["film"] = {"bytes": film.stat().st_size}

        redis_url = start_redis(procs, tmp)
        env, db_path, storage_root = local_env(tmp, redis_url, TWO_FACTOR_REQUIRED="false")
        session_id = bootstrap_app(env)["session"]
        for name, queues in (("heavy+light", ["--queue", "heavy", "--queue", "light"]),
                             ("light", ["--queue", "light"])):  # as scripts/run.sh starts them
            worker = procs.start(name, [str(VENV / "flask"), "--app", "app", "portal", "worker", *queues], cwd=ROOT,
                                 env=env, stdout=open(tmp / f"worker-{name}.log", "wb"), stderr=subprocess.STDOUT)
            wait_for_worker(redis_url, worker)

        print(f"upload and process (load {load()})...", flush=True)
        up = uploaded(upload(env, session_id, film))
        seen = follow(db_path, {up["recording"]: up["completed"]}, timeout=3600)[up["recording"]]
        result["pipeline"] = seen
        print(f"  first playable {seen['first_playable_s']:.1f} s, ready {seen['ready_s']:.1f} s", flush=True)
        started = time.monotonic()
        wait_idle(redis_url, timeout=3600)
        result["pipeline"]["idle_after_ready_s"] = round(time.monotonic() - started, 1)  # storyboard, mail
        result["baseline"] = copy_baseline(film, tmp / "baseline")
        shutil.rmtree(tmp / "baseline", ignore_errors=True)
        result["ratio"] = seen["ready_s"] / result["baseline"]["seconds"]
        print(f"  baseline {result['baseline']['seconds']:.1f} s -> ready / baseline {result['ratio']:.2f}", flush=True)

        with __import__("sqlite3").connect(db_path) as conn:
            duration = conn.execute("SELECT duration FROM recordings WHERE id = ?", (up["recording"],)).fetchone()[0]
        port = free_port()
        env["PUBLIC_URL"] = base_url = f"http://127.0.0.1:{port}"
        procs.start("gunicorn", [str(VENV / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
                                 "--threads", "4", "app:app"], cwd=ROOT, env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port)
        print(f"play in Chromium (load {load()})...", flush=True)
        result["playback"] = playback(base_url, up["recording"], duration, args.jumps)
        result["duration"] = duration
        result["uptime_end"] = uptime()
        jumps = [j["ms"] for j in result["playback"]["jumps"]]
        result["met"] = {"first_frame": max(result["playback"]["first_frame_ms"]) <= FIRST_FRAME_TARGET_MS,
                         "jump": max(jumps) <= JUMP_TARGET_MS}
        print(f"engine: {result['playback']['engine']}; first frame (ms): {result['playback']['first_frame_ms']}")
        print("jumps (to s: ms): " + ", ".join(f"{j['to']:.0f}: {j['ms']:.0f}" for j in result["playback"]["jumps"]))
        print(f"met: {result['met']}\nend: {result['uptime_end']}")
        out = ROOT / "bench" / "results" / "hls_seek.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"results: {out}")
    finally:
        procs.stop_all()
        for log in tmp.glob("worker-*.log"):  # kept beside the results: where the time went
            shutil.copy(log, ROOT / "bench" / "results" / f"hls_seek-{log.name}")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run(main)
