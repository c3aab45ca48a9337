"""The film: a long HEVC 1080p camera file made once with ffmpeg's lavfi, kept in a cache folder,
and what ffprobe counts in a film (frames and seconds) to hold the output against it."""

import json
import subprocess
from pathlib import Path

FPS = 25


def make(cache, minutes):
    """``cache/hevc1080-<minutes>min.mts``, generated unless it exists: test pattern with a frame
    counter at 25 fps and a tone, HEVC (so the portal must encode it) in MPEG-TS, as a camera writes."""
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"hevc1080-{minutes:g}min.mts"
    if path.exists():
        return path
    partial = path.with_suffix(".part")
    subprocess.run([
        "nice", "-n", "10", "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate={FPS}",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", f"{minutes * 60:g}",
        "-map", "0:v", "-map", "1:a", "-c:v", "libx265", "-preset", "ultrafast",
        "-x265-params", "log-level=error", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
        "-f", "mpegts", str(partial)], check=True)
    partial.rename(path)
    return path


def count(source, stream="v:0"):
    """``{"frames", "seconds"}`` of one stream of ``source`` (a path or URL), by counting its
    packets (no decoding): every frame that is there, whatever the container says."""
    out = subprocess.run([
        "ffprobe", "-v", "error", "-select_streams", stream, "-count_packets",
        "-show_entries", "stream=nb_read_packets,duration,r_frame_rate,codec_name,width,height:format=duration",
        "-of", "json", str(source)], check=True, capture_output=True, text=True, timeout=600).stdout
    info = json.loads(out)
    found = info["streams"][0]
    seconds = float(found.get("duration") or info["format"]["duration"])
    return {"frames": int(found["nb_read_packets"]), "seconds": round(seconds, 3),
            "codec": found.get("codec_name"), "size": f"{found.get('width')}x{found.get('height')}"}
