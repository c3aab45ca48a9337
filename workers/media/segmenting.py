"""The jobs' view of the HLS media layer (``workers.media.hls``): one callback shape for every
path, ``on_segment(init, path, duration, idx)``, called as soon as a segment is complete.

The copy path and the session's sound report each segment while ffmpeg goes on; a chunk of the
encode path is short (``MEDIA_CHUNK_SECONDS``), so its segments are reported when it is done.
Tests replace these functions to inject failures without touching the media layer.
"""

from workers.media import hls

SEGMENT_SECONDS = hls.SEGMENT_SECONDS
NeedsSeeking = hls.NeedsSeeking


def _reporting(on_segment):
    if on_segment is None:
        return None
    return lambda segment: on_segment(segment.init, segment.path, segment.duration, segment.index)


def keyframes(path, info=None, timeout=600):
    """Keyframe times of ``path`` (file seconds)."""
    return hls.keyframes(path, timeout=timeout)


def first_keyframe_after(path, info, seconds, timeout=120):
    """The first keyframe of ``path`` at or after ``seconds``, or None."""
    return hls.first_keyframe_after(path, seconds, timeout=timeout)


def plan_chunks(keyframe_times, duration, first, length, first_end=None):
    """``[(start, end)]`` chunks cut at keyframes (``hls.plan_chunks``)."""
    return hls.plan_chunks(keyframe_times, duration, first=first, length=length, first_end=first_end)


def copy_to_segments(src, info, outdir, offset, track, timeout, on_segment=None):
    """Remux one track of one source file (``hls.copy_to_segments``)."""
    return hls.copy_to_segments(src, info, outdir, offset, track, timeout, on_segment=_reporting(on_segment))


def copy_tracks(src_or_pipe, info, outdir, offset, tracks, timeout, on_segment=None):
    """Remux ``tracks`` of one source file in one read of it (a path, or a pipe: a file object
    read in order); ``on_segment(track, init, path, duration, idx)``. :raise NeedsSeeking: for
    a pipe whose container needs seeking (then give a path)."""
    report = None if on_segment is None else (
        lambda segment: on_segment(segment.track, segment.init, segment.path, segment.duration, segment.index))
    return hls.copy_to_segments(src_or_pipe, info, outdir, offset, tuple(tracks), timeout, on_segment=report)


def audio_track(sources_infos, outdir, timeout, on_segment=None):
    """The whole session's sound (``hls.audio_track``)."""
    return hls.audio_track(sources_infos, outdir, timeout, on_segment=_reporting(on_segment))


def chunk_film_start(info, start, offset):
    """Where the first picture of a chunk lies on the film's timeline (``hls.chunk_film_start``)."""
    return hls.chunk_film_start(info, start, offset)


def encode_video_chunk(src, info, start, end, outdir, offset, timeout, on_segment=None, progress=None):
    """Encode one chunk (``hls.encode_video_chunk``), then report its segments in order."""
    init, segments = hls.encode_video_chunk(src, info, start, end, outdir, offset, timeout, progress=progress)
    if on_segment is not None:
        for idx, (path, duration) in enumerate(segments):
            on_segment(init, path, duration, idx)
    return init, segments
