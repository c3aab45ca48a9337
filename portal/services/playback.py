"""Playback of a ready film: short-lived media URLs after the access check, one audit row per
viewing, and where each viewer stopped.

The URLs are signed for ``MEDIA_URL_TTL`` seconds (at most ``MAX_URL_TTL``) and never logged;
the player asks for fresh ones before they expire, so a three-hour viewing is never interrupted,
and each renewal checks the right to watch again, so a withdrawn right stops playback within
one URL lifetime. The local backend's URLs also carry the viewer and the film, and storage checks
the right again on every request (``still_watchable``).

Whether a request renews an earlier play is the server's decision, not the client's: only a
play or renewal of the same user and film within ``RENEWAL_WINDOW`` makes one, so every viewer
has a ``recording.play`` row and appears on the leaders' "who watched" page.
"""

from datetime import timedelta

from flask import current_app

from portal import permissions
from portal.extensions import db
from portal.models import AuditEvent, Recording, User
from portal.models.base import utcnow
from portal.models.recordings import READY
from portal.models.supervision import PlaybackPosition
from portal.services import audit, hls, playlists
from portal.services.storage import get_storage

PLAY = "recording.play"
RENEW = "recording.play_renew"
MAX_URL_TTL = 60  # seconds: a revoked right stops playback within one URL lifetime
RENEWAL_WINDOW = timedelta(minutes=10)  # a renewal must follow the viewing's last row within this
RENEWAL_AUDIT_EVERY = timedelta(minutes=5)  # a long viewing leaves a renewal row this often


def url_ttl():
    """Seconds a media URL lives: ``MEDIA_URL_TTL``, never more than ``MAX_URL_TTL``."""
    return max(1, min(int(current_app.config["MEDIA_URL_TTL"]), MAX_URL_TTL))


def media_urls(recording, ttl, viewer=None):
    """Signed GET URLs for the film, its pictures and its storyboard sheets; with ``viewer``
    the local backend re-checks that person's right on every request.

    A film published as HLS has no single file: its playlists are served by the app
    (``playlists.master_url``), so ``video`` is left out. Its pictures are made while the film is
    processed, so until it is ready only those already in storage are signed.
    """
    storage = get_storage()
    prefix = recording.output_prefix
    claims = {"viewer": viewer.id, "recording": recording.id} if viewer is not None else None
    complete = recording.status == READY

    def sign(name):
        return storage.presign_get(f"{prefix}/{name}", ttl, claims=claims)

    def picture(name):
        return sign(name) if complete or storage.head(f"{prefix}/{name}") is not None else None

    sheets = (recording.media_info or {}).get("storyboard") or []
    urls = {
        "poster": picture("poster.jpg"),
        "thumbnail": picture("thumb.jpg"),
        "storyboard": {"vtt": sign("storyboard.vtt"), "grid": None,
                       "sheets": {name: sign(name) for name in sheets}} if sheets else None,
    }
    if not complete and recording.output_kind == "hls":
        urls["storyboard"] = growing_storyboard(recording, sign)
    if recording.output_kind == "hls":
        urls["hls"] = playlists.master_url(recording)
    else:
        urls["video"] = sign("video.mp4")
    return urls


def growing_storyboard(recording, sign):
    """The storyboard of a film still being encoded, as far as its chunk jobs drew it: a grid of
    tiles per part that the player turns into previews (``storyboard.js``), or None. Once the
    film is ready its WebVTT track holds the same tiles."""
    parts = [tiles for tiles in hls.part_tiles(recording.id, hls.run_of(recording)) if tiles]
    if not parts:
        return None
    first = parts[0]
    grid = {"interval": first["interval"], "columns": first["columns"], "width": first["width"],
            "height": first["height"], "duration": recording.duration,
            "parts": sorted(({key: tiles[key] for key in ("first", "count", "rows", "sheets")} for tiles in parts),
                            key=lambda part: part["first"])}
    names = [name for tiles in parts for name in tiles["sheets"]]
    return {"vtt": None, "grid": grid, "sheets": {name: sign(name) for name in names}}


def last_viewing_row(user, recording, since):
    """The newest play or renewal row of ``user`` for ``recording`` at or after ``since``."""
    return db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.actor_id == user.id, AuditEvent.object_type == "recording",
                                    AuditEvent.object_id == recording.id, AuditEvent.action.in_((PLAY, RENEW)),
                                    AuditEvent.at >= since)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1))


def note_viewing(user, recording, renewal=False):
    """The audit row of a viewing, at most one per viewing and one per ``RENEWAL_AUDIT_EVERY``.

    A request that asks to renew is one only when the same user played (or renewed) the film
    within ``RENEWAL_WINDOW``; otherwise it is a new viewing with its ``recording.play`` row.
    Renewals of one viewing leave a ``recording.play_renew`` row at most every
    ``RENEWAL_AUDIT_EVERY``, so the log counts viewings rather than URL refreshes. The HLS master
    playlist counts as a renewal: right after the player's play call it adds nothing, and
    opened on its own (a native HLS player) it is a viewing.
    """
    now = utcnow()
    last = last_viewing_row(user, recording, now - RENEWAL_WINDOW) if renewal else None
    if last is None:
        audit.record(PLAY, recording, actor=user, group_session_id=recording.group_session_id)
    elif last_viewing_row(user, recording, now - RENEWAL_AUDIT_EVERY) is None:
        audit.record(RENEW, recording, actor=user, group_session_id=recording.group_session_id)


def play(user, recording, renewal=False):
    """Media URLs for ``user`` (already checked), with an audit row (``note_viewing``), and how
    much of the film can be played now."""
    ttl = url_ttl()
    now = utcnow()
    note_viewing(user, recording, renewal=renewal)
    urls = media_urls(recording, ttl, viewer=user)
    return {**urls, "expires_in": ttl, "expires_at": (now + timedelta(seconds=ttl)).isoformat(),
            "position": last_position(user, recording), **playlists.progress(recording)}


def still_watchable(user_id, recording_id):
    """True while user ``user_id`` may still watch recording ``recording_id``: the check storage
    repeats on every request for a media URL (consent withdrawn, film deleted, role removed,
    account deactivated or supervisor unassigned all end it)."""
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    recording = db.session.get(Recording, recording_id) if isinstance(recording_id, int) else None
    return user is not None and permissions.can_watch_recording(user, recording)


def last_position(user, recording):
    """Seconds into the film where ``user`` last was, or 0."""
    row = db.session.get(PlaybackPosition, (user.id, recording.id))
    return row.position if row is not None else 0.0


def save_position(user, recording, position):
    """Remember where ``user`` is in the film (clamped to its length)."""
    position = max(0.0, min(float(position), recording.duration or float(position)))
    row = db.session.get(PlaybackPosition, (user.id, recording.id))
    if row is None:
        row = PlaybackPosition(user_id=user.id, recording_id=recording.id)
        db.session.add(row)
    row.position = round(position, 2)
    return row.position


def viewings(recording_ids, limit=500):
    """Who watched which of ``recording_ids`` and when, newest first: (event, user) pairs."""
    if not recording_ids:
        return []
    return db.session.execute(
        db.select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.action == PLAY, AuditEvent.object_type == "recording",
               AuditEvent.object_id.in_(recording_ids))
        .order_by(AuditEvent.id.desc()).limit(limit)).all()
