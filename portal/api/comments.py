"""Supervision endpoints of the JSON API v1: comments on a film, playback URLs and the
remembered position. Every object a user may not see answers 404."""

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import permissions
from portal.api import bp, json_body
from portal.errors import Refused
from portal.extensions import db
from portal.models.recordings import Recording
from portal.models.supervision import Comment
from portal.services import comments, notifications, playback


def watchable(recording_id):
    """The recording if the current user may watch it. :raise 404:"""
    recording = db.session.get(Recording, recording_id)
    permissions.require_watch_recording(recording)
    return recording


@bp.route("/recordings/<int:recording_id>/comments")
def list_comments(recording_id):
    """The comments on a film the user may see, as threads in time order. :raise 404:"""
    recording = watchable(recording_id)
    visible = comments.visible_comments(current_user, recording)
    return jsonify(comments=comments.threads_json(visible, current_user),
                   categories=comments.categories_for(recording.group_session.group.program))


@bp.route("/recordings/<int:recording_id>/comments", methods=["POST"])
def add_comment(recording_id):
    """A new comment (supervisors) or reply (whoever sees the thread). :raise 404/403/422:"""
    recording = watchable(recording_id)
    comment = comments.add_comment(current_user, recording, json_body())
    db.session.commit()
    notifications.reply_added(comment)
    return jsonify(comments.comment_json(comment, current_user)), 201


def visible_comment(comment_id):
    comment = db.session.get(Comment, comment_id)
    permissions.require_see_comment(comment)
    return comment


@bp.route("/comments/<int:comment_id>", methods=["PATCH"])
def update_comment(comment_id):
    """Edit one's own comment, or mark a comment resolved. :raise 404/403/422:"""
    comment = comments.update_comment(current_user, visible_comment(comment_id), json_body())
    db.session.commit()
    return jsonify(comments.comment_json(comment, current_user))


@bp.route("/comments/<int:comment_id>", methods=["DELETE"])
def delete_comment(comment_id):
    """Delete one's own comment. :raise 404/403:"""
    comment = visible_comment(comment_id)
    comments.delete_comment(current_user, comment)
    db.session.commit()
    return "", 204


@bp.route("/recordings/<int:recording_id>/play", methods=["POST"])
def play(recording_id):
    """Short-lived media URLs for the film, after the access check; audited. :raise 404:"""
    recording = watchable(recording_id)
    data = request.get_json(silent=True) or {}
    urls = playback.play(current_user, recording, renewal=bool(data.get("renewal")))
    db.session.commit()
    response = jsonify(urls)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/recordings/<int:recording_id>/position", methods=["PUT"])
def save_position(recording_id):
    """Remember where the user is in the film. :raise 404/422:"""
    recording = watchable(recording_id)
    position = json_body().get("position")
    if isinstance(position, bool) or not isinstance(position, int | float) or position != position:
        raise Refused(422, "invalid_position", _("The position is a number of seconds."))
    saved = playback.save_position(current_user, recording, position)
    db.session.commit()
    return jsonify(position=saved)
