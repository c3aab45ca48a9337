"""Views of the uploads blueprint."""

from flask import abort, current_app, render_template
from flask_login import current_user

from portal.extensions import db
from portal.models import GroupSession
from portal.services import consent
from portal.services import recordings as recording_service
from portal.services.uploads import MAX_FILES_PER_SESSION, current_recording
from portal.uploads import bp


@bp.route("/sessions/<int:session_id>/upload")
def session_upload(session_id):
    """Upload the session's film, or see how its processing goes. :raise 404, 403:"""
    group_session = db.session.get(GroupSession, session_id)
    refusal = consent.upload_gate(current_user, group_session)
    if refusal is not None and refusal.status in (403, 404):
        abort(refusal.status)
    recording = current_recording(group_session)
    config = current_app.config
    return render_template(
        "uploads/session.html", group_session=group_session, group=group_session.group,
        refusal=refusal, recording=recording,
        status_text=recording_service.status_text(recording) if recording else None,
        reason_text=recording_service.reason_text(recording.reason_code, recording.reason_detail)
        if recording else None,
        time_left_text=recording_service.time_left_text(recording_service.seconds_left(recording))
        if recording else None,
        can_upload=refusal is None and (recording is None or recording.status in ("awaiting_upload", "uploading")),
        max_file_bytes=config["UPLOAD_MAX_FILE_BYTES"], min_part_size=config["UPLOAD_PART_BYTES"],
        max_files=MAX_FILES_PER_SESSION)

