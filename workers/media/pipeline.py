"""One session's files in, one playable film and its pictures out, all in a local folder.

The RQ jobs wrap this: they fetch the originals from storage into a per-job temporary folder,
call ``process``, upload the outputs under a temporary key and publish. Keeping the ffmpeg
work free of the database and of storage makes it testable on its own and lets a job hold no
database session while ffmpeg runs.
"""

import math
import os
from dataclasses import dataclass, field

from workers.media import pictures, transcode
from workers.media.probe import MediaRejected, describe, plan_for, sha256_of

# Wall-clock budget per second of film, on top of a fixed allowance. A 720p veryfast encode
# runs at about 2.6x realtime on two cores, so 2 s per film second leaves a wide margin.
SECONDS_PER_SECOND = {"copy": 0.2, "audio": 0.5, "encode": 2.0}
FIXED_ALLOWANCE = 120


@dataclass
class Limits:
    """What one job may read and write."""

    max_duration: float = 6 * 3600
    min_duration: float = 0  # a session film shorter than this is rejected as ``too_short``
    max_output_bytes: int = 20 * 10**9


@dataclass
class Result:
    """What ``process`` made, with the facts the recording keeps."""

    path: str
    reasons: list
    infos: list
    duration: float
    video: str
    poster: str
    thumbnail: str
    sheets: list = field(default_factory=list)
    vtt: str = ""

    def summary(self):
        """A JSON-able description for the recording's media_info column."""
        return {"path": self.path, "reasons": self.reasons, "duration": self.duration,
                "sources": [info.to_json() for info in self.infos],
                "storyboard": [os.path.basename(sheet) for sheet in self.sheets]}


def job_timeout(duration, path="encode"):
    """Seconds a processing job may run for a film of ``duration`` seconds on ``path``."""
    return int(FIXED_ALLOWANCE + math.ceil(duration * SECONDS_PER_SECOND[path]))


def inspect(sources, limits=None):
    """Describe each source and choose the path. :raise MediaRejected: for a bad file."""
    limits = limits or Limits()
    infos = [describe(src, max_duration=limits.max_duration) for src in sources]
    check_length(infos, limits)
    path, reasons = plan_for(infos)
    return infos, path, reasons


def check_length(infos, limits):
    """The session's length (seconds, all files); :raise MediaRejected: ``too_long`` or ``too_short``."""
    total = sum(info.duration for info in infos)
    if total > limits.max_duration:
        raise MediaRejected("too_long", f"{total:.0f}s in all")
    if total < limits.min_duration:
        raise MediaRejected("too_short", f"{total:.3f}")  # seconds, for the reason's wording
    return total


def limits_from(config):
    """The ``Limits`` of the app's settings (MEDIA_MAX_DURATION_HOURS, MEDIA_MIN_DURATION_SECONDS,
    UPLOAD_MAX_FILE_BYTES)."""
    return Limits(max_duration=config["MEDIA_MAX_DURATION_HOURS"] * 3600,
                  min_duration=config["MEDIA_MIN_DURATION_SECONDS"],
                  max_output_bytes=config["UPLOAD_MAX_FILE_BYTES"])


def checksums(sources):
    """SHA-256 of each source, in order."""
    return [sha256_of(src) for src in sources]


def process(sources, workdir, limits=None, progress=None, storyboard=True):
    """Make ``sources`` (local paths, in timeline order) into one film plus pictures in ``workdir``.

    ``progress(fraction)`` is called every few seconds. Without ``storyboard`` the sprite sheets
    are left for later (``pictures.storyboard`` on ``result.video``). :raise MediaRejected: for
    a bad input; :raise FFmpegFailed: when ffmpeg fails or times out.
    """
    limits = limits or Limits()
    infos, path, reasons = inspect(sources, limits)
    total = sum(info.duration for info in infos)
    done = 0.0
    parts = []
    for index, (src, info) in enumerate(zip(sources, infos, strict=True)):
        part = os.path.join(workdir, f"part-{index:03d}.mp4")

        def report(fraction, offset=done, length=info.duration):
            if progress:
                progress(min(0.95, 0.9 * (offset + fraction * length) / total))

        transcode.make_playable(src, part, info, path, workdir=workdir,
                                timeout=job_timeout(info.duration, path),
                                max_bytes=limits.max_output_bytes, progress=report)
        parts.append(part)
        done += info.duration
    video = os.path.join(workdir, "video.mp4")
    transcode.join(parts, video, workdir=workdir, timeout=job_timeout(total, "copy"),
                   max_bytes=limits.max_output_bytes)
    if progress:
        progress(0.92)
    poster, thumbnail = pictures.poster_and_thumbnail(video, total, workdir)
    sheets, vtt = pictures.storyboard(video, total, workdir, timeout=job_timeout(total, "audio")) \
        if storyboard else ([], "")
    if progress:
        progress(1.0)
    return Result(path=path, reasons=reasons, infos=infos, duration=total, video=video,
                  poster=poster, thumbnail=thumbnail, sheets=sheets, vtt=vtt)
