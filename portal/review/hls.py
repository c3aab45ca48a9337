"""A film published as HLS, served per viewer (issue 19): the playlists and, for each segment, a
redirect to a short-lived storage URL.

Why a redirect per segment rather than signed storage URLs in the playlist: a VOD playlist is
read once, so URLs written into it would have to outlive the longest viewing (three hours and
more), and a revoked right would then keep playing until they expire. Here every playlist and
every segment request checks the right to watch again (consent withdrawn, film deleted, role
removed, supervisor unassigned: the next request is refused), and the storage URL it redirects to
lives ``MEDIA_URL_TTL`` seconds (at most a minute) and is used at once, so no viewing ever meets
an expired URL. The bytes still go from storage to the browser; the app answers a few hundred
bytes per segment. Proxying the bytes through the app would check just as well but make the web
process carry every film.

Names come from the database: the client names a track (``video``/``audio``) and a segment id,
never a storage key. Everything answers ``Cache-Control: no-store``. People who may not know the
film get 404; its leaders and supervisors learn that it was deleted (410) or blocked by a
withdrawal of consent (403), as on the player page.
"""

from flask import Response, abort, redirect
from flask_login import current_user

from portal import permissions
from portal.extensions import db
from portal.models import Recording
from portal.models.media import TRACKS
from portal.models.recordings import DELETED
from portal.review import bp
from portal.services import film_state, playback, playlists
from portal.services.storage import get_storage


def hls_film(recording_id):
    """The film if the current user may watch it and it is published as HLS.

    :raise 410: deleted, :raise 403: blocked (both for people of the group only).
    :raise 404: otherwise, for anyone who may not watch it, and for an MP4 film.
    """
    recording = db.session.get(Recording, recording_id)
    if film_state.unavailable_reason(current_user, recording) is not None:
        abort(410 if recording.status == DELETED else 403)
    permissions.require_watch_recording(recording)
    if recording.output_kind != "hls" or not recording.output_prefix:
        abort(404)
    return recording


def known_track(track):
    """:raise 404: unless ``track`` is one of the renditions."""
    if track not in TRACKS:
        abort(404)
    return track


def playlist(text):
    response = Response(text, mimetype=playlists.CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def to_storage(recording, key, content_type):
    """302 to a fresh signed URL of ``key`` that names the viewer (the local backend checks again)."""
    url = get_storage().presign_get(key, playback.url_ttl(), content_type=content_type,
                                    claims={"viewer": current_user.id, "recording": recording.id})
    response = redirect(url, code=302)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/recordings/<int:recording_id>/hls/master.m3u8")
def hls_master(recording_id):
    """The master playlist; a viewing's audit row unless the play call just wrote one.
    :raise 404/403/410: see ``hls_film``."""
    recording = hls_film(recording_id)
    playback.note_viewing(current_user, recording, renewal=True)
    db.session.commit()
    return playlist(playlists.master(recording))


@bp.route("/recordings/<int:recording_id>/hls/<track>.m3u8")
def hls_media(recording_id, track):
    """The media playlist of one rendition (``video`` or ``audio``). :raise 404/403/410:"""
    recording = hls_film(recording_id)
    return playlist(playlists.media(recording, known_track(track)))


@bp.route("/recordings/<int:recording_id>/hls/<track>/<int:segment_id>.m4s")
def hls_segment(recording_id, track, segment_id):
    """302 to one media segment. :raise 404: a segment not of this film's track. :raise 403/410:"""
    recording = hls_film(recording_id)
    segment = playlists.segment_of(recording, known_track(track), segment_id)
    if segment is None:
        abort(404)
    return to_storage(recording, playlists.storage_key(recording, segment.name), playlists.SEGMENT_TYPE)


@bp.route("/recordings/<int:recording_id>/hls/<track>/<int:segment_id>/init.mp4")
def hls_init(recording_id, track, segment_id):
    """302 to the initialisation segment of one media segment. :raise 404/403/410:"""
    recording = hls_film(recording_id)
    segment = playlists.segment_of(recording, known_track(track), segment_id)
    if segment is None:
        abort(404)
    return to_storage(recording, playlists.storage_key(recording, segment.init), playlists.INIT_TYPE)
