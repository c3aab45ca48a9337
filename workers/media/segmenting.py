"""The worker's view of the HLS media layer: ffmpeg writes fMP4 segments, the caller hears of
each one as soon as it is finished (issue 19).

Every call runs ffmpeg through ``workers.media.ffmpeg`` (the gate) with the HLS muxer writing
``init.mp4``, ``seg-NNNNN.m4s`` and a playlist into its own folder. While ffmpeg runs, the
playlist is read every fraction of a second: a segment listed there is complete, so
``on_segment(init, path, duration, idx)`` is called for it at once (in the caller's thread, so
it may use the database). The timestamps of a part's segments start at ``offset`` seconds:
the parts of a track join into one timeline.
"""

import json
import math
import os
import subprocess
import threading
import time

import ffmpeg

from workers.media import ffmpeg as gate
from workers.media.transcode import AUDIO_BITRATE, input_format, output_options, video_filters

SEGMENT_SECONDS = 4
PLAYLIST = "index.m3u8"
INIT = "init.mp4"
POLL_SECONDS = 0.2


def hls_options(outdir):
    """The HLS muxer writing fMP4 segments into ``outdir``."""
    return {"f": "hls", "hls_time": str(SEGMENT_SECONDS), "hls_playlist_type": "vod",
            "hls_segment_type": "fmp4", "hls_fmp4_init_filename": INIT,
            "hls_segment_filename": os.path.join(os.path.abspath(outdir), "seg-%05d.m4s"),
            "hls_flags": "independent_segments+temp_file", "map_metadata": "-1", "map_chapters": "-1"}


def finished_segments(outdir):
    """``[(path, duration)]`` of the segments the playlist in ``outdir`` lists so far."""
    try:
        with open(os.path.join(outdir, PLAYLIST), encoding="utf-8") as fh:
            lines = [line.strip() for line in fh]
    except FileNotFoundError:
        return []
    found, duration = [], None
    for line in lines:
        if line.startswith("#EXTINF:"):
            duration = float(line[8:].split(",", 1)[0])
        elif line and not line.startswith("#") and duration is not None:
            found.append((os.path.join(outdir, line), duration))
            duration = None
    return found


def run_watching(stream, outdir, timeout, on_segment=None, duration=None, progress=None):
    """Run ``stream`` (ffmpeg-python, writing HLS into ``outdir``) and call ``on_segment`` for
    each finished segment as ffmpeg goes; returns (init path, [(path, duration)]).

    :raise FFmpegFailed: when ffmpeg fails; whatever ``on_segment`` raises stops ffmpeg.
    """
    os.makedirs(outdir, exist_ok=True)
    outcome = {}

    def work():
        try:
            gate.run(stream, cwd=outdir, timeout=timeout, duration=duration, progress=progress)
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    init, told = os.path.join(outdir, INIT), 0
    try:
        while True:
            running = thread.is_alive()
            segments = finished_segments(outdir)
            for idx in range(told, len(segments)):
                if on_segment:
                    on_segment(init, *segments[idx], idx)
            told = len(segments)
            if not running:
                break
            time.sleep(POLL_SECONDS)
    except BaseException:
        _stop_ffmpeg(outdir)
        thread.join(timeout=10)
        raise
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return init, finished_segments(outdir)


def _stop_ffmpeg(outdir):
    """Kill the ffmpeg writing into ``outdir`` (the caller gave up on it)."""
    target = os.path.abspath(outdir)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/cwd") == target:
                os.kill(int(entry), 9)
        except OSError:
            continue


def keyframes(path, info, timeout=600, until=None):
    """Times of the video keyframes of ``path``, in seconds from the file's start (the time
    ffmpeg's input ``-ss`` counts from), up to ``until`` when given."""
    interval = ["-read_intervals", f"%+{until:.0f}"] if until else []
    args = [*gate.sandbox_prefix(), "ffprobe", "-v", "error", "-protocol_whitelist", gate.PROTOCOL_WHITELIST,
            *interval, "-format_whitelist", gate.FORMAT_WHITELIST, "-f", input_format(info),
            "-select_streams", "v:0", "-skip_frame", "nokey",
            "-show_entries", "frame=pts_time,best_effort_timestamp_time:format=start_time", "-of", "json",
            os.path.abspath(path)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False,  # noqa: S603
                            cwd=os.path.dirname(os.path.abspath(path)))
    if result.returncode != 0:
        raise gate.FFmpegFailed("ffprobe could not list keyframes", result.stderr[-4000:])
    data = json.loads(result.stdout or "{}")
    start = float((data.get("format") or {}).get("start_time") or 0.0)
    times = []
    for frame in data.get("frames") or []:
        value = frame.get("pts_time", frame.get("best_effort_timestamp_time"))
        if value not in (None, "N/A"):
            times.append(round(float(value) - start, 6))
    return sorted(set(times))


def first_keyframe_after(path, info, seconds, timeout=120):
    """The first keyframe of ``path`` at or after ``seconds``, or None (reads the file's start only)."""
    times = [t for t in keyframes(path, info, timeout=timeout, until=seconds + 30) if t >= seconds]
    return times[0] if times else None


def plan_chunks(keyframe_times, duration, first=10.0, length=120.0):
    """``[(start, end)]`` ranges cut at keyframes: the first about ``first`` seconds long, the
    others about ``length``; the last one's end is None (to the end of the file)."""
    cuts, target = [0.0], first
    for time_ in keyframe_times:
        if time_ >= target and time_ < duration - 0.5:
            cuts.append(time_)
            target = time_ + length
    return [(start, cuts[i + 1] if i + 1 < len(cuts) else None) for i, start in enumerate(cuts)]


def copy_to_segments(src, info, outdir, offset, track, timeout, on_segment=None):
    """Stream-copy one track (``video`` or ``audio``) of ``src`` into fMP4 segments."""
    source = ffmpeg.input(os.path.abspath(src), f=input_format(info), **gate.input_options())
    stream = source["v:0" if track == "video" else "a:0"]
    options = {**hls_options(outdir), "c": "copy", "output_ts_offset": f"{offset:.6f}"}
    out = ffmpeg.output(stream, os.path.join(os.path.abspath(outdir), PLAYLIST), **options)
    return run_watching(out, outdir, timeout, on_segment)


def encode_video_chunk(src, info, start, end, outdir, offset, timeout, on_segment=None, progress=None):
    """Encode ``[start, end)`` seconds of ``src``'s video (end None: to its end) as the film's
    720p rendition, in fMP4 segments on the timeline from ``offset``."""
    seek = {"ss": f"{start:.6f}"} if start else {}
    if end is not None:
        seek["to"] = f"{end:.6f}"
    source = ffmpeg.input(os.path.abspath(src), f=input_format(info), **seek, **gate.input_options())
    video = video_filters(source["v:0"], info)
    encode = {k: v for k, v in output_options("encode", info).items()
              if k not in ("f", "movflags", "c:a", "b:a", "ac", "ar", "map_metadata", "map_chapters")}
    # passthrough: a chunk starting between two frames must not get a copy of its first frame
    options = {**encode, **hls_options(outdir), "an": None, "fps_mode": "passthrough",
               "output_ts_offset": f"{offset:.6f}"}
    out = ffmpeg.output(video, os.path.join(os.path.abspath(outdir), PLAYLIST), **options)
    length = (end if end is not None else info.duration) - start
    return run_watching(out, outdir, timeout, on_segment, duration=length, progress=progress)


def audio_track(sources_infos, outdir, timeout, on_segment=None):
    """The whole session's sound (each file's first audio stream, silence for a file without
    one) as AAC in fMP4 segments from 0:00."""
    pieces = []
    for src, info in sources_infos:
        if info.audio_codec:
            source = ffmpeg.input(os.path.abspath(src), f=input_format(info), **gate.input_options())
            audio = source["a:0"].filter("aresample", 48000).filter(
                "aformat", sample_fmts="fltp", channel_layouts="stereo")
            pieces.append(audio.filter("apad").filter("atrim", duration=f"{info.duration:.6f}"))
        else:
            pieces.append(ffmpeg.input(f"anullsrc=r=48000:cl=stereo:d={info.duration:.6f}", f="lavfi"))
    audio = pieces[0] if len(pieces) == 1 else ffmpeg.concat(*pieces, v=0, a=1)
    options = {**hls_options(outdir), "c:a": "aac", "b:a": AUDIO_BITRATE, "ac": "2", "ar": "48000"}
    out = ffmpeg.output(audio, os.path.join(os.path.abspath(outdir), PLAYLIST), **options)
    total = sum(info.duration for _src, info in sources_infos)
    return run_watching(out, outdir, timeout, on_segment, duration=math.ceil(total))
