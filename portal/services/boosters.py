"""Booster meetings (boosterträffar): admins record each term's meetings and who attended;
a leader's certification file shows their attendance. Callers commit."""

from flask_babel import gettext as _

from portal.errors import Refused
from portal.extensions import db
from portal.models import BoosterAttendance, BoosterMeeting, User
from portal.services import audit


def meetings(organisation_id):
    """The organisation's booster meetings, newest first."""
    return db.session.scalars(db.select(BoosterMeeting).where(BoosterMeeting.organisation_id == organisation_id)
                              .order_by(BoosterMeeting.held_on.desc(), BoosterMeeting.id.desc())).all()


def save_meeting(organisation_id, held_on, term, title, actor, meeting=None):
    """Record a new meeting (or correct ``meeting``). :raise Refused: 422 without a term."""
    term = (term or "").strip()
    if not term:
        raise Refused(422, "term_required", _("Enter the term, such as VT 2026."))
    if meeting is None:
        meeting = BoosterMeeting(organisation_id=organisation_id, created_by_id=actor.id)
        db.session.add(meeting)
    meeting.held_on = held_on
    meeting.term = term[:20]
    meeting.title = (title or "").strip()[:200]
    db.session.flush()
    audit.record("booster.save", meeting, actor=actor, held_on=held_on.isoformat(), term=meeting.term)
    return meeting


def set_attendance(meeting, user_ids, actor):
    """Replace who attended ``meeting``: leaders of its organisation only; others are ignored."""
    wanted = {int(i) for i in user_ids or []}
    allowed = {u.id for u in attendable(meeting.organisation_id)}
    chosen = sorted(wanted & allowed)
    meeting.attendance = [a for a in meeting.attendance if a.user_id in chosen] + [
        BoosterAttendance(user_id=i) for i in chosen if i not in {a.user_id for a in meeting.attendance}]
    db.session.flush()
    audit.record("booster.attendance", meeting, actor=actor, attended=chosen)


def delete_meeting(meeting, actor):
    """Remove a meeting recorded by mistake, with its attendance."""
    audit.record("booster.delete", meeting, actor=actor, held_on=meeting.held_on.isoformat(), term=meeting.term)
    db.session.delete(meeting)


def attendable(organisation_id):
    """The organisation's active leaders, who may attend, by name."""
    users = db.session.scalars(db.select(User).where(User.organisation_id == organisation_id,
                                                     User.active.is_(True)).order_by(User.name)).all()
    return [u for u in users if u.has_role("leader")]


def attendance_of(leader):
    """``[(meeting, attended)]`` for every booster meeting of the leader's organisation, newest first."""
    attended = set(db.session.scalars(db.select(BoosterAttendance.meeting_id)
                                      .where(BoosterAttendance.user_id == leader.id)))
    return [(meeting, meeting.id in attended) for meeting in meetings(leader.organisation_id)]
