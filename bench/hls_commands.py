"""The copy path's ffmpeg command alone against a bare HLS remux, interleaved (issue 19).

    .venv/bin/python bench/hls_commands.py FILE [--repeat 3]

Runs, in turn and ``--repeat`` times: the bare ``ffmpeg -c copy -f hls -hls_segment_type fmp4``
(VOD) the copy path is held against; the worker's own command for a file with sound (both
renditions, ``workers.media.hls._hls_output``: VOD playlists, ``temp_file``); and the same with
EVENT playlists, as the worker wrote them before. Each in a fresh folder beside the file's disk,
after a ``sync``; prints the seconds of each run and the minimum. Interleaving is what makes the
comparison hold on a machine whose disk speed drifts over minutes (docs/BENCHMARKS.md).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, run

sys.path.insert(0, str(ROOT))
from workers.media import hls  # noqa: E402


def commands(src, folder):
    """{name: argv} of the three commands, writing under ``folder``."""
    def ours(kind):
        args = ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-i", str(src)]
        for track, stream in (("video", "0:v:0"), ("audio", "0:a:0")):
            out = hls._hls_output(os.path.join(folder, kind, track), hls.SEGMENT_SECONDS)
            args += ["-map", stream, "-c", "copy", *[kind if arg == "vod" else arg for arg in out]]
        return args

    bare = os.path.join(folder, "bare")
    os.makedirs(bare, exist_ok=True)
    return {"bare remux (VOD)": ["ffmpeg", "-v", "error", "-i", str(src), "-c", "copy", "-f", "hls",
                                 "-hls_segment_type", "fmp4", "-hls_playlist_type", "vod",
                                 os.path.join(bare, "index.m3u8")],
            "ours (VOD, temp_file)": ours("vod"), "ours with EVENT playlists": ours("event")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    times = {}
    for _ in range(args.repeat):
        folder = tempfile.mkdtemp(prefix="hls-commands-", dir=args.file.parent)
        try:
            for name, argv in commands(args.file, folder).items():
                os.sync()
                started = time.monotonic()
                subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 - our own argv
                times.setdefault(name, []).append(time.monotonic() - started)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    for name, seconds in times.items():
        print(f"{name:28s} {' '.join(f'{s:6.2f}' for s in seconds)}   min {min(seconds):.2f} s")


if __name__ == "__main__":
    run(main)
