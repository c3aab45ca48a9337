"""Poster, thumbnail and storyboard sprites with a WebVTT thumbnail track.

Pictures are taken from the playable MP4 the worker wrote (never from the upload), and the
storyboard decodes keyframes only (``-skip_frame nokey``), which makes it tens of times faster
than decoding every frame of a 2.5-hour film.
"""

import math
import os

import ffmpeg

from workers.media import ffmpeg as gate

TILE_WIDTH, TILE_HEIGHT = 160, 90
COLUMNS, ROWS = 10, 10
MAX_TILES = 1000


def _still(video, dst, at, width, workdir, timeout):
    source = ffmpeg.input(os.path.abspath(video), ss=f"{at:.3f}", f="mp4", **gate.input_options())
    picture = source["v:0"].filter("scale", w=width, h=-2)
    stream = ffmpeg.output(picture, os.path.abspath(dst), vframes=1, **{"q:v": "3"}, f="image2",
                           update="1")
    gate.run(stream, cwd=workdir, timeout=timeout)


def poster_and_thumbnail(video, duration, workdir, timeout=120):
    """Write poster.jpg (1280 wide) and thumb.jpg (320 wide) from a frame 10 % into the film."""
    at = min(max(duration * 0.1, 0.0), max(duration - 0.5, 0.0))
    poster = os.path.join(workdir, "poster.jpg")
    thumb = os.path.join(workdir, "thumb.jpg")
    _still(video, poster, at, 1280, workdir, timeout)
    _still(video, thumb, at, 320, workdir, timeout)
    return poster, thumb


def storyboard_interval(duration):
    """Seconds between storyboard tiles: about every 10 s for a session, denser for short films."""
    return max(1, min(10, math.ceil(duration / 100)), math.ceil(duration / MAX_TILES))


def storyboard(video, duration, workdir, timeout):
    """Write sprite sheets ``storyboard-NNN.jpg`` and ``storyboard.vtt``; returns their paths.

    Each sheet holds COLUMNS x ROWS tiles; the VTT maps each interval of the film to its tile
    with a ``#xywh=`` fragment, which is what players read for hover previews.
    """
    interval = storyboard_interval(duration)
    pattern = os.path.join(workdir, "storyboard-%03d.jpg")
    source = ffmpeg.input(os.path.abspath(video), skip_frame="nokey", f="mp4", **gate.input_options())
    tiles = (source["v:0"]
             .filter("fps", fps=f"1/{interval}", eof_action="pass")
             .filter("scale", w=TILE_WIDTH, h=TILE_HEIGHT, force_original_aspect_ratio="decrease")
             .filter("pad", w=TILE_WIDTH, h=TILE_HEIGHT, x="(ow-iw)/2", y="(oh-ih)/2")
             .filter("tile", layout=f"{COLUMNS}x{ROWS}"))
    stream = ffmpeg.output(tiles, pattern, f="image2", start_number="0", **{"q:v": "5", "fps_mode": "vfr"})
    gate.run(stream, cwd=workdir, timeout=timeout)
    sheets = sorted(name for name in os.listdir(workdir)
                    if name.startswith("storyboard-") and name.endswith(".jpg"))
    vtt = os.path.join(workdir, "storyboard.vtt")
    with open(vtt, "w", encoding="utf-8") as fh:
        fh.write(storyboard_vtt(duration, interval, sheets))
    return [os.path.join(workdir, name) for name in sheets], vtt


def _timestamp(seconds):
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{int(hours):02d}:{int(minutes):02d}:{secs:06.3f}"


def storyboard_vtt(duration, interval, sheets):
    """The WebVTT thumbnail track for tiles every ``interval`` seconds on ``sheets``."""
    per_sheet = COLUMNS * ROWS
    count = min(math.ceil(duration / interval), len(sheets) * per_sheet)
    lines = ["WEBVTT", ""]
    for index in range(count):
        start, end = index * interval, min((index + 1) * interval, duration)
        sheet, slot = divmod(index, per_sheet)
        row, column = divmod(slot, COLUMNS)
        lines += [f"{_timestamp(start)} --> {_timestamp(end)}",
                  f"{sheets[sheet]}#xywh={column * TILE_WIDTH},{row * TILE_HEIGHT},"
                  f"{TILE_WIDTH},{TILE_HEIGHT}", ""]
    return "\n".join(lines)
