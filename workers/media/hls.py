"""A session's film as HLS: fMP4 (CMAF) segments of a video and an audio track (issue 19).

The pure media layer of the HLS pipeline: local files and pipes in, segment files out; no
database, storage or queue (the RQ jobs wrap these functions and publish what they return).

Times: a source file's times are seconds after its start (the earliest stream, what ffmpeg's
``-ss`` counts from); ``keyframes`` and ``plan_chunks`` use them. The film's timeline is the
session's, all camera files in order, each starting where the previous one ends (the sum of the
earlier files' ``MediaInfo.duration``); a part's ``offset`` is where it starts on that timeline,
and the segments written here carry film times (their ``tfdt``), so the segments of all parts
play as one continuous timeline.

Two paths, as chosen by ``probe.plan_for``:
- encode: ``keyframes`` (or ``first_keyframe_after`` to start at once), ``plan_chunks``, then one
  ``encode_video_chunk`` per chunk, each on any worker, and ``audio_track`` for the whole
  session's sound;
- copy (and audio fix): ``copy_to_segments`` per source file, from a path or a pipe, reporting each
  segment as soon as it is complete.
"""

import bisect
import math
import os
import struct
import subprocess
import tempfile
import threading
import time
from typing import NamedTuple

import ffmpeg

from workers.media import ffmpeg as gate
from workers.media import fmp4, transcode
from workers.media.ffmpeg import FFmpegFailed

VIDEO = "video"
AUDIO = "audio"
SEGMENT_SECONDS = 6
MIN_SEGMENT_SECONDS = 4
FIRST_CHUNK_SECONDS = 10.0
CHUNK_SECONDS = 120.0
GOPS_PER_SEGMENT = 3  # a keyframe about every 2 s inside a segment, so seeking decodes little
INIT_NAME = "init.mp4"
PLAYLIST_NAME = "index.m3u8"
SEGMENT_PATTERN = "seg-%05d.m4s"
TRIM_MARGIN = 0.001  # seconds; a picture lasts at least 16 ms
POLL_SECONDS = 0.2  # how often a running ffmpeg's output is looked at for finished segments
DURATION_SLACK = 0.05  # seconds a segment's length from its boxes may differ from ffmpeg's EXTINF
PIPE_BLOCK = 1 << 20
HEAD_BYTES = 256 * 1024  # read from a pipe to see whether an MP4's index comes first
AAC = ["-c:a", "aac", "-b:a", transcode.AUDIO_BITRATE, "-ac", "2", "-ar", "48000"]
HLS_OUTPUT = {
    "f": "hls",
    "hls_segment_type": "fmp4",
    "hls_fmp4_init_filename": INIT_NAME,
    "map_metadata": "-1",  # no GPS, device serials or names in what we publish
    "map_chapters": "-1",
    "sn": None,
    "dn": None,
    "max_muxing_queue_size": "1024",
}


class NeedsSeeking(ValueError):
    """A piped file that ffmpeg can only read by seeking (an MP4 with its index at the end)."""


class Segment(NamedTuple):
    """One complete segment file: ``index`` from 0 within its part, ``duration`` in seconds,
    ``init`` the path of the initialisation segment it needs (EXT-X-MAP)."""

    track: str
    index: int
    path: str
    duration: float
    init: str


# --- keyframes and chunks -------------------------------------------------------------------

def keyframes(path, timeout=600):
    """Times (seconds after the file's start, ascending) of the video keyframes of ``path``.

    Read from the packet index with ffprobe, without decoding: about 3 s per 10 minutes of
    1080p HEVC. :raise FFmpegFailed: when ffprobe fails or times out.
    """
    return _keyframes(path, [], timeout)


def first_keyframe_after(path, seconds, timeout=60):
    """The first video keyframe at or after ``seconds`` (file time), or None when there is none.

    Reads only the beginning of the file (a window that grows until it holds such a keyframe
    or the file ends), so the first chunk can start while ``keyframes`` lists the rest.
    """
    window = seconds + 30.0
    while True:
        found, last = _keyframes(path, ["-read_intervals", f"%+{window:.3f}"], timeout, with_last=True)
        after = [t for t in found if t >= seconds]
        if after:
            return after[0]
        if last is None or last < window - 2.0:  # the window reached the end of the file
            return None
        window *= 4


def _keyframes(path, options, timeout, with_last=False):
    lines = gate.ffprobe_csv(path, ["-select_streams", "v:0", *options, "-show_entries",
                                    "packet=pts_time,dts_time,flags:format=start_time"], timeout)
    origin, times, last = 0.0, [], None
    for line in lines:
        fields = line.split(",")
        if fields[0] == "format":
            origin = _float(fields[1]) or 0.0
        elif fields[0] == "packet" and len(fields) >= 4:
            at = _float(fields[1])
            at = _float(fields[2]) if at is None else at
            if at is None:
                continue
            last = at if last is None else max(last, at)
            if "K" in fields[3]:
                times.append(at)
    times = sorted({round(t - origin, 6) for t in times})
    if with_last:
        return times, None if last is None else last - origin
    return times


def _float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def plan_chunks(keyframe_times, duration, first=FIRST_CHUNK_SECONDS, length=CHUNK_SECONDS, first_end=None):
    """Split a file of ``duration`` seconds into chunks that start on keyframes.

    Returns [(start, end), ...] in file seconds: the first starts at 0 and ends on the first
    keyframe at or after ``first`` (a short chunk, so the film plays within seconds), each later
    one ends on the first keyframe at least ``length`` after its start, and the last ends at None
    (the end of the file). A tail shorter than a quarter of ``length`` (12 s after the first
    chunk) joins the chunk before it, so no chunk is tiny. Each chunk covers [start, end).

    ``first_end``: the end the first chunk was already given (``first_keyframe_after(path,
    first)``, encoded while the keyframes were being listed), so the plan agrees with it.
    """
    times = sorted(t for t in keyframe_times if 0 < t < duration)
    chunks, start = [], 0.0
    if first_end is not None:
        chunks.append((0.0, first_end))
        start = first_end
    while True:
        want = start + (first if not chunks else length)
        tail = 2 * SEGMENT_SECONDS if not chunks else length / 4
        at = bisect.bisect_left(times, want - 1e-6)
        if at >= len(times) or duration - times[at] < tail:
            chunks.append((start, None))
            return chunks
        chunks.append((start, times[at]))
        start = times[at]


def segment_length(seconds):
    """Seconds per segment for a part of ``seconds``: that length cut into equal segments of at
    most ``SEGMENT_SECONDS`` (4-6 s for any part of 12 s or more; the part itself when short)."""
    count = max(1, math.ceil(seconds / SEGMENT_SECONDS - 1e-6))
    return seconds / count


# --- the encode path --------------------------------------------------------------------------

def encode_video_chunk(src, info, start, end, outdir, offset, timeout, progress=None):
    """Encode the pictures of ``src`` in [start, end) (file seconds; ``end`` None: to the end) to
    720p H.264 fMP4 segments in ``outdir``, video only. ``outdir`` is the chunk's own folder
    (created if needed; what an earlier attempt left there is removed first).

    ``start`` must be a keyframe time from ``keyframes`` (or 0) and ``end`` the next chunk's
    start, so the chunks of a file hold each source picture exactly once. ``offset`` is where
    ``start`` lies on the film's timeline (seconds): the segments' decode times are moved there,
    so consecutive chunks play as one timeline. Settings are today's 720p encode
    (``transcode.video_filters`` and its x264 options), with a keyframe every ~2 s and a segment
    every 4-6 s. The initialisation segment is byte-identical for all chunks of a file (and of
    files of the same format), so one EXT-X-MAP serves them.

    Returns (init path, [(segment path, seconds), ...]) in play order. ``progress(fraction)``
    is called every few seconds. :raise FFmpegFailed: when ffmpeg fails or times out.
    """
    os.makedirs(outdir, exist_ok=True)
    seconds = (end if end is not None else info.duration) - start
    if seconds <= 0:
        raise ValueError(f"empty chunk [{start}, {end})")
    segment = segment_length(seconds)
    fps = transcode.target_frame_rate(info) or info.frame_rate or 25
    # The file's own timestamps (-copyts): ffmpeg would otherwise count from the first kept
    # stream in MPEG-TS but from the earliest one elsewhere. Before -i, -ss makes the demuxer
    # seek to the keyframe at or before ``start``; the trim below, not ffmpeg's, picks pictures.
    input_options = {"f": transcode.input_format(info), "copyts": None, **gate.input_options()}
    if start > 0:
        input_options.update(ss=f"{start:.6f}", noaccurate_seek=None)
    source = ffmpeg.input(os.path.abspath(src), **input_options)
    video = source["v:0"].filter("trim", **_trim(info.start_time + start, info.start_time + end
                                                 if end is not None else None, start > 0))
    video = transcode.video_filters(video, info).filter("setpts", "PTS-STARTPTS")
    options = {**HLS_OUTPUT, **_x264_options(fps, segment), "an": None,
               # a keyframe every segment / 3: the muxer cuts at the first one past each segment
               "force_key_frames": f"expr:gte(t,n_forced*{segment / GOPS_PER_SEGMENT:.6f})",
               "hls_time": f"{segment - 0.5 / fps:.6f}", "hls_playlist_type": "vod", "hls_list_size": "0",
               "hls_segment_filename": os.path.join(os.path.abspath(outdir), SEGMENT_PATTERN)}
    _clear(outdir)
    stream = ffmpeg.output(video, os.path.join(os.path.abspath(outdir), PLAYLIST_NAME), **options)
    gate.run(stream, cwd=outdir, timeout=timeout, duration=seconds, progress=progress)
    init, segments = _read_playlist(outdir)
    scale = fmp4.timescale(init)
    shift = chunk_film_start(info, start, offset)
    # x264 shows each picture two frames after its decode time: taken out, the chunk's first
    # picture is shown at ``shift``, in step with the sound (80 ms behind it before)
    delay = fmp4.composition_offset(segments[0][0]) if segments else 0
    fmp4.drop_edit_lists(init)
    for path, _duration in segments:
        fmp4.shift(path, shift, scale, composition=delay)
    return init, segments


def chunk_film_start(info, start, offset):
    """Where the first picture of the chunk [start, ...) of a file lies on the film's timeline:
    ffmpeg starts every chunk at 0; a file's first chunk starts at its first picture."""
    return offset + (info.video_start if start <= 0 else 0.0)


def _trim(start, end, cut_start):
    """Trim options keeping the pictures of [start, end) (the file's own timestamps; ``end``
    None: to the end). The millisecond of margin (far less than a picture) absorbs rounding,
    so a seam never loses or repeats a picture whichever way the times were rounded."""
    options = {}
    if cut_start:
        options["start"] = f"{start - TRIM_MARGIN:.6f}"
    if end is not None:
        options["end"] = f"{end - TRIM_MARGIN:.6f}"
    return options


def _x264_options(fps, segment):
    # x264 never places a keyframe of its own (no scene cuts, a GOP longer than a segment):
    # the forced ones alone decide, so every chunk is cut the same way
    return {**transcode.x264_options(), "g": str(int(math.ceil(2 * segment * fps)) + 1)}


def _clear(outdir):
    """Remove what an earlier attempt left in ``outdir``: a rerun never mixes old segments in."""
    for name in os.listdir(outdir):
        if name == PLAYLIST_NAME or name == INIT_NAME or name.startswith("seg-") or name.endswith(".tmp"):
            os.remove(os.path.join(outdir, name))


def _read_playlist(outdir):
    """(init path, [(segment path, seconds), ...]) of the playlist ffmpeg wrote in ``outdir``."""
    segments, duration = [], None
    with open(os.path.join(outdir, PLAYLIST_NAME), encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line.startswith("#EXTINF:"):
                duration = float(line[8:].split(",", 1)[0])
            elif line and not line.startswith("#") and duration is not None:
                segments.append((os.path.join(outdir, os.path.basename(line)), duration))
                duration = None
    return os.path.join(outdir, INIT_NAME), segments


# --- the copy path and the session's audio ---------------------------------------------------

def copy_to_segments(src_or_pipe, info, outdir, offset, track, timeout, on_segment=None):
    """Remux one source file into fMP4 segments, reporting each as soon as it is complete.

    ``src_or_pipe``: a local path, or a binary file object whose ``read(n)`` gives the file's
    bytes in order (a download stream; the caller may hash what it hands over): it is fed to
    ffmpeg's stdin (``pipe:0``) from a thread. MPEG-TS/MTS, Matroska, MPEG-PS and MP4/MOV whose
    index (moov) comes before its media work from a pipe; an MP4 with the index at the end needs
    seeking, so give its path (``streamable`` tells from the first bytes). ``info`` is the file's
    ``MediaInfo`` (its demuxer is forced). ``track``: "video" (stream copy), "audio" (copied when
    AAC, else AAC 128k stereo 48 kHz; silence when the file has no sound), or a tuple of both,
    made in one read of the input. ``offset`` is where the file starts on the film's timeline;
    each track's decode times are moved to ``offset`` plus its own start in the file.

    Segments are cut on the source's keyframes about every ``SEGMENT_SECONDS`` (their length
    follows the camera's keyframe interval). ffmpeg writes an EVENT playlist; a segment counts
    as complete once that playlist lists it, and then ``on_segment(Segment)`` is called (from
    this thread, in order, while ffmpeg goes on); an exception from it stops ffmpeg.

    A single track writes into ``outdir`` and returns (init path, [(segment path, seconds),
    ...]); a tuple writes into ``outdir/<track>`` and returns {track: (init, segments)}. Use one
    ``outdir`` per part: what an earlier attempt left there is removed first.
    :raise FFmpegFailed: when ffmpeg fails or ``timeout`` (seconds) passes.
    """
    tracks = (track,) if isinstance(track, str) else tuple(track)
    piped = hasattr(src_or_pipe, "read")
    if piped and transcode.input_format(info) == "mov":
        head = _read_head(src_or_pipe, time.monotonic() + timeout)
        if not streamable(head, info):
            raise NeedsSeeking("the file's index (moov) follows its media: give a local path")
        src_or_pipe = _Prefixed(head, src_or_pipe)
    args = ["ffmpeg", *gate.global_options(stdin=piped), "-f", transcode.input_format(info),
            *_whitelist(), "-i", "pipe:0" if piped else os.path.abspath(src_or_pipe)]
    outputs = []
    for name in tracks:
        folder = os.path.join(outdir, name) if len(tracks) > 1 else outdir
        start = info.video_start if name == VIDEO else info.audio_start
        if name == VIDEO:
            args += ["-map", "0:v:0", "-c:v", "copy"]
        elif info.audio_codec:
            # ADTS (AAC in MPEG-TS) becomes the MP4 form; MP4's own AAC passes unchanged
            copy = ["-c:a", "copy", "-bsf:a", "aac_adtstoasc"]
            args += ["-map", "0:a:0", *(copy if info.audio_codec == "aac" else AAC)]
        else:  # a file without sound in a session with sound: silence as long as the file
            silence = f"[silence{len(outputs)}]"
            args += ["-filter_complex", f"anullsrc=r=48000:cl=stereo,atrim=end={info.duration:.6f}{silence}",
                     "-map", silence, *AAC]
            start = 0.0
        args += _hls_output(folder, SEGMENT_SECONDS)
        outputs.append((name, folder, offset + start))
    results = _run_watching(args, outputs, timeout, on_segment, src_or_pipe if piped else None,
                            cwd=outdir)
    return results[tracks[0]] if isinstance(track, str) else results


def audio_track(sources_infos, outdir, timeout, on_segment=None):
    """The whole session's sound as AAC fMP4 segments in ``outdir``, in one run (the encode path).

    ``sources_infos``: [(local path, MediaInfo), ...] in timeline order. Each file's sound is
    placed from its own start in the file (silence before a late first sound), cut or padded
    with silence to the file's ``duration``, and a file without sound gives silence, so file i
    starts on the film's timeline at the sum of the earlier files' durations, as its video does.
    AAC 128k stereo 48 kHz, segments of ``SEGMENT_SECONDS``; ``on_segment(Segment)`` is called
    as each is complete (see ``copy_to_segments``). Returns (init path, [(segment path,
    seconds), ...]). :raise FFmpegFailed: when ffmpeg fails or ``timeout`` passes.
    """
    args, chains = ["ffmpeg", *gate.global_options()], []
    inputs = 0
    for index, (src, info) in enumerate(sources_infos):
        length = f"{info.duration:.6f}"
        if info.audio_codec:
            args += ["-f", transcode.input_format(info), *_whitelist(), "-i", os.path.abspath(src)]
            lead = round(info.audio_start * 48000)
            chains.append(f"[{inputs}:a:0]asetpts=PTS-STARTPTS,aresample=48000:async=1,"
                          f"aformat=sample_fmts=fltp:channel_layouts=stereo,"
                          f"adelay=delays={lead}S:all=1,apad=whole_dur={length},atrim=end={length}[a{index}]")
            inputs += 1
        else:
            chains.append(f"anullsrc=r=48000:cl=stereo,atrim=end={length},aformat=sample_fmts=fltp[a{index}]")
    joined = "".join(f"[a{index}]" for index in range(len(sources_infos)))
    chains.append(f"{joined}concat=n={len(sources_infos)}:v=0:a=1[audio]")
    args += ["-filter_complex", ";".join(chains), "-map", "[audio]", *AAC,
             *_hls_output(outdir, SEGMENT_SECONDS)]
    return _run_watching(args, [(AUDIO, outdir, 0.0)], timeout, on_segment, None, cwd=outdir)[AUDIO]


def streamable(head, info):
    """Whether a file can be read from a pipe, judged from its first bytes (``head``, a few
    hundred KiB): an MP4/MOV only when its index (moov) comes before its media (mdat)."""
    if transcode.input_format(info) != "mov":
        return True
    offset = 0
    while offset + 8 <= len(head):  # top-level box headers only: the moov itself may be longer
        size, kind = struct.unpack_from(">I4s", head, offset)
        if kind == b"moov":
            return True
        if kind == b"mdat":
            return False
        if size == 1 and offset + 16 <= len(head):
            size = struct.unpack_from(">Q", head, offset + 8)[0]
        if size < 8:
            return False
        offset += size
    return False


def _whitelist():
    return ["-protocol_whitelist", gate.PROTOCOL_WHITELIST, "-format_whitelist", gate.FORMAT_WHITELIST]


def _hls_output(folder, seconds):
    """One output of a watched run (``_run_watching``): a VOD playlist, written once at the end
    (an EVENT playlist is rewritten whole after every segment: a third of a 2.5-hour remux's
    time), and each segment written as ``.tmp`` and renamed when complete (``temp_file``)."""
    os.makedirs(folder, exist_ok=True)
    _clear(folder)
    folder = os.path.abspath(folder)
    return ["-map_metadata", "-1", "-map_chapters", "-1", "-max_muxing_queue_size", "1024",
            "-f", "hls", "-hls_segment_type", "fmp4", "-hls_time", str(seconds),
            "-hls_playlist_type", "vod", "-hls_list_size", "0", "-hls_flags", "temp_file",
            "-hls_fmp4_init_filename", INIT_NAME,
            "-hls_segment_filename", os.path.join(folder, SEGMENT_PATTERN),
            os.path.join(folder, PLAYLIST_NAME)]


def _run_watching(args, outputs, timeout, on_segment, pipe, cwd):
    """Run ffmpeg, feeding ``pipe`` to its stdin, and report each output's segments as ffmpeg
    completes them (``_Watcher``). ``outputs``: [(track, folder, seconds to add to decode times)]."""
    watchers = [_Watcher(track, folder, shift, on_segment) for track, folder, shift in outputs]
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryFile(mode="w+", dir=cwd) as errfile:
        proc = gate.spawn(args, cwd=cwd, stdin=subprocess.PIPE if pipe is not None else None,
                          stderr=errfile)
        feeder = _Feeder(pipe, proc.stdin) if pipe is not None else None
        unreadable = None  # a finished segment that could not be read: ffmpeg's failure says why
        try:
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    raise FFmpegFailed(f"ffmpeg timed out after {timeout}s", timed_out=True)
                if feeder and feeder.error:
                    raise feeder.error
                try:
                    for watcher in watchers:
                        watcher.poll()
                except (ValueError, OSError) as error:  # e.g. cut short by a full disk
                    unreadable = error
                    proc.wait(timeout=5)  # its own end, with its reason, unless it goes on
                    break
                try:  # the next look for finished segments, or at once when ffmpeg is done
                    proc.wait(timeout=POLL_SECONDS)
                except subprocess.TimeoutExpired:
                    pass
        except subprocess.TimeoutExpired:
            pass  # killed below
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if feeder:
                feeder.join(timeout=5)  # a source stuck in read() must not hold the job
        if feeder and feeder.error:
            raise feeder.error
        errfile.seek(0)
        stderr = errfile.read()[-4000:]
    if proc.returncode != 0 or unreadable is not None:
        reason = f"ffmpeg exited with {proc.returncode}" if proc.returncode else f"unreadable segment: {unreadable}"
        raise FFmpegFailed(reason, stderr) from unreadable
    for watcher in watchers:
        watcher.finish(stderr)
        if not sum(duration for _path, duration in watcher.done):
            # ffmpeg exits 0 on an input it could not read to the end (e.g. "partial file")
            raise FFmpegFailed(f"no {watcher.track} came out", stderr)
    return {watcher.track: (watcher.init, watcher.done) for watcher in watchers}


class _Watcher:
    """Reports one output's segments in order as ffmpeg completes them: ``seg-00007.m4s`` exists
    once its ``.tmp`` was renamed, and its length is read from its own boxes (sample durations), so
    no growing playlist is needed. When ffmpeg is done its playlist must list the same segments."""

    def __init__(self, track, folder, shift, on_segment):
        self.track, self.folder, self.shift, self.on_segment = track, folder, shift, on_segment
        self.init = os.path.join(folder, INIT_NAME)
        self.done = []
        self.scale = self.default_duration = None

    def poll(self):
        while True:
            path = os.path.join(self.folder, SEGMENT_PATTERN % len(self.done))
            if not os.path.exists(path):
                return
            if self.scale is None:
                if not os.path.exists(self.init):
                    return
                self.scale, self.default_duration = fmp4.timescale(self.init), fmp4.trex_duration(self.init)
            duration = fmp4.media_ticks(path, self.default_duration) / self.scale
            fmp4.shift(path, self.shift, self.scale)
            self.done.append((path, duration))
            if self.on_segment:
                self.on_segment(Segment(self.track, len(self.done) - 1, path, duration, self.init))

    def finish(self, stderr=""):
        """The last segments, then the check against the playlist ffmpeg wrote at its end.
        :raise FFmpegFailed: when they differ (a segment reported that ffmpeg did not finish)."""
        try:
            self.poll()
            _init, listed = _read_playlist(self.folder)
        except FileNotFoundError as error:
            raise FFmpegFailed(f"no {self.track} playlist came out", stderr) from error
        except (ValueError, OSError) as error:  # ffmpeg exits 0 with nothing written on a full disk
            raise FFmpegFailed(f"unreadable {self.track} output: {error}", stderr) from error
        same = [path for path, _seconds in listed] == [path for path, _seconds in self.done]
        # lengths agree to the microsecond but for a film's last sound frame, which the playlist
        # counts whole and the boxes as far as it is filled (up to 21 ms)
        if not same or any(abs(seconds - reported) > DURATION_SLACK
                           for (_p, seconds), (_q, reported) in zip(listed, self.done, strict=True)):
            raise FFmpegFailed(f"the {self.track} segments differ from ffmpeg's playlist", stderr)


def _read_head(pipe, deadline):
    """The first ``HEAD_BYTES`` of ``pipe`` (fewer at its end), read within ``deadline``."""
    head = b""
    while len(head) < HEAD_BYTES:
        if time.monotonic() > deadline:
            raise FFmpegFailed("the source did not deliver its first bytes in time", timed_out=True)
        block = pipe.read(HEAD_BYTES - len(head))
        if not block:
            break
        head += block
    return head


class _Prefixed:
    """A file object that gives ``head`` (bytes already read) and then the rest of ``source``."""

    def __init__(self, head, source):
        self.head, self.source = head, source

    def read(self, size):
        if self.head:
            block, self.head = self.head[:size], self.head[size:]
            return block
        return self.source.read(size)


class _Feeder(threading.Thread):
    """Copies a file object into ffmpeg's stdin; keeps the error that stopped it, if any."""

    def __init__(self, source, sink):
        super().__init__(daemon=True)
        self.source, self.sink, self.error = source, sink, None
        self.start()

    def run(self):
        try:
            while block := self.source.read(PIPE_BLOCK):
                self.sink.write(block)
        except BrokenPipeError:
            pass  # ffmpeg stopped reading: its exit status tells why
        except Exception as error:  # noqa: BLE001 - handed to the caller's thread
            self.error = error
        finally:
            try:
                self.sink.close()
            except OSError:
                pass
