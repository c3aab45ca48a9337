"""The leader's start page as a to-do list: films missing or needing a new upload, the start of a
film being processed to check, consent confirmations due, new feedback to read and answers
waiting. A fixed number of queries however many groups and sessions the leader has."""

from datetime import timedelta
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from portal import permissions
from portal.extensions import db
from portal.models import Group, GroupLeader, GroupSession
from portal.models.base import utcnow
from portal.models.recordings import AWAITING_UPLOAD, DELETED, FAILED, PROCESSING, REJECTED, UPLOADING
from portal.services import notifications
from portal.services.recordings import reason_text
from portal.utils import safe_next

# Sessions held this long ago or less are on the list; a film older than that is not chased here.
WINDOW_DAYS = 90
FILMED_PURPOSES = ("certification",)  # every session of a first group is filmed and supervised


class Todo(NamedTuple):
    """One thing to do: its kind (for styling and tests), the sentence and where to do it."""

    kind: str
    text: str
    link: str


def _session_item(group_session, path_for):
    """What the session still needs from its leaders, or None."""
    from portal.services.retention import LEADER_REQUEST

    if group_session.playback_blocked_at is not None:
        return None
    about = {"session": group_session.title, "group": group_session.group.title}
    latest = group_session.recordings[-1] if group_session.recordings else None
    if latest is not None and latest.status in (REJECTED, FAILED):
        return Todo("new_upload", _("The film of %(session)s in %(group)s needs a new upload.", **about) + " "
                    + (reason_text(latest.reason_code, latest.reason_detail) or ""),
                    path_for("uploads.session_upload", group_session))
    if latest is not None and latest.status == PROCESSING and permissions.playable_now(latest):
        return Todo("check_start", _("The start of the film of %(session)s in %(group)s can be watched: check that "
                                     "it is the right film while the rest is processed.", **about),
                    notifications.path("review.player", recording_id=latest.id))
    if latest is not None and latest.status == UPLOADING:
        return Todo("upload", _("Finish the upload of the film of %(session)s in %(group)s.", **about),
                    path_for("uploads.session_upload", group_session))
    missing = latest is None or latest.status == AWAITING_UPLOAD or (
        latest.status == DELETED and latest.reason_code == LEADER_REQUEST)
    if not missing or group_session.group.purpose not in FILMED_PURPOSES:
        return None
    if group_session.confirmation is None:
        return Todo("consent", _("Confirm who attended %(session)s in %(group)s and their consent, then upload "
                                 "the film.", **about), path_for("groups.confirm", group_session))
    return Todo("upload", _("Upload the film of %(session)s in %(group)s.", **about),
                path_for("uploads.session_upload", group_session))


def todo(user, today=None):
    """The leader's to-do list, most pressing first: sessions, then feedback and answers to read."""
    if not permissions.is_leader(user):
        return []
    today = today or utcnow().date()
    sessions = db.session.scalars(
        db.select(GroupSession).join(Group).join(GroupLeader)
        .where(GroupLeader.user_id == user.id, GroupSession.date <= today, Group.archived_at.is_(None),
               GroupSession.cancelled_at.is_(None),
               GroupSession.date >= today - timedelta(days=WINDOW_DAYS))
        .options(joinedload(GroupSession.group), selectinload(GroupSession.confirmations),
                 selectinload(GroupSession.recordings))
        .order_by(GroupSession.date, GroupSession.id)).unique().all()

    def path_for(endpoint, group_session):
        return notifications.path(endpoint, session_id=group_session.id)

    items = [item for item in (_session_item(s, path_for) for s in sessions) if item is not None]
    for notice in notifications.unread_of_kinds(user, (notifications.FEEDBACK_PUBLISHED, notifications.REPLY)):
        params = notice.params or {}
        if notice.kind == notifications.FEEDBACK_PUBLISHED:
            text = _("New feedback on %(session)s in %(group)s from %(supervisor)s.",
                     session=params.get("session", ""), group=params.get("group", ""),
                     supervisor=params.get("supervisor") or _("your supervisor"))
            items.append(Todo("feedback", text, safe_next(notice.link)))
        else:
            items.append(Todo("reply", notifications.message(notice), safe_next(notice.link)))
    return items
