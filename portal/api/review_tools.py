"""Review-tool endpoints of the JSON API v1 (issue 20): a film's chapters and a session's fidelity
checklist. Every object a user may not see answers 404; a visible one the user may not change, 403."""

from flask import jsonify
from flask_login import current_user

from portal import permissions
from portal.api import bp, json_body
from portal.api.comments import watchable
from portal.extensions import db
from portal.models import Chapter, ChecklistLink, GroupSession
from portal.services import chapters, checklist


@bp.route("/recordings/<int:recording_id>/chapters")
def list_chapters(recording_id):
    """The film's chapters in time order and the kinds its program offers. :raise 404:"""
    recording = watchable(recording_id)
    return jsonify(chapters=[chapters.chapter_json(c, current_user) for c in chapters.chapters_of(recording)],
                   kinds=chapters.kinds_for(recording.group_session.group.program),
                   can_add=permissions.can_add_chapter(current_user, recording))


@bp.route("/recordings/<int:recording_id>/chapters", methods=["POST"])
def add_chapter(recording_id):
    """Mark a chapter (the group's leaders and supervisors): 201, or 200 with the chapter of the
    same title already within a second of it. :raise 404/403/422:"""
    recording = watchable(recording_id)
    chapter, created = chapters.add_chapter(current_user, recording, json_body())
    db.session.commit()
    return jsonify(chapters.chapter_json(chapter, current_user)), 201 if created else 200


def _visible_chapter(chapter_id):
    """The chapter if the current user may watch its film. :raise 404:"""
    chapter = db.session.get(Chapter, chapter_id)
    permissions.require_watch_recording(chapter.recording if chapter is not None else None)
    return chapter


@bp.route("/chapters/<int:chapter_id>", methods=["PATCH"])
def update_chapter(chapter_id):
    """Move or rename a chapter (the group's supervisors). :raise 404/403/422:"""
    chapter = chapters.update_chapter(current_user, _visible_chapter(chapter_id), json_body())
    db.session.commit()
    return jsonify(chapters.chapter_json(chapter, current_user))


@bp.route("/chapters/<int:chapter_id>", methods=["DELETE"])
def delete_chapter(chapter_id):
    """Delete a chapter (the group's supervisors). :raise 404/403:"""
    chapters.delete_chapter(current_user, _visible_chapter(chapter_id))
    db.session.commit()
    return "", 204


def _readable_session(session_id):
    """The session if the current user may read its checklist. :raise 404:"""
    group_session = db.session.get(GroupSession, session_id)
    permissions.require_read_checklist(group_session)
    return group_session


@bp.route("/sessions/<int:session_id>/checklist")
def session_checklist(session_id):
    """The session's checklist with marks and links (supervisors; leaders once published). :raise 404:"""
    group_session = _readable_session(session_id)
    return jsonify(items=[checklist.row_json(row) for row in checklist.session_checklist(group_session)],
                   can_mark=permissions.can_mark_checklist(current_user, group_session))


@bp.route("/sessions/<int:session_id>/checklist/<int:item_id>", methods=["PUT"])
def mark_item(session_id, item_id):
    """Mark an item covered, partly covered or missing (null clears it). :raise 404/403/422:"""
    group_session = _readable_session(session_id)
    data = json_body()
    row = checklist.set_mark(current_user, group_session, item_id, data.get("status"))
    db.session.commit()
    return jsonify(checklist.row_json(row))


@bp.route("/sessions/<int:session_id>/checklist/<int:item_id>/links", methods=["POST"])
def link_item(session_id, item_id):
    """Link an item to a range of one of the session's films. :raise 404/403/422:"""
    group_session = _readable_session(session_id)
    row = checklist.add_link(current_user, group_session, item_id, json_body())
    db.session.commit()
    return jsonify(checklist.row_json(row)), 201


@bp.route("/checklist-links/<int:link_id>", methods=["DELETE"])
def unlink_item(link_id):
    """Remove a link between an item and the film (the group's supervisors). :raise 404/403:"""
    link = db.session.get(ChecklistLink, link_id)
    permissions.require_read_checklist(link.mark.group_session if link is not None else None)
    checklist.delete_link(current_user, link)
    db.session.commit()
    return "", 204
