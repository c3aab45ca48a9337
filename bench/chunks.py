"""Chunked HLS encode against today's single-process encode, on one generated 1080p HEVC film.

    .venv/bin/python bench/chunks.py [--minutes 3] [--ssim-seconds 60] [--keep DIR]

(a) today: ``transcode.make_playable`` on the whole file (720p x264 veryfast + AAC, one MP4);
(b) issue 19: ``hls.keyframes``, ``hls.plan_chunks`` and every ``hls.encode_video_chunk`` one
after the other in this process (as one worker would take the chunk jobs), plus
``hls.audio_track``. Reports wall and CPU seconds, the ratio (target: chunked <= 1.05x single),
the first chunk's wall time (``first_keyframe_after`` + its encode: what delays first play),
the picture count of all chunks against the source's, and SSIM of both encodes against the
source over the first ``--ssim-seconds``. Prints a markdown table. The source is the HEVC film
of bench/media_paths.py (1080p30, 1 s GOP, light grain), made once per --keep folder.
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from media_paths import generate  # noqa: E402 - the same generated film as the media benchmark

from workers.media import hls, probe, transcode  # noqa: E402


def timed(fn, *args, **kwargs):
    """(value, wall seconds, CPU seconds of child processes) of ``fn(*args, **kwargs)``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    value = fn(*args, **kwargs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return value, time.monotonic() - started, cpu


def frames(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
                          "stream=nb_read_packets", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return int(json.loads(out)["streams"][0]["nb_read_packets"])


def ssim(encoded, source, seconds):
    """Mean SSIM of ``encoded`` against ``source`` (scaled to 1280x720), picture by picture."""
    graph = ("[0:v]setpts=N/30/TB,scale=1280:720[a];[1:v]setpts=N/30/TB,scale=1280:720[b];[a][b]ssim")
    err = subprocess.run(["nice", "-n", "10", "ffmpeg", "-hide_banner", "-t", str(seconds), "-i", str(encoded),
                          "-t", str(seconds), "-i", str(source), "-lavfi", graph, "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    return float(re.search(r"All:([0-9.]+)", err).group(1))


def chunked(src, info, workdir):
    """Keyframes, plan, every chunk in turn; returns (chunks, [(init, segments)], first chunk wall s)."""
    started = time.monotonic()
    first_end = hls.first_keyframe_after(src, hls.FIRST_CHUNK_SECONDS, timeout=120)
    first = hls.encode_video_chunk(src, info, 0.0, first_end, workdir / "first", 0.0, timeout=600)
    first_wall = time.monotonic() - started
    chunks = hls.plan_chunks(hls.keyframes(src, timeout=600), info.duration, first_end=first_end)
    results = [hls.encode_video_chunk(src, info, start, end, workdir / f"c{n:03d}", start, timeout=1800)
               for n, (start, end) in enumerate(chunks) if n > 0]
    return chunks, [first, *results], first_wall


def join(results, dst):
    with open(dst, "wb") as out:
        out.write(open(results[0][0], "rb").read())
        for _init, segments in results:
            for path, _seconds in segments:
                out.write(open(path, "rb").read())
    return dst


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--ssim-seconds", type=float, default=60)
    parser.add_argument("--keep", help="folder for the generated film (reused when present)")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="bench-chunks-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"generating {args.minutes:g} min of 1080p30 HEVC in {folder} (not timed)", flush=True)
    src = generate("hevc", folder, int(args.minutes * 60))
    info = probe.describe(str(src))
    work = Path(tempfile.mkdtemp(prefix="run-", dir=folder))
    load_before = os.getloadavg()[0]

    single = work / "single.mp4"
    _, single_wall, single_cpu = timed(transcode.make_playable, str(src), str(single), info, probe.ENCODE,
                                       workdir=str(work), timeout=7200)
    print(f"single: {single_wall:.1f} s wall, {single_cpu:.1f} s CPU", flush=True)
    (chunks, results, first_wall), video_wall, video_cpu = timed(chunked, str(src), info, work / "chunks")
    print(f"chunks: {video_wall:.1f} s wall, {video_cpu:.1f} s CPU, first chunk {first_wall:.1f} s", flush=True)
    _, audio_wall, audio_cpu = timed(hls.audio_track, [(str(src), info)], str(work / "audio"), timeout=1200)
    load_after = os.getloadavg()[0]

    film = join(results, work / "chunked.mp4")
    source_frames, chunked_frames = frames(src), frames(film)
    ssim_chunked, ssim_single = ssim(film, src, args.ssim_seconds), ssim(single, src, args.ssim_seconds)
    segments = [s for _init, segs in results for _p, s in segs]
    inits = {open(init, "rb").read() for init, _segs in results}
    total_wall, total_cpu = video_wall + audio_wall, video_cpu + audio_cpu
    rows = [
        ("film", f"{info.duration:.0f} s 1080p30 HEVC, {len(chunks)} chunks, {len(segments)} segments "
                 f"({min(segments[:-1]):.2f}-{max(segments):.2f} s)"),
        ("(a) single-process encode (make_playable, video + audio)",
         f"{single_wall:.1f} s wall, {single_cpu:.1f} s CPU"),
        ("(b) keyframes + all chunks in turn (video)", f"{video_wall:.1f} s wall, {video_cpu:.1f} s CPU"),
        ("(b) + audio_track", f"{audio_wall:.1f} s wall, {audio_cpu:.1f} s CPU"),
        ("ratio (b)/(a), wall", f"{total_wall / single_wall:.3f} (target <= 1.05)"),
        ("ratio (b)/(a), CPU", f"{total_cpu / single_cpu:.3f}"),
        ("first chunk (first_keyframe_after + encode of ~10 s)", f"{first_wall:.1f} s wall"),
        ("pictures: source / chunks",
         f"{source_frames} / {chunked_frames} ({'equal' if source_frames == chunked_frames else 'DIFFERENT'})"),
        (f"SSIM vs source, first {args.ssim_seconds:g} s: chunks / single", f"{ssim_chunked:.4f} / {ssim_single:.4f}"),
        ("init segments identical across chunks", "yes" if len(inits) == 1 else f"no ({len(inits)} kinds)"),
        ("load average (1 min) before / after", f"{load_before:.2f} / {load_after:.2f} on {os.cpu_count()} cores"),
    ]
    print(f"\n`.venv/bin/python bench/chunks.py --minutes {args.minutes:g}`\n")
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
