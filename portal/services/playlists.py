"""The HLS playlists of a film, written for each request from the segment rows (issue 19).

Nothing of a playlist is stored: the master playlist names the two renditions, and each media
playlist lists what ``hls.visible_segments`` allows now, so a film being processed grows from one
request to the next (an ``EVENT`` playlist without ``EXT-X-ENDLIST``) and a ready one is ``VOD``.

The URIs in the playlists are relative (``video.m3u8``, ``video/<segment id>.m4s``,
``video/<segment id>/init.mp4``): they resolve to the app's own routes in
``portal.review.hls``, which check the viewer's right and redirect to a short-lived storage URL.
A playlist never holds a storage URL, so a cached or copied playlist grants nothing, and a
viewing of any length never meets an expired URL. Segment ids are database ids; a client never
names a storage key.
"""

import math
import re

from flask import current_app
from flask_babel import gettext, ngettext

from portal.extensions import db
from portal.models.media import AUDIO, VIDEO, FilmPart, FilmSegment
from portal.models.recordings import READY
from portal.services import hls

CONTENT_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_TYPE = "video/iso.segment"
INIT_TYPE = "video/mp4"
# Used when the worker left no figures in media_info["hls"]: H.264 High 4.0 and AAC-LC cover
# every film the pipeline makes (players read the real codec from the init segment anyway).
DEFAULT_VIDEO_CODEC = "avc1.640028"
DEFAULT_AUDIO_CODEC = "mp4a.40.2"
DEFAULT_BANDWIDTH = 3_000_000
CODEC_RE = re.compile(r"^[A-Za-z0-9.]{1,40}$")
RESOLUTION_RE = re.compile(r"^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$")


def complete(recording):
    """True once the whole film is published (the playlists are VOD)."""
    return recording.status == READY


def master_url(recording):
    """The app path of the film's master playlist (what the play API hands the player); built
    without a request, so a job or a shell can call the play service too."""
    return current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT")).build(
        "review.hls_master", {"recording_id": recording.id})


def _facts(recording):
    """What the worker recorded about the renditions, each checked, else the defaults."""
    info = (recording.media_info or {}).get("hls") or {}
    info = info if isinstance(info, dict) else {}

    def valid(key, pattern, default):
        value = info.get(key)
        return value if isinstance(value, str) and pattern.match(value) else default

    bandwidth = info.get("bandwidth")
    bandwidth = bandwidth if isinstance(bandwidth, int) and 0 < bandwidth < 10**9 else DEFAULT_BANDWIDTH
    return {"video_codec": valid("video_codec", CODEC_RE, DEFAULT_VIDEO_CODEC),
            "audio_codec": valid("audio_codec", CODEC_RE, DEFAULT_AUDIO_CODEC),
            "resolution": valid("resolution", RESOLUTION_RE, None), "bandwidth": bandwidth}


def has_audio(recording):
    """True when the film's output run has an audio track (parts planned or segments written)."""
    run = hls.run_of(recording)
    return any(db.session.scalar(db.select(db.exists().where(
        model.recording_id == recording.id, model.run == run, model.track == AUDIO)))
        for model in (FilmPart, FilmSegment))


def master(recording):
    """The master playlist: one video rendition, with the audio rendition as its group."""
    facts = _facts(recording)
    audio = has_audio(recording)
    codecs = [facts["video_codec"]] + ([facts["audio_codec"]] if audio else [])
    stream = [f"BANDWIDTH={facts['bandwidth']}", f'CODECS="{",".join(codecs)}"']
    if facts["resolution"]:
        stream.append(f"RESOLUTION={facts['resolution']}")
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    if audio:
        stream.append('AUDIO="audio"')
        lines.append('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,'
                     f'URI="{AUDIO}.m3u8"')
    lines += ["#EXT-X-STREAM-INF:" + ",".join(stream), f"{VIDEO}.m3u8"]
    return "\n".join(lines) + "\n"


def media(recording, track):
    """The media playlist of ``track``: every visible segment, a new EXT-X-MAP where the init
    segment changes; EVENT while the film is processed, VOD with ENDLIST once it is ready."""
    segments = hls.visible_segments(recording, track)
    done = complete(recording)
    target = max(1, math.ceil(max((s.duration for s in segments), default=1)))
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", f"#EXT-X-TARGETDURATION:{target}", "#EXT-X-MEDIA-SEQUENCE:0",
             f"#EXT-X-PLAYLIST-TYPE:{'VOD' if done else 'EVENT'}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    if not done:  # a growing playlist is "live" to players: start at 0:00, not at its end
        lines.append("#EXT-X-START:TIME-OFFSET=0,PRECISE=YES")
    init = None
    for segment in segments:
        if segment.init != init:
            lines.append(f'#EXT-X-MAP:URI="{track}/{segment.id}/init.mp4"')
            init = segment.init
        lines += [f"#EXTINF:{segment.duration:.3f},", f"{track}/{segment.id}.m4s"]
    if done:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def segment_of(recording, track, segment_id):
    """The segment ``segment_id`` of ``track`` in the film's published run, or None."""
    segment = db.session.get(FilmSegment, segment_id)
    if (segment is None or segment.recording_id != recording.id or segment.track != track
            or segment.run != hls.run_of(recording)):
        return None
    return segment


def storage_key(recording, name):
    """The object key of ``name`` (a segment's ``name`` or ``init``) under the film's prefix."""
    return f"{recording.output_prefix.rstrip('/')}/{name}"


def playable(recording):
    """Seconds playable from 0:00: the whole film once ready, else what the worker published."""
    if complete(recording):
        return recording.duration or recording.playable_seconds or 0.0
    if recording.output_kind != "hls":
        return 0.0
    if recording.playable_seconds is not None:
        return recording.playable_seconds
    return hls.playable_seconds(recording)


def progress(recording):
    """How much of the film can be played, for the play API and the pages."""
    seconds = playable(recording)
    return {"playable_seconds": round(seconds, 3), "duration": recording.duration,
            "complete": complete(recording), "playable_text": playable_text(recording, seconds)}


def playable_text(recording, seconds=None):
    """"The first 12 minutes can be played; the rest is being processed", or "The whole film
    can be played"."""
    if complete(recording):
        return gettext("The whole film can be played")
    seconds = playable(recording) if seconds is None else seconds
    if seconds < 60:
        n = max(1, int(seconds))
        return ngettext("The first second can be played; the rest is being processed",
                        "The first %(num)d seconds can be played; the rest is being processed", n)
    n = int(seconds // 60)
    return ngettext("The first minute can be played; the rest is being processed",
                    "The first %(num)d minutes can be played; the rest is being processed", n)
