"""API v1: what the supervision, certification and notice pages do: a session's supervision
summary and its publication, a leader's certification file and the supervisor's decision, and
the caller's notifications. Same services and permission checks as the pages."""

from datetime import date

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from portal import permissions
from portal.api import bp
from portal.api.groups import body, field
from portal.errors import Refused
from portal.extensions import db
from portal.models import Certification, Group, GroupSession, User
from portal.models.base import iso_utc
from portal.services import certification as rules
from portal.services import certification_decisions as decisions
from portal.services import notifications, supervision
from portal.utils import safe_next


def _day(value):
    return value.isoformat() if value is not None else None


def supervision_json(group_session, readable, editor):
    """A session's supervision record; the summary only for those who may read it."""
    record = supervision.supervision_for(group_session)
    return {
        "session_id": group_session.id, "status": record.status,
        "summary": record.summary if readable else None,
        "meeting_date": _day(record.meeting_date) if readable else None,
        "published": record.published_at is not None,
        "published_at": iso_utc(record.published_at) if record.published_at else None,
        "can_edit": editor,
    }


def _supervised_session(session_id):
    """The session if the caller supervises or leads its group. :raise Refused: 404 otherwise."""
    group_session = db.session.get(GroupSession, session_id)
    if group_session is None or not (permissions.supervises_group(current_user, group_session.group)
                                     or permissions.leads_group(current_user, group_session.group)):
        raise Refused(404, "not_found", _("The page could not be found."))
    return group_session


@bp.route("/sessions/<int:session_id>/supervision")
def get_supervision(session_id):
    """A session's supervision: its supervisors always, its leaders once published. :raise 404:"""
    group_session = _supervised_session(session_id)
    return jsonify(supervision_json(group_session, permissions.can_read_feedback(current_user, group_session),
                                    permissions.can_supervise_session(current_user, group_session)))


@bp.route("/sessions/<int:session_id>/supervision", methods=["PUT"])
def save_supervision(session_id):
    """Save the summary, meeting date and status; ``publish`` tells the leaders once. :raise 404,
    403 for the group's leaders, 422 for a bad field."""
    group_session = _supervised_session(session_id)
    if not permissions.can_supervise_session(current_user, group_session):
        raise Refused(403, "forbidden", _("Only the group's supervisors write its supervision."))
    data = body()
    summary = field(data, "summary", str)
    meeting_date = field(data, "meeting_date", date, required=False)
    status = field(data, "status", str, required=False)
    publish = field(data, "publish", bool, required=False, default=False)
    try:
        supervision.save(current_user, group_session, summary, meeting_date, status, publish=publish)
    except Refused:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(supervision_json(group_session, True, True))


def certification_json(row):
    """One certification decision or request."""
    if row is None:
        return None
    return {"id": row.id, "kind": row.kind, "status": row.status, "group_id": row.group_id,
            "program_id": row.program_id, "valid_from": _day(row.valid_from), "valid_until": _day(row.valid_until),
            "motivation": row.motivation, "decided_at": iso_utc(row.decided_at) if row.decided_at else None}


def file_json(file):
    """A leader's certification file: status, each certification group with what does not count
    and why, the history."""
    status = file.status
    return {
        "leader_id": file.leader.id, "name": file.leader.name,
        "status": {"stage": status.stage, "text": status.text, "due": _day(status.due),
                   "groups_since": status.groups_since, "certification": certification_json(status.certification)},
        "groups": [{
            "group_id": g.group.id, "title": g.group.title, "participants": g.participants, "reasons": g.reasons,
            "decision": certification_json(g.decision),
            "sessions": [{"session_id": s.session.id, "number": s.session.number, "date": _day(s.session.date),
                          "supervision_status": s.supervision_status, "counts": not s.reasons, "reasons": s.reasons}
                         for s in g.slots if s.session.number > 0],
        } for g in file.groups],
        "history": [certification_json(c) for c in file.history],
    }


@bp.route("/certification/leaders/<int:leader_id>")
def certification_file(leader_id):
    """A leader's certification file. :raise 404: unless the caller is the leader, an admin of
    their organisation or a supervisor of one of their groups."""
    leader = db.session.get(User, leader_id)
    if not permissions.can_view_certification_file(current_user, leader):
        raise Refused(404, "not_found", _("The page could not be found."))
    return jsonify(file_json(rules.leader_file(leader, rules.today())))


@bp.route("/certification/groups/<int:group_id>/leaders/<int:leader_id>/decision", methods=["POST"])
def certification_decision(group_id, leader_id):
    """The supervisor's decision on a leader of a certification group: ``certified`` true, or
    false with a ``motivation``. :raise 404: unless assigned to the group; 409 when not ready or
    already certified; 422 without a motivation for "not yet"."""
    group, leader = db.session.get(Group, group_id), db.session.get(User, leader_id)
    if not permissions.can_decide_certification(current_user, leader, group):
        raise Refused(404, "not_found", _("The page could not be found."))
    data = body()
    certified = field(data, "certified", bool)
    motivation = field(data, "motivation", str, required=False, default="")
    try:
        row = decisions.decide(current_user, leader, group, certified, motivation, rules.today())
    except Refused:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(certification_json(row)), 201


@bp.route("/certification/<int:certification_id>/decision", methods=["POST"])
def recertification_decision(certification_id):
    """The supervisor's decision on a recertification request: ``recertified`` true, or false
    (more asked for) with a ``motivation``. :raise 404: unless assigned to the films' group; 409
    when already decided; 422 without a motivation."""
    certification = db.session.get(Certification, certification_id)
    if not permissions.can_review_recertification(current_user, certification):
        raise Refused(404, "not_found", _("The page could not be found."))
    data = body()
    recertify = field(data, "recertified", bool)
    motivation = field(data, "motivation", str, required=False, default="")
    try:
        decisions.decide_recertification(current_user, certification, recertify, motivation, rules.today())
    except Refused:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(certification_json(certification))


def notification_json(notice):
    return {"id": notice.id, "kind": notice.kind, "text": notifications.message(notice),
            "link": safe_next(notice.link), "read": notice.read_at is not None,
            "created_at": iso_utc(notice.created_at)}


@bp.route("/notifications")
def list_notifications():
    """The caller's latest notices, newest first, and how many are unread (reading the list does
    not mark them read: ``POST /notifications/read`` does)."""
    return jsonify(unread=notifications.unread_count(current_user),
                   notifications=[notification_json(n) for n in notifications.recent(current_user)])


@bp.route("/notifications/read", methods=["POST"])
def read_notifications():
    """Mark all the caller's notices read."""
    notifications.mark_read(current_user)
    db.session.commit()
    return jsonify(unread=0)
