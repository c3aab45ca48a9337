"""What is in an uploaded file, whether we accept it, and the cheapest way to make it playable.

``describe(path)`` turns ffprobe's answer into a ``MediaInfo`` or raises ``MediaRejected`` with a
reason code; ``plan_for(infos)`` picks copy, audio-only fix or one 720p encode for a session's
files. Reason codes are translated for people in ``workers.media.reasons``.
"""

import hashlib
import os
from dataclasses import asdict, dataclass, field
from fractions import Fraction

import ffmpeg

from workers.media import ffmpeg as gate
from workers.media.ffmpeg import FFmpegFailed, ffprobe

MAX_DIMENSION = 4096
DEFAULT_MAX_DURATION = 6 * 3600

COPY = "copy"  # H.264 8-bit 4:2:0 progressive + AAC or no audio: remux only
AUDIO = "audio"  # that video, but audio a browser can't play: copy video, encode audio
ENCODE = "encode"  # anything else: one 720p H.264 rendition

BROWSER_PIX_FMTS = {"yuv420p", "yuvj420p"}
# Bare video streams without a container: ffprobe only guesses their length from the bit rate.
ELEMENTARY = {"mpegvideo", "h264", "hevc"}
SAMPLE_FRAMES = 5  # frames decoded to show a file's pictures can be decoded at all
SCAN_TIMEOUT = 120
PROGRESSIVE = {None, "", "progressive", "unknown"}


class MediaRejected(ValueError):
    """The file is not a usable session film. ``code`` says why (see reasons.py)."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass
class MediaInfo:
    """The facts of one file the decision and the UI need."""

    container: str
    duration: float
    size: int
    bit_rate: int | None
    video_codec: str
    profile: str | None
    pix_fmt: str | None
    width: int
    height: int
    frame_rate: float
    variable_frame_rate: bool
    interlaced: bool
    rotation: int
    audio_codec: str | None = None
    audio_channels: int | None = None
    audio_layout: str | None = None
    audio_sample_rate: int | None = None
    reasons: list = field(default_factory=list)
    # The file's start (its earliest stream's first timestamp, seconds), and the seconds from
    # there to its first picture and first sound: where each track of a part starts on the
    # film's timeline when the tracks are made separately.
    start_time: float = 0.0
    video_start: float = 0.0
    audio_start: float = 0.0

    def to_json(self):
        """A plain dict for a JSON column."""
        return asdict(self)


def sha256_of(path, chunk=8 * 1024 * 1024):
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _rate(text):
    try:
        value = Fraction(text or "0/1")
    except (ValueError, ZeroDivisionError):
        return 0.0
    return float(value) if value.denominator else 0.0


def _rotation(stream):
    for item in stream.get("side_data_list") or []:
        if "rotation" in item:
            return int(round(float(item["rotation"]))) % 360
    rotate = (stream.get("tags") or {}).get("rotate")
    return int(rotate) % 360 if rotate and rotate.lstrip("-").isdigit() else 0


def describe(path, max_duration=DEFAULT_MAX_DURATION):
    """Probe ``path`` and check it is a film we accept. :raise MediaRejected: with a code."""
    size = os.path.getsize(path)
    if size == 0:
        raise MediaRejected("empty_file")
    try:
        data = ffprobe(path)
    except FFmpegFailed as error:
        text = error.stderr.lower()
        if "moov atom not found" in text:
            raise MediaRejected("truncated", "no index (moov atom)") from None
        if error.timed_out:
            raise MediaRejected("unreadable", "probe timed out") from None
        raise MediaRejected("not_a_video", error.stderr.strip()[-300:]) from None
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None:
        raise MediaRejected("no_video", "audio only" if audio else "no streams")
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise MediaRejected("not_a_video", "video stream without a frame size")
    if width > MAX_DIMENSION or height > MAX_DIMENSION:
        raise MediaRejected("too_large_frame", f"{width}x{height}")
    container = fmt.get("format_name", "")
    duration = float(fmt.get("duration") or video.get("duration") or 0)
    if container in ELEMENTARY:
        try:
            duration = _scan(path, container, copy=True)[1]
        except FFmpegFailed as error:
            raise MediaRejected("undecodable", (error.stderr or str(error)).strip()[-300:]) from None
    if duration <= 0:
        raise MediaRejected("truncated", "no duration")
    if duration > max_duration:
        raise MediaRejected("too_long", f"{duration:.0f}s")
    check_decodable(path, container)
    real_rate, avg_rate = _rate(video.get("r_frame_rate")), _rate(video.get("avg_frame_rate"))
    frame_rate = avg_rate or real_rate
    return MediaInfo(
        container=container,
        duration=duration,
        size=size,
        bit_rate=int(fmt["bit_rate"]) if str(fmt.get("bit_rate", "")).isdigit() else None,
        video_codec=video.get("codec_name", ""),
        profile=video.get("profile"),
        pix_fmt=video.get("pix_fmt"),
        width=width,
        height=height,
        frame_rate=round(frame_rate, 3),
        variable_frame_rate=bool(real_rate and avg_rate and abs(real_rate - avg_rate) / real_rate > 0.02),
        interlaced=video.get("field_order") not in PROGRESSIVE,
        rotation=_rotation(video),
        audio_codec=audio.get("codec_name") if audio else None,
        audio_channels=int(audio["channels"]) if audio and audio.get("channels") else None,
        audio_layout=audio.get("channel_layout") if audio else None,
        audio_sample_rate=int(audio["sample_rate"]) if audio and audio.get("sample_rate") else None,
        start_time=_float_or_zero(fmt.get("start_time")),
        video_start=_start_after(video, fmt),
        audio_start=_start_after(audio, fmt) if audio else 0.0,
    )


def _float_or_zero(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return 0.0


def _start_after(stream, fmt):
    """Seconds from the file's start time to ``stream``'s (0 when either is unknown)."""
    try:
        return round(max(0.0, float(stream["start_time"]) - float(fmt["start_time"])), 6)
    except (KeyError, TypeError, ValueError):
        return 0.0


def _scan(path, container, copy, frames=None):
    """Read the first video stream of ``path`` to ffmpeg's null output, demuxing only (``copy``)
    or decoding; returns (frames, seconds) reached. :raise FFmpegFailed: when ffmpeg fails."""
    source = ffmpeg.input(os.path.abspath(path), f=container.split(",")[0], **gate.input_options())
    options = {"f": "null", **({"c:v": "copy"} if copy else {}), **({"frames:v": str(frames)} if frames else {})}
    result = gate.run(ffmpeg.output(source["v:0"], "-", **options),
                      cwd=os.path.dirname(os.path.abspath(path)), timeout=SCAN_TIMEOUT)
    progress = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    out_time = progress.get("out_time_us", "0").strip()
    return (int(progress.get("frame", "0").strip() or 0),
            int(out_time) / 1e6 if out_time.isdigit() else 0.0)


def check_decodable(path, container):
    """Decode the first few pictures of ``path``. :raise MediaRejected: ``undecodable`` when not
    one comes out (a header without media data, a damaged or unknown picture stream): such a
    file can never become a film, so it is rejected at once instead of retried."""
    try:
        frames, _seconds = _scan(path, container, copy=False, frames=SAMPLE_FRAMES)
    except FFmpegFailed as error:
        raise MediaRejected("undecodable", (error.stderr or str(error)).strip()[-300:]) from None
    if frames == 0:
        raise MediaRejected("undecodable", "no picture could be decoded")


def video_reasons(info):
    """Why the video of ``info`` must be re-encoded; empty when it can be copied."""
    reasons = []
    if info.video_codec != "h264":
        reasons.append(f"codec {info.video_codec}")
    if info.pix_fmt not in BROWSER_PIX_FMTS:
        reasons.append(f"pixel format {info.pix_fmt}")
    if info.interlaced:
        reasons.append("interlaced")
    if info.rotation:
        reasons.append(f"rotation {info.rotation}")
    if info.variable_frame_rate:
        reasons.append("variable frame rate")
    if not 10 <= info.frame_rate <= 60.5:
        reasons.append(f"frame rate {info.frame_rate}")
    if info.width * info.height > 1920 * 1088:
        reasons.append(f"frame size {info.width}x{info.height}")
    return reasons


def plan_for(infos):
    """The path for a session's files (in order): COPY, AUDIO or ENCODE, and the reasons.

    Files that will be joined must agree on frame size and rate to be copied; otherwise all
    are encoded to the same rendition so the join is a plain copy of worker-written files.
    """
    reasons = []
    for info in infos:
        reasons += video_reasons(info)
    first = infos[0]
    for other in infos[1:]:
        if (other.width, other.height, other.video_codec) != (first.width, first.height, first.video_codec):
            reasons.append("parts differ in frame size or codec")
        if abs(other.frame_rate - first.frame_rate) > 0.01:
            reasons.append("parts differ in frame rate")
    if reasons:
        return ENCODE, sorted(set(reasons))
    audio = {i.audio_codec for i in infos}
    if audio <= {"aac", None} and len(audio) == 1:
        return COPY, []
    return AUDIO, [f"audio {', '.join(sorted(a or 'none' for a in audio))}"]
