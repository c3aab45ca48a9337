"""Exports for the right of access (GDPR Art. 15): what the portal holds about one participant
code, or about one user and who accessed what of theirs.

A participant's export holds its own consents, the sessions it attended and those sessions'
films, never another participant's code. A user's export holds their profile, roles, groups,
comments, notifications and certifications, and from the audit log their logins, their
playbacks and the playbacks of films of the groups they lead. Callers audit and commit.
"""

from datetime import date, datetime

from portal.extensions import db
from portal.models import (
    ApiToken,
    AuditEvent,
    BoosterAttendance,
    BoosterMeeting,
    Certification,
    Chapter,
    ChecklistMark,
    Comment,
    Group,
    GroupLeader,
    GroupSession,
    GroupSupervisor,
    Notification,
    Recording,
)
from portal.models.base import utcnow
from portal.models.recordings import DELETED
from portal.services.playback import PLAY

PLAYBACK_ACTIONS = (PLAY, "recording.play_renew")


def _iso(value):
    return value.isoformat() if isinstance(value, date | datetime) else value


def _row(obj, *fields):
    return {name: _iso(getattr(obj, name)) for name in fields}


def attended_sessions(participant):
    """The sessions of the participant's group where a confirmation lists it as present."""
    return [s for s in participant.group.sessions
            if any(participant.id in c.attending for c in s.confirmations)]


def film(recording):
    """A film as an export lists it: ids, state and dates, no names."""
    return {**_row(recording, "id", "group_session_id", "status", "created_at", "uploaded_at", "ready_at",
                   "deleted_at", "duration"),
            "deletion_reason": recording.reason_code if recording.deleted_at else None}


def participant_export(participant):
    """Everything kept about ``participant``: its code, consents, attendance and those films."""
    group = participant.group
    sessions = attended_sessions(participant)
    return {
        "kind": "participant",
        "generated_at": _iso(utcnow()),
        "participant": {
            **_row(participant, "id", "code", "created_at"),
            "organisation": group.organisation.name,
            "group": {**_row(group, "id", "title", "start_date", "language"), "program": group.program.name},
        },
        "consents": [_row(c, "kind", "on_date", "method", "timecode", "info_version", "registered_at")
                     for c in participant.consents],
        "sessions_attended": [
            {**_row(s, "id", "number", "title", "date", "playback_blocked_at", "playback_blocked_reason"),
             "attendance_confirmed_at": _iso(min(c.confirmed_at for c in s.confirmations
                                                 if participant.id in c.attending))}
            for s in sessions],
        "films": [film(r) for s in sessions for r in s.recordings],
    }


def _events(*conditions):
    return db.session.scalars(db.select(AuditEvent).where(*conditions).order_by(AuditEvent.id)).all()


def _groups(user):
    led = db.session.execute(db.select(GroupLeader).where(GroupLeader.user_id == user.id)).scalars().all()
    supervised = db.session.scalars(db.select(GroupSupervisor).where(GroupSupervisor.user_id == user.id)).all()
    return led, supervised


def access_history(user, led_group_ids):
    """The user's logins, changes to their account, their playbacks, and every playback of the
    films of the groups they lead."""
    about = _events(AuditEvent.object_type == "user", AuditEvent.object_id == user.id)
    logins = [e for e in about if e.action.startswith("auth.")]
    changes = [e for e in about if not e.action.startswith("auth.")]
    playbacks = _events(AuditEvent.actor_id == user.id, AuditEvent.action.in_(PLAYBACK_ACTIONS))
    films = db.session.scalars(
        db.select(Recording.id).join(GroupSession, GroupSession.id == Recording.group_session_id)
        .where(GroupSession.group_id.in_(led_group_ids))).all() if led_group_ids else []
    accesses = _events(AuditEvent.object_type == "recording", AuditEvent.object_id.in_(films),
                       AuditEvent.action.in_(PLAYBACK_ACTIONS)) if films else []
    return {
        "logins": [_row(e, "at", "action", "ip") for e in logins],
        "account_changes": [{**_row(e, "at", "action"), "by": e.actor.name if e.actor else None} for e in changes],
        "playbacks": [{**_row(e, "at", "action"), "recording_id": e.object_id} for e in playbacks],
        "accesses_to_their_films": [
            {**_row(e, "at", "action"), "recording_id": e.object_id,
             "by": "self" if e.actor_id == user.id else (e.actor.name if e.actor else None)}
            for e in accesses],
    }


def _comment(comment, with_body):
    row = _row(comment, "id", "recording_id", "parent_id", "t_start", "t_end", "category", "body", "visibility",
               "created_at", "updated_at", "deleted_at", "resolved_at")
    return row if with_body else {**row, "body": None}


def user_export(user, film_content=True):
    """Everything kept about ``user``: profile, roles, groups, comments, notifications,
    certifications, and their access history. Without ``film_content`` (a platform administrator
    acting for the organisation, who watches no film) the comments' texts are left out: they are
    supervision about a film, meant for its group."""
    led, supervised = _groups(user)
    comments = db.session.scalars(  # nothing of a deleted film, or of one a withdrawal stopped
        db.select(Comment).join(Recording, Recording.id == Comment.recording_id)
        .join(GroupSession, GroupSession.id == Recording.group_session_id)
        .where(Comment.author_id == user.id, Recording.status != DELETED, GroupSession.playback_blocked_at.is_(None))
        .order_by(Comment.id)).all()
    chapters = db.session.scalars(  # as the comments: nothing of a deleted or stopped film
        db.select(Chapter).join(Recording, Recording.id == Chapter.recording_id)
        .join(GroupSession, GroupSession.id == Recording.group_session_id)
        .where(Chapter.created_by_id == user.id, Recording.status != DELETED,
               GroupSession.playback_blocked_at.is_(None)).order_by(Chapter.id)).all()
    marks = db.session.scalars(db.select(ChecklistMark).where(ChecklistMark.marked_by_id == user.id)
                               .order_by(ChecklistMark.id)).all()
    notices = db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)
                                 .order_by(Notification.id)).all()
    certifications = db.session.scalars(db.select(Certification).where(Certification.leader_id == user.id)
                                        .order_by(Certification.id)).all()
    boosters = db.session.scalars(db.select(BoosterMeeting).join(BoosterAttendance)
                                  .where(BoosterAttendance.user_id == user.id).order_by(BoosterMeeting.held_on)).all()
    tokens = db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).all()
    actions = _events(AuditEvent.actor_id == user.id)
    return {
        "kind": "user",
        "generated_at": _iso(utcnow()),
        "profile": {
            **_row(user, "id", "email", "name", "language", "active", "created_at", "last_login_at",
                   "notify_by_mail", "econnect_trained"),
            "organisation": user.organisation.name,
            "roles": list(user.roles),
            "two_factor_enabled": user.totp_enabled_at is not None,
            "has_password": user.has_password,
        },
        "groups_led": [{"group_id": r.group_id, "title": _group_title(r.group_id), "role": r.role} for r in led],
        "groups_supervised": [{"group_id": r.group_id, "title": _group_title(r.group_id)} for r in supervised],
        "comments": [_comment(c, film_content) for c in comments],
        **({} if film_content else {"left_out": "comment texts: ask an administrator of the organisation"}),
        "chapters": [_row(c, "id", "recording_id", "title", "start", "created_at", "updated_at") for c in chapters],
        "checklist_marks": [{**_row(m, "id", "group_session_id", "item_id", "status", "marked_at"),
                             "item": m.item.text} for m in marks],
        "notifications": [_row(n, "kind", "params", "link", "created_at", "read_at") for n in notices],
        "certifications": [_row(c, "id", "kind", "status", "motivation", "group_id", "decided_at", "valid_from",
                                "valid_until", "created_at") for c in certifications],
        "booster_meetings": [_row(m, "id", "held_on", "term", "title") for m in boosters],
        "api_tokens": [_row(t, "created_at", "last_used_at", "revoked_at") for t in tokens],
        "actions": [_row(e, "at", "action", "object_type", "object_id", "ip") for e in actions],
        "access_history": access_history(user, [r.group_id for r in led]),
    }



def _group_title(group_id):
    group = db.session.get(Group, group_id)
    return group.title if group is not None else None
