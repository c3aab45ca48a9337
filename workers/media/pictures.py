"""Poster, thumbnail and storyboard sprites with a WebVTT thumbnail track.

Pictures are taken from the playable MP4 the worker wrote (never from the upload), and the
storyboard decodes keyframes only (``-skip_frame nokey``), which makes it tens of times faster
than decoding every frame of a 2.5-hour film.

A film encoded in chunks gets its storyboard in parts: each chunk job draws the tiles of its own
stretch of the film (``part_storyboard``), so the storyboard grows while the film is processed,
and the finished film's WebVTT track lists every part's tiles (``parts_vtt``).
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
    pictures = _keyframes(video)["v:0"].filter("fps", fps=f"1/{interval}", eof_action="pass")
    paths = _draw_sheets(pictures, ROWS, workdir, "storyboard", timeout)
    vtt = os.path.join(workdir, "storyboard.vtt")
    with open(vtt, "w", encoding="utf-8") as fh:
        fh.write(storyboard_vtt(duration, interval, [os.path.basename(path) for path in paths]))
    return paths, vtt


def _keyframes(video):
    """``video`` opened for its keyframes only: tens of times faster than every picture."""
    return ffmpeg.input(os.path.abspath(video), skip_frame="nokey", f="mp4", **gate.input_options())


def _draw_sheets(pictures, rows, workdir, stem, timeout):
    """Lay ``pictures`` out as tiles on sheets ``{stem}-NNN.jpg`` of COLUMNS x ``rows`` in
    ``workdir``; their paths in order."""
    tiles = (pictures
             .filter("scale", w=TILE_WIDTH, h=TILE_HEIGHT, force_original_aspect_ratio="decrease")
             .filter("pad", w=TILE_WIDTH, h=TILE_HEIGHT, x="(ow-iw)/2", y="(oh-ih)/2")
             .filter("tile", layout=f"{COLUMNS}x{rows}"))
    pattern = os.path.join(workdir, f"{stem}-%03d.jpg")
    stream = ffmpeg.output(tiles, pattern, f="image2", start_number="0", **{"q:v": "5", "fps_mode": "vfr"})
    gate.run(stream, cwd=workdir, timeout=timeout)
    prefix = f"{stem}-"
    return [os.path.join(workdir, name) for name in sorted(os.listdir(workdir))
            if name.startswith(prefix) and name.endswith(".jpg")]


def tile_range(start, end, interval):
    """The storyboard tiles of the film times [start, end): (first index, count). Tile ``i``
    shows the film at ``i * interval``, so consecutive parts of a film own disjoint tiles."""
    first = math.ceil(round(start / interval, 6))
    return first, max(0, math.ceil(round(end / interval, 6)) - first)


def sheet_rows(count):
    """Rows of tiles on a part's sheets: no more than its tiles need."""
    return max(1, min(ROWS, math.ceil(count / COLUMNS)))


def part_storyboard(video, shift, first, count, interval, workdir, stem, timeout):
    """Draw tiles ``first`` .. ``first + count - 1`` of a film's storyboard from ``video``, one
    part of the film whose first picture lies at film time ``shift``, on sheets
    ``{stem}-NNN.jpg`` of COLUMNS x ``sheet_rows(count)`` tiles; returns their paths in order.

    The part's pictures are moved to film time, then ``fps`` takes one every ``interval`` seconds
    from the first tile's time (the picture nearest each, keyframes only, as ``storyboard``); the
    last keyframe is held to the part's end, so its last tile is never left black."""
    pictures = (_keyframes(video)["v:0"]
                .filter("setpts", f"PTS-STARTPTS+{shift:.6f}/TB")
                # the last keyframe stands for the part's end: fps would drop a tile after it
                .filter("tpad", stop_mode="clone", stop_duration=str(interval))
                .filter("fps", fps=f"1/{interval}", start_time=f"{first * interval:.6f}", eof_action="pass")
                .filter("trim", end_frame=str(count)))
    return _draw_sheets(pictures, sheet_rows(count), workdir, stem, timeout)


def _timestamp(seconds):
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{int(hours):02d}:{int(minutes):02d}:{secs:06.3f}"


def storyboard_vtt(duration, interval, sheets):
    """The WebVTT thumbnail track for tiles every ``interval`` seconds on ``sheets``."""
    count = min(math.ceil(duration / interval), len(sheets) * COLUMNS * ROWS)
    return parts_vtt(duration, interval, [{"first": 0, "count": count, "rows": ROWS, "sheets": sheets}])


def parts_vtt(duration, interval, parts):
    """The WebVTT thumbnail track of a storyboard drawn in parts: each ``{"first", "count",
    "rows", "sheets"}`` as ``part_storyboard`` drew it (tile ``first + n`` in slot ``n``)."""
    lines = ["WEBVTT", ""]
    for part in sorted(parts, key=lambda p: p["first"]):
        per_sheet = COLUMNS * part["rows"]
        for n in range(min(part["count"], len(part["sheets"]) * per_sheet)):
            start = (part["first"] + n) * interval
            if start >= duration:
                break
            sheet, slot = divmod(n, per_sheet)
            row, column = divmod(slot, COLUMNS)
            lines += [f"{_timestamp(start)} --> {_timestamp(min(start + interval, duration))}",
                      f"{part['sheets'][sheet]}#xywh={column * TILE_WIDTH},{row * TILE_HEIGHT},"
                      f"{TILE_WIDTH},{TILE_HEIGHT}", ""]
    return "\n".join(lines)
