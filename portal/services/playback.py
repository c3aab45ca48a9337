"""Playback of a ready film: short-lived media URLs after the access check, one audit row per
play, and where each viewer stopped.

The URLs are signed for ``MEDIA_URL_TTL`` seconds and never logged; the player asks for fresh
ones before they expire, so a three-hour viewing is never interrupted.
"""

from datetime import timedelta

from flask import current_app

from portal.extensions import db
from portal.models import AuditEvent, User
from portal.models.base import utcnow
from portal.models.supervision import PlaybackPosition
from portal.services import audit
from portal.services.storage import get_storage

PLAY = "recording.play"


def media_urls(recording, ttl):
    """Signed GET URLs for the film, its pictures and its storyboard sheets."""
    storage = get_storage()
    prefix = recording.output_prefix

    def sign(name):
        return storage.presign_get(f"{prefix}/{name}", ttl)

    sheets = (recording.media_info or {}).get("storyboard") or []
    return {
        "video": sign("video.mp4"),
        "poster": sign("poster.jpg"),
        "thumbnail": sign("thumb.jpg"),
        "storyboard": {"vtt": sign("storyboard.vtt"), "sheets": {name: sign(name) for name in sheets}}
        if sheets else None,
    }


def play(user, recording, renewal=False):
    """Media URLs for ``user`` (already checked), with an audit row; a renewal during the same
    viewing is audited as such, so the log counts viewings rather than URL refreshes."""
    ttl = current_app.config["MEDIA_URL_TTL"]
    urls = media_urls(recording, ttl)
    audit.record("recording.play_renew" if renewal else PLAY, recording, actor=user,
                 group_session_id=recording.group_session_id)
    return {**urls, "expires_in": ttl, "expires_at": (utcnow() + timedelta(seconds=ttl)).isoformat(),
            "position": last_position(user, recording)}


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
