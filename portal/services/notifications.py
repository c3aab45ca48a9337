"""Notifications: a notice in the portal for every event, and a mail in the recipient's language
unless they chose portal only.

A notice says which group and session, never who is in the film, and links into the portal,
where the access check and the audit happen again. Callers commit.
"""

from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal import permissions
from portal.extensions import db
from portal.models import GroupSession, Recording
from portal.models.base import utcnow
from portal.models.recordings import READY
from portal.models.supervision import DONE, Notification, SessionSupervision
from portal.services import mail
from portal.services.accounts import external_url

FILM_READY = "film_ready"
FEEDBACK_PUBLISHED = "feedback_published"
REPLY = "reply"
FEEDBACK_DUE = "feedback_due"
CERTIFIED = "certified"
NOT_YET_CERTIFIED = "certification_not_yet"
RECERTIFIED = "recertified"
RECERT_MORE = "recertification_more"
RECERT_REQUESTED = "recertification_requested"
RECERT_DUE_90 = "recertification_due_90"
RECERT_DUE_30 = "recertification_due_30"
CONSENT_WITHDRAWN = "consent_withdrawn"
DELETION_WARNING = "deletion_warning"
FILM_REJECTED = "film_rejected"
FILM_FAILED = "film_failed"

SUBJECTS = {
    FILM_READY: _l("A film is ready for supervision"),
    FEEDBACK_PUBLISHED: _l("Feedback on your session is published"),
    REPLY: _l("A new answer in a comment thread"),
    FEEDBACK_DUE: _l("Feedback is due before the group's next session"),
    CERTIFIED: _l("You are certified"),
    NOT_YET_CERTIFIED: _l("A decision on your certification"),
    RECERTIFIED: _l("You are recertified"),
    RECERT_MORE: _l("Your recertification needs more"),
    RECERT_REQUESTED: _l("Films sent for recertification"),
    RECERT_DUE_90: _l("Your recertification is due within 90 days"),
    RECERT_DUE_30: _l("Your recertification is due within 30 days"),
    CONSENT_WITHDRAWN: _l("A participant withdrew consent to filming"),
    DELETION_WARNING: _l("A film will be deleted"),
    FILM_REJECTED: _l("The film could not be used: upload it again"),
    FILM_FAILED: _l("The film could not be processed"),
}
MESSAGES = {
    FILM_READY: _l("The film of %(session)s in the group %(group)s is ready to watch."),
    FEEDBACK_PUBLISHED: _l("Feedback on %(session)s in the group %(group)s has been published."),
    REPLY: _l("%(author)s answered a comment on %(session)s in the group %(group)s."),
    FEEDBACK_DUE: _l("Feedback on %(session)s in the group %(group)s is due before the next session "
                     "on %(due)s."),
    CERTIFIED: _l("You are certified as a group leader in %(program)s, valid until %(until)s. Your "
                  "certificate is in the portal."),
    NOT_YET_CERTIFIED: _l("Your supervisor's decision on your certification in %(program)s: not yet. Read the "
                          "motivation in the portal."),
    RECERTIFIED: _l("You are recertified in %(program)s, valid until %(until)s. Your new certificate is in "
                    "the portal."),
    RECERT_MORE: _l("Your supervisor asks for more before recertifying you in %(program)s. Read the motivation "
                    "in the portal."),
    RECERT_REQUESTED: _l("%(leader)s sent films from the group %(group)s for recertification."),
    RECERT_DUE_90: _l("Your recertification in %(program)s is due on %(due)s. Send in %(films)d films from "
                      "your latest group."),
    RECERT_DUE_30: _l("Your recertification in %(program)s is due on %(due)s. Send in %(films)d films from "
                      "your latest group soon."),
    CONSENT_WITHDRAWN: _l("A participant in the group %(group)s withdrew consent to filming. Playback of the "
                          "films it affects is stopped (%(sessions)s); they will be deleted on %(date)s."),
    DELETION_WARNING: _l("The film of %(session)s in the group %(group)s will be deleted on %(date)s under the "
                         "organisation's retention policy. Ask an administrator if it must be kept longer."),
    FILM_REJECTED: _l("The film of %(session)s in the group %(group)s could not be used. %(reason_text)s "
                      "Upload the film file itself from the camera, for example 00001.MTS, on the session's "
                      "upload page."),
    FILM_FAILED: _l("The film of %(session)s in the group %(group)s could not be processed. %(reason_text)s "
                    "An administrator of your organisation can try again, or you can upload the film again on "
                    "the session's upload page."),
}


def _values(params):
    """``params`` with what is translated at reading time: a film's ``reason`` code as text."""
    if "reason" not in params:
        return params
    from portal.services.recordings import reason_text

    return {**params, "reason_text": reason_text(params["reason"], params.get("reason_detail")) or ""}


def message(notification):
    """The notice's text in the current locale."""
    template = MESSAGES.get(notification.kind)
    return str(template) % _values(notification.params) if template is not None else notification.kind


def notify(user, kind, link, **params):
    """A portal notice for ``user`` and, if they want mail, a mail in their language."""
    if not user.active:
        return None
    notice = Notification(user_id=user.id, kind=kind, params=params, link=link)
    db.session.add(notice)
    if user.notify_by_mail:
        with force_locale(user.language):
            text = str(MESSAGES[kind]) % _values(params)
            subject = str(SUBJECTS[kind])
        url = external_url("main.index").rstrip("/") + link  # the link is a path inside the portal
        mail.send(mail.compose(user.email, subject, "notification", language=user.language, user=user,
                               message=text, link=url))
    return notice


def path(endpoint, **values):
    """The portal path of ``endpoint``, also outside a request (workers notify too)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _about(group_session):
    return {"group": group_session.group.title, "session": group_session.title}


def film_ready(recording):
    """Tell the group's supervisors that the film of a session is ready to watch."""
    group_session = recording.group_session
    for supervisor in group_session.group.supervisors:
        notify(supervisor, FILM_READY, path("review.player", recording_id=recording.id), **_about(group_session))
    db.session.commit()


def film_stopped(recording):
    """Tell the group's leaders that their film was rejected or failed for good: which session,
    why, and what to do next (the link leads to the session's upload page). Commits."""
    from portal.models.recordings import REJECTED

    group_session = recording.group_session
    kind = FILM_REJECTED if recording.status == REJECTED else FILM_FAILED
    for leader in group_session.group.leaders:
        notify(leader, kind, path("uploads.session_upload", session_id=group_session.id),
               reason=recording.reason_code or "", **_about(group_session),
               **({"reason_detail": recording.reason_detail} if recording.reason_code == "too_short" else {}))
    db.session.commit()


def feedback_published(group_session, supervisor=None):
    """Tell the group's leaders that their session's feedback can be read (by whom, for their
    to-do list)."""
    by = {"supervisor": supervisor.name} if supervisor is not None else {}
    for leader in group_session.group.leaders:
        notify(leader, FEEDBACK_PUBLISHED, path("review.session", session_id=group_session.id),
               **_about(group_session), **by)


def reply_added(comment):
    """Tell everyone else in the thread (who may still see it) that an answer arrived."""
    if comment.parent_id is None:
        return
    root = comment.parent
    people = {root.author, *(reply.author for reply in root.replies)} - {comment.author}
    group_session = comment.recording.group_session
    for person in sorted(people, key=lambda u: u.id):
        if permissions.can_see_comment(person, comment):
            notify(person, REPLY, path("review.player", recording_id=comment.recording_id) + f"#comment-{root.id}",
                   author=comment.author.name, **_about(group_session))
    db.session.commit()


def next_session_date(group_session):
    """The date of the group's next session after ``group_session``, or None for the last one."""
    later = [s.date for s in group_session.group.sessions if s.number > group_session.number]
    return min(later) if later else None


def remind_feedback_due(today=None, days_before=2):
    """Remind supervisors of ready films whose feedback is not done and whose group meets again
    within ``days_before`` days. Each session is reminded once. Returns how many were sent."""
    today = today or utcnow().date()
    rows = db.session.execute(
        db.select(Recording, GroupSession).join(GroupSession, Recording.group_session_id == GroupSession.id)
        .outerjoin(SessionSupervision, SessionSupervision.group_session_id == GroupSession.id)
        .where(Recording.status == READY,
               db.or_(SessionSupervision.id.is_(None),
                      db.and_(SessionSupervision.status != DONE, SessionSupervision.reminded_at.is_(None))))
    ).all()
    sent, reminded = 0, set()
    for recording, group_session in rows:
        due = next_session_date(group_session)
        if group_session.id in reminded or due is None or not today <= due <= today + timedelta(days=days_before):
            continue  # a session with two ready films is reminded once
        reminded.add(group_session.id)
        supervision = group_session.supervision or SessionSupervision(group_session=group_session)
        db.session.add(supervision)
        supervision.reminded_at = utcnow()
        for supervisor in group_session.group.supervisors:
            notify(supervisor, FEEDBACK_DUE, path("review.player", recording_id=recording.id), due=due.isoformat(),
                   **_about(group_session))
            sent += 1
    db.session.commit()
    return sent


def unread_count(user):
    """How many of ``user``'s notices are unread."""
    return db.session.scalar(db.select(db.func.count(Notification.id))
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None)))


def recent(user, limit=50):
    """``user``'s latest notices, newest first."""
    return db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id.desc()).limit(limit)).all()


def unread_of_kinds(user, kinds, limit=20):
    """``user``'s unread notices of ``kinds``, newest first (for the start page's to-do list)."""
    return db.session.scalars(db.select(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None), Notification.kind.in_(kinds))
        .order_by(Notification.id.desc()).limit(limit)).all()


def mark_read_at(user, link):
    """Mark ``user``'s unread notices that lead to ``link`` (a path, any #fragment) read: the
    person has opened what they announce."""
    db.session.execute(db.update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None),
        db.or_(Notification.link == link, Notification.link.startswith(link + "#", autoescape=True)))
        .values(read_at=utcnow()))


def mark_read(user):
    """Mark all of ``user``'s notices read."""
    db.session.execute(db.update(Notification).where(Notification.user_id == user.id,
                                                     Notification.read_at.is_(None)).values(read_at=utcnow()))

