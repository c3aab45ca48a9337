"""The speech lane's endpoints of the JSON API v1 (issue 20): a film's activity track, the break a
supervisor confirms, and each user's review settings. Films a user may not watch answer 404."""

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from portal import permissions
from portal.api import bp, json_body
from portal.api.comments import watchable
from portal.errors import Refused
from portal.extensions import db
from portal.services import activity


@bp.route("/recordings/<int:recording_id>/activity")
def get_activity(recording_id):
    """Where people talk in the film, per 0.5 s, and its break. :raise 404:"""
    return jsonify(activity.track_json(watchable(recording_id)))  # no-store, as every API answer


@bp.route("/recordings/<int:recording_id>/break", methods=["PUT"])
def put_break(recording_id):
    """Confirm, move or remove the film's break (its supervisors); audited. :raise 404/403/409/422:"""
    recording = watchable(recording_id)
    if not permissions.can_supervise_recording(current_user, recording):
        raise Refused(403, "not_supervisor", _("Only the group's supervisors set the break."))
    data = json_body()
    chosen = activity.set_break(current_user, recording, data.get("start"), data.get("end"))
    db.session.commit()
    return jsonify({"break": chosen})


@bp.route("/me/review-settings")
def get_review_settings():
    """The user's review settings: skip silence, skip the break, speed."""
    return jsonify(activity.review_settings(current_user))


@bp.route("/me/review-settings", methods=["PUT"])
def put_review_settings():
    """Change the user's review settings. :raise 422:"""
    settings = activity.save_review_settings(current_user, json_body())
    db.session.commit()
    return jsonify(settings)
