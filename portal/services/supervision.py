"""Session supervision: the supervisor's queue of films, the summary of each session and its
publication to the leaders. Callers commit."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from portal.errors import Refused
from portal.extensions import db
from portal.models import Group, GroupSession, GroupSupervisor, Recording
from portal.models.base import utcnow
from portal.models.recordings import READY
from portal.models.supervision import (
    DONE,
    IN_PROGRESS,
    NOT_STARTED,
    SUPERVISION_STATUSES,
    Comment,
    SessionSupervision,
)
from portal.services import audit, notifications, paging, retention

MAX_SUMMARY = 20000
STATUS_TEXT = {
    NOT_STARTED: _l("Not started"),
    IN_PROGRESS: _l("In progress"),
    DONE: _l("Supervised"),
}


def status_text(status):
    """The supervision status in the user's language."""
    return str(STATUS_TEXT.get(status or NOT_STARTED, status))


def supervision_for(group_session):
    """The session's supervision record, or a new unsaved one not yet attached to the session."""
    return group_session.supervision or SessionSupervision(group_session_id=group_session.id, status=NOT_STARTED,
                                                           summary="")


def save(user, group_session, summary, meeting_date=None, status=None, publish=False):
    """Store the supervisor's summary, meeting date and status; publish it to the leaders once.

    :raise Refused: 422 for a bad status, date or an over-long summary.
    """
    summary = (summary or "").strip()
    if len(summary) > MAX_SUMMARY:
        raise Refused(422, "invalid_summary", _("The summary can be at most %(n)d characters.", n=MAX_SUMMARY))
    if status is not None and status not in SUPERVISION_STATUSES:
        raise Refused(422, "invalid_status", _("Choose one of the statuses."))
    if meeting_date is not None and not isinstance(meeting_date, date):
        raise Refused(422, "invalid_date", _("The meeting date is a date."))
    if publish and not summary:
        raise Refused(422, "summary_required", _("Write the summary before publishing it."))
    record = supervision_for(group_session)
    record.group_session = group_session
    db.session.add(record)
    record.summary = summary
    record.meeting_date = meeting_date
    record.supervisor_id = user.id
    if status is not None:
        record.status = status
    elif record.status == NOT_STARTED and summary:
        record.status = IN_PROGRESS
    first_publication = publish and record.published_at is None
    if first_publication:
        record.published_at = utcnow()
    db.session.flush()
    if first_publication:  # a group without certification starts its films' retention clock here
        retention.start_clocks(group_id=group_session.group_id)
    audit.record("supervision.publish" if first_publication else "supervision.update", record, actor=user,
                 group_session_id=group_session.id, status=record.status)
    if first_publication:
        notifications.feedback_published(group_session, supervisor=user)
    return record


@dataclass
class QueueItem:
    """One film in a supervisor's queue."""

    recording: Recording
    group_session: GroupSession
    group: Group
    supervision_status: str
    comments: int
    due: date | None


def queue(user, group_id=None, status=None, q="", page=1, per_page=paging.PER_PAGE):
    """A page of the ready films of the groups ``user`` supervises, most urgent first: feedback is
    due before the group's next session. Searched by group or session title. A constant number
    of queries, whatever the number of films."""
    later = aliased(GroupSession)
    next_date = (db.select(db.func.min(later.date))
                 .where(later.group_id == GroupSession.group_id, later.number > GroupSession.number)
                 .correlate(GroupSession).scalar_subquery())
    comment_count = (db.select(db.func.count(Comment.id))
                     .where(Comment.recording_id == Recording.id, Comment.parent_id.is_(None),
                            Comment.deleted_at.is_(None))
                     .correlate(Recording).scalar_subquery())
    query = (db.select(Recording, GroupSession, Group, SessionSupervision.status, comment_count, next_date)
             .join(GroupSession, Recording.group_session_id == GroupSession.id)
             .join(Group, GroupSession.group_id == Group.id)
             .join(GroupSupervisor, db.and_(GroupSupervisor.group_id == Group.id, GroupSupervisor.user_id == user.id))
             .outerjoin(SessionSupervision, SessionSupervision.group_session_id == GroupSession.id)
             .where(Recording.status == READY, GroupSession.playback_blocked_at.is_(None),
                    Group.archived_at.is_(None)))
    if group_id is not None:
        query = query.where(Group.id == group_id)
    if status == NOT_STARTED:
        query = query.where(db.or_(SessionSupervision.status.is_(None), SessionSupervision.status == NOT_STARTED))
    elif status in (IN_PROGRESS, DONE):
        query = query.where(SessionSupervision.status == status)
    if (condition := paging.matching(q, Group.title, GroupSession.title)) is not None:
        query = query.where(condition)
    # Unfinished first, then by due date (sessions without a next one last), then oldest film.
    query = query.order_by(db.case((SessionSupervision.status == DONE, 1), else_=0),
                           db.case((next_date.is_(None), 1), else_=0), next_date, Recording.id)
    return paging.paginate(query, page, per_page, scalars=False, transform=lambda rows: [
        QueueItem(recording, group_session, group, sup_status or NOT_STARTED, count or 0, due)
        for recording, group_session, group, sup_status, count, due in rows])


def supervised_groups(user):
    """The groups ``user`` supervises, for the queue's filter."""
    return db.session.scalars(db.select(Group).join(GroupSupervisor).where(GroupSupervisor.user_id == user.id)
                              .where(Group.archived_at.is_(None)).order_by(Group.title)).all()
