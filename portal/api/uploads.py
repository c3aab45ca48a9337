"""Upload and recording endpoints of the JSON API v1.

The browser (Uppy) calls these to start or resume a file, get signed part URLs, list what is
stored, complete and cancel; bytes never pass through here in S3 mode.
"""

from flask import current_app, jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import permissions
from portal.api import bp, json_body
from portal.extensions import db
from portal.models import GroupSession
from portal.models.recordings import Recording, SourceFile
from portal.services import consent, film_state, playlists, uploads
from portal.services import recordings as recording_service
from portal.services.uploads import UploadRefused


def session_for_upload(session_id):
    """The session if an upload may start. :raise UploadRefused: 404/403/409 from the gate."""
    group_session = db.session.get(GroupSession, session_id)
    refusal = consent.upload_gate(current_user, group_session)
    if refusal is not None:
        raise UploadRefused(*refusal)
    return group_session


def source_for(public_id):
    """The upload ``public_id`` if the current user may work on it. :raise 404:"""
    source = db.session.scalar(db.select(SourceFile).where(SourceFile.public_id == public_id))
    permissions.require_operate_upload(source.recording.group_session if source else None)
    return source


def recording_json(recording):
    """A recording's state for the leader's page and the API."""
    return {
        "id": recording.id,
        "session_id": recording.group_session_id,
        "status": recording.status,
        "status_text": recording_service.status_text(recording),
        "reason": recording.reason_code,
        "reason_text": recording_service.reason_text(recording.reason_code, recording.reason_detail),
        "progress": round(recording.progress or 0.0, 3),
        "seconds_left": (left := recording_service.seconds_left(recording)),
        "time_left_text": recording_service.time_left_text(left),
        "can_retry": permissions.can_retry_recording(current_user, recording),
        "attempts": recording.attempts,
        "duration": recording.duration,
        "files": [{"upload_id": s.public_id, "position": s.position, "filename": s.filename,
                   "size": s.size, "status": s.status} for s in recording.active_sources],
        "queue": queue_json(recording),
        "sound_checked": (sound := recording_service.sound_check(recording))[0],
        "sound_warning": recording_service.sound_text(sound[1]),
        "watch_url": url_for("review.player", recording_id=recording.id)
        if permissions.can_watch_recording(current_user, recording) else None,
        **playlists.progress(recording),
        "upload_url": url_for("uploads.session_upload", session_id=recording.group_session_id),
    }


def queue_json(recording):
    """The films ahead of ``recording`` and when it will be ready, while it waits or is processed."""
    if recording.status not in ("uploaded", "processing"):
        return None
    place = film_state.queue(recording)
    return {"ahead": place["ahead"], "text": film_state.ahead_text(place["ahead"]), "seconds": place["seconds"],
            "ready_in_text": film_state.ready_in_text(place["seconds"])}


@bp.route("/sessions/<int:session_id>/uploads", methods=["POST"])
def start_upload(session_id):
    """Start or resume a file upload. :raise 404/403/409: by the consent and leader gate."""
    group_session = session_for_upload(session_id)
    data = json_body()
    source, resumed = uploads.start_upload(
        current_user, group_session, data.get("filename"), data.get("size"),
        data.get("content_type", "application/octet-stream"), position=data.get("position", 1),
        file_count=data.get("file_count", 1), last_modified=data.get("last_modified"))
    db.session.commit()
    return jsonify(upload_id=source.public_id, recording_id=source.recording_id, resumed=resumed,
                   part_size=source.part_size, part_count=source.part_count,
                   max_file_bytes=current_app.config["UPLOAD_MAX_FILE_BYTES"]), (200 if resumed else 201)


@bp.route("/sessions/<int:session_id>/uploads/restart", methods=["POST"])
def restart_upload(session_id):
    """Abort the session's unfinished upload and drop its parts, so the film starts over.

    :raise 404: unless the user may upload to the session. :raise 409: once the film is in.
    """
    group_session = db.session.get(GroupSession, session_id)
    permissions.require_operate_upload(group_session)
    recording = uploads.restart_upload(current_user, group_session)
    db.session.commit()
    return jsonify(session_id=session_id, recording_id=recording.id if recording else None,
                   status=recording.status if recording else None)


@bp.route("/uploads/<upload_id>/part-urls", methods=["POST"])
def part_urls(upload_id):
    """Signed PUT URLs for the listed part numbers. :raise 404:"""
    source = source_for(upload_id)
    urls, ttl = uploads.sign_parts(source, json_body().get("part_numbers"))
    return jsonify(urls={str(n): url for n, url in urls.items()}, expires_in=ttl)


@bp.route("/uploads/<upload_id>")
def upload_state(upload_id):
    """The upload's state and the parts storage already holds. :raise 404:"""
    source = source_for(upload_id)
    return jsonify(upload_id=source.public_id, status=source.status, size=source.size,
                   part_size=source.part_size, part_count=source.part_count,
                   parts=uploads.stored_parts(source))


@bp.route("/uploads/<upload_id>/complete", methods=["POST"])
def complete_upload(upload_id):
    """Complete the file once its parts add up; idempotent. :raise 404/409/422:"""
    source = source_for(upload_id)
    parts = json_body().get("parts")
    if not isinstance(parts, list):
        raise UploadRefused(422, "invalid_parts", _("List the uploaded parts with number and etag."))
    uploads.complete_upload(current_user, source, parts)
    db.session.commit()
    if uploads.finish_recording(current_user, source.recording_id):
        recording_service.enqueue_after_upload(source.recording)
    return jsonify(upload_id=source.public_id, status=source.status, recording_id=source.recording_id,
                   recording_uploaded=source.recording.status != "uploading")


@bp.route("/uploads/<upload_id>", methods=["DELETE"])
def cancel_upload(upload_id):
    """Cancel the file's upload and drop its stored parts. :raise 404:"""
    source = source_for(upload_id)
    uploads.cancel_upload(current_user, source)
    db.session.commit()
    return jsonify(upload_id=source.public_id, status=source.status)


@bp.route("/recordings/<int:recording_id>")
def recording_state(recording_id):
    """A recording's state, progress and reason. :raise 404: when not visible to the user."""
    recording = db.session.get(Recording, recording_id)
    permissions.require_view_recording_status(recording)
    return jsonify(recording_json(recording))
