"""Views of the uploads blueprint."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import permissions
from portal.errors import Refused
from portal.extensions import db
from portal.models import Chapter, GroupSession
from portal.models.recordings import Recording
from portal.security import recent_auth_redirect
from portal.services import chapters, consent, film_state, playlists
from portal.services import recordings as recording_service
from portal.services.uploads import MAX_FILES_PER_SESSION, current_recording
from portal.uploads import bp


def _not_uploader_message(group):
    """Who uploads for the group, and how a co-leader gets to upload too."""
    uploader = group.uploader
    return _("%(name)s uploads the films of this group. %(name)s or an administrator of your organisation can "
             "let you upload too, with “Let the co-leader upload too” on the group's page.",
             name=uploader.name if uploader else _("The designated uploader"))


@bp.route("/sessions/<int:session_id>/upload")
def session_upload(session_id):
    """Upload the session's film, or see how its processing goes. :raise 404:"""
    group_session = db.session.get(GroupSession, session_id)
    refusal = consent.upload_gate(current_user, group_session)
    if refusal is not None and refusal.status == 404:
        abort(404)
    group = group_session.group
    refusal_message = _not_uploader_message(group) if refusal and refusal.code == "not_uploader" else \
        (refusal.message if refusal else None)
    recording = current_recording(group_session)
    attempt = film_state.last_attempt(group_session)
    config = current_app.config
    return render_template(
        "uploads/session.html", group_session=group_session, group=group,
        refusal=refusal, refusal_message=refusal_message, recording=recording, attempt=attempt,
        attempt_reason=recording_service.reason_text(attempt.reason_code, attempt.reason_detail)
        if attempt else None,
        status_label=recording_service.status_text, can_remove=film_state.can_remove(current_user, recording),
        sound_warning=recording_service.sound_warning,
        playable_text=playlists.playable_text,
        can_upload=refusal is None and (recording is None or recording.status in ("awaiting_upload", "uploading")),
        max_file_bytes=config["UPLOAD_MAX_FILE_BYTES"], min_part_size=config["UPLOAD_PART_BYTES"],
        max_files=MAX_FILES_PER_SESSION,
        chapter_list=chapters.chapters_of(recording) if recording is not None else [],
        chapter_kinds=chapters.kinds_for(group.program))


@bp.route("/recordings/<int:recording_id>/chapters", methods=["POST"])
def add_chapter(recording_id):
    """A leader marks a part of the film from the session's page ("Kapitel: [kind] [mm:ss] Lägg
    till"), once it is uploaded. :raise 404: unless the user sees the film's group."""
    recording = db.session.get(Recording, recording_id)
    permissions.require_view_recording_status(recording)
    start = chapters.parse_timecode(request.form.get("start"))
    try:
        if start is None:
            raise Refused(422, "invalid_start", _("Write the time as minutes:seconds, for example 12:30."))
        _chapter, created = chapters.add_chapter(current_user, recording,
                                                 {"kind": request.form.get("kind"), "start": start})
    except Refused as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
    else:
        db.session.commit()
        flash(_("The chapter is added.") if created else _("That chapter is already there."), "success")
    return redirect(url_for("uploads.session_upload", session_id=recording.group_session_id) + "#chapters")


@bp.route("/chapters/<int:chapter_id>/delete", methods=["POST"])
def delete_chapter(chapter_id):
    """A leader takes back a chapter they added, from the session's page. :raise 404: unless the
    user sees the film's group."""
    chapter = db.session.get(Chapter, chapter_id)
    permissions.require_view_recording_status(chapter.recording if chapter is not None else None)
    try:
        chapters.delete_chapter(current_user, chapter)
    except Refused as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
    else:
        db.session.commit()
        flash(_("The chapter is removed."), "success")
    return redirect(url_for("uploads.session_upload", session_id=chapter.recording.group_session_id) + "#chapters")


@bp.route("/recordings/<int:recording_id>/remove", methods=["POST"])
def remove_film(recording_id):
    """Delete a wrong film (with a receipt) so the session can have a new upload; allowed until
    the supervisor has started on it. :raise 404:"""
    recording = db.session.get(Recording, recording_id)
    group_session = recording.group_session if recording is not None else None
    if not permissions.can_operate_upload(current_user, group_session):
        abort(404)
    back = url_for("uploads.session_upload", session_id=group_session.id)
    reauth = recent_auth_redirect(back)
    if reauth is not None:
        return reauth
    try:
        film_state.remove(current_user, recording)
    except Refused as refusal:
        flash(refusal.message, "error")
    else:
        flash(_("The film is removed. The session is free for a new upload."), "success")
    return redirect(back)
