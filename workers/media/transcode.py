"""Make a session's files into one browser-playable, faststart MP4.

Each input is made playable on its own (copy, audio fix or encode, per ``probe.plan_for``) into
a file the worker writes, then the parts are joined with the concat demuxer from a list the
worker writes too. A user-supplied list is never read: the concat demuxer is only allowed on
that one call.
"""

import math
import os

import ffmpeg

from workers.media import ffmpeg as gate
from workers.media.probe import AUDIO, COPY, ENCODE

ENCODE_HEIGHT = 720
ENCODE_WIDTH = 1280
CRF = 23
MAXRATE = "3M"
BUFSIZE = "6M"
AUDIO_BITRATE = "128k"
COMMON_OUTPUT = {
    "f": "mp4",
    "movflags": "+faststart",
    "map_metadata": "-1",  # no GPS, device serials or names in what we publish
    "map_chapters": "-1",
    "sn": None,
    "dn": None,
    "max_muxing_queue_size": "1024",
}


def input_format(info):
    """The demuxer ffprobe chose: forced on the encode so a renamed file can't switch it."""
    return info.container.split(",")[0]


def target_frame_rate(info):
    """A steady frame rate for the encode: the source's when it is ordinary, else 25 or 30."""
    if not info.variable_frame_rate and 23.9 <= info.frame_rate <= 30.01:
        return None
    return 30 if info.frame_rate >= 27 else 25


def output_options(path, info):
    """ffmpeg output options for one file on ``path`` (COPY, AUDIO or ENCODE)."""
    options = dict(COMMON_OUTPUT)
    if path == COPY:
        options.update({"c:v": "copy", "c:a": "copy"})
        return options
    audio = {"c:a": "aac", "b:a": AUDIO_BITRATE, "ac": "2", "ar": "48000"}
    if path == AUDIO:
        options.update({"c:v": "copy", **audio})
        return options
    fps = target_frame_rate(info) or info.frame_rate
    gop = max(1, int(round(2 * fps)))
    options.update({**x264_options(), "g": str(gop), "keyint_min": str(gop), **audio})
    return options


def x264_options():
    """The 720p rendition's encoder settings (the HLS chunks use the same; GOP set by caller)."""
    return {"c:v": "libx264", "preset": "veryfast", "crf": str(CRF), "maxrate": MAXRATE,
            "bufsize": BUFSIZE, "pix_fmt": "yuv420p", "profile:v": "high", "sc_threshold": "0"}


def video_filters(stream, info):
    """Deinterlace, steady the frame rate and fit in 1280x720 (rotation is applied by ffmpeg)."""
    if info.interlaced:
        stream = stream.filter("yadif", mode=0)
    fps = target_frame_rate(info)
    if fps:
        stream = stream.filter("fps", fps=fps)
    stream = stream.filter("scale", w=f"min({ENCODE_WIDTH},iw)", h=f"min({ENCODE_HEIGHT},ih)",
                           force_original_aspect_ratio="decrease")
    return stream.filter("scale", w="trunc(iw/2)*2", h="trunc(ih/2)*2")


def make_playable(src, dst, info, path, workdir, timeout, max_bytes=None, progress=None):
    """Write ``dst``: ``src`` made playable on ``path``. :raise FFmpegFailed: on failure."""
    source = ffmpeg.input(os.path.abspath(src), f=input_format(info), **gate.input_options())
    video = source["v:0"]
    if path == ENCODE:
        video = video_filters(video, info)
    streams = [video] + ([source["a:0"]] if info.audio_codec else [])
    options = {**output_options(path, info),
               **gate.caps(max_bytes, max_seconds=math.ceil(info.duration) + 5)}
    stream = ffmpeg.output(*streams, os.path.abspath(dst), **options)
    return gate.run(stream, cwd=workdir, timeout=timeout, duration=info.duration,
                    progress=progress)


def join(parts, dst, workdir, timeout, max_bytes=None):
    """Join worker-written MP4 ``parts`` (in order) into ``dst`` without re-encoding."""
    if len(parts) == 1:
        os.replace(parts[0], dst)
        return
    listing = os.path.join(workdir, "join.ffconcat")
    with open(listing, "w", encoding="utf-8") as fh:
        fh.write("ffconcat version 1.0\n")
        for part in parts:
            name = os.path.basename(part)
            if os.path.dirname(os.path.abspath(part)) != os.path.abspath(workdir) or "'" in name:
                raise ValueError("join reads only files the worker wrote in its own folder")
            fh.write(f"file '{name}'\n")
    source = ffmpeg.input(listing, f="concat", safe="1",
                          **gate.input_options(gate.JOIN_FORMAT_WHITELIST))
    options = {**COMMON_OUTPUT, "c": "copy", **gate.caps(max_bytes)}
    stream = ffmpeg.output(source, os.path.abspath(dst), **options)
    gate.run(stream, cwd=workdir, timeout=timeout)
