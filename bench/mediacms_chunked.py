"""MediaCMS's chunked mode with its own settings (issue 19), on the films of ``hls_paths.py``.

    .venv/bin/python bench/mediacms_chunked.py --sources /tmp/hlsb [--workers 1,2]

What MediaCMS 8.3.2 does for a video longer than CHUNKIZE_VIDEO_DURATION (300 s; here applied to
any length, so that the same 5-minute films can be compared): ``files/tasks.py chunkize_media``
splits it with ``ffmpeg -c copy -f segment -segment_time 240`` (VIDEO_CHUNKS_DURATION) into .mkv
chunks, each chunk is encoded by its own Celery task with ``produce_ffmpeg_commands(chunk=True)``
(``media_paths.mediacms_args``, the h264 720p profile, plus ``-movflags +faststart``), and
``files/models/encoding.py`` joins the encoded chunks with ``ffmpeg -f concat -c copy``. The
film plays when the join is done (before MediaCMS's own HLS step, which is not counted here).
Every command runs at the worker's niceness and sandbox (``media_paths.sh``); ``--workers`` is
how many chunks are encoded at once (Celery workers). Results: bench/results/mediacms_chunked.json.
"""

import argparse
import json
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from _common import ROOT, run
from hls_paths import packets
from media_paths import FFMPEG, load, machine, mediacms_args, sh, uptime

SEGMENT_TIME = 240  # MediaCMS cms/settings.py VIDEO_CHUNKS_DURATION


def chunked(film, workers, out):
    """Split, encode the chunks ``workers`` at a time, join: wall seconds of each step."""
    out.mkdir(parents=True)
    started = time.monotonic()
    split, _ = sh([*FFMPEG, "-i", str(film), "-c", "copy", "-f", "segment", "-segment_time", str(SEGMENT_TIME),
                   str(out / "%02d_chunk.mkv")], cwd=out)
    chunks = sorted(out.glob("*_chunk.mkv"))
    commands = []
    for chunk in chunks:
        cmd = mediacms_args(chunk, out / f"{chunk.stem}.mp4")
        commands.append([*cmd[:-1], "-movflags", "+faststart", cmd[-1]])
    encode_started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda cmd: sh(cmd, cwd=out), commands))
    encode = time.monotonic() - encode_started
    listing = out / "list.txt"
    listing.write_text("".join(f"file {out / (chunk.stem + '.mp4')}\n" for chunk in chunks))
    joined = out / "joined.mp4"
    join, _ = sh([*FFMPEG, "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", "-pix_fmt", "yuv420p",
                  "-movflags", "faststart", str(joined)], cwd=out)
    return {"workers": workers, "chunks": len(chunks), "split_s": round(split, 1), "encode_s": round(encode, 1),
            "join_s": round(join, 1), "ready_s": round(time.monotonic() - started, 1), "frames": packets(joined)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path, required=True, help="the folder of hls_paths.py --sources")
    parser.add_argument("--workers", default="1,2", help="chunks encoded at once, comma-separated")
    args = parser.parse_args()
    films = sorted(args.sources.glob("camera-*"))
    if not films:
        parser.error(f"no camera-* films in {args.sources}: run bench/hls_paths.py --sources there first")
    result = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
              "uptime_start": uptime(), "films": {}}
    tmp = Path(tempfile.mkdtemp(prefix="mediacms-chunked-"))
    try:
        for film in films:
            rows = []
            for workers in (int(w) for w in args.workers.split(",")):
                print(f"{film.name}, {workers} at once (load {load()})...", flush=True)
                row = chunked(film, workers, tmp / f"{film.stem}-{workers}")
                shutil.rmtree(tmp / f"{film.stem}-{workers}", ignore_errors=True)
                print(f"  {row}", flush=True)
                rows.append(row)
            result["films"][film.name] = {"source_frames": packets(film), "runs": rows}
        result["uptime_end"] = uptime()
        out = ROOT / "bench" / "results" / "mediacms_chunked.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"end: {result['uptime_end']}\nresults: {out}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run(main)
