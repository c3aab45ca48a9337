"""What the database forgets when a film is deleted, whatever the path (retention, a withdrawal of
consent, a leader's replacement, an admin): its comments with their replies, the supervisors'
private notes, its chapters and the checklist's links to it (the checklist marks stay: they
concern the leader's work), every viewer's playback position, the notices that link to it, and the facts
processing kept about it (picture and storyboard names, probe output, failure details).

The storage side (film, poster, storyboard, originals) is emptied by
``portal.services.retention.delete_recording``, the one deletion function every path calls; it
calls ``forget_film`` in the same transaction as the tombstone. The session's supervision
summary stays: it concerns the leader's work, not the film.
"""

from portal.extensions import db
from portal.models import Chapter, Comment, Notification, PlaybackPosition
from portal.services import checklist, notifications


def forget_film(recording):
    """Delete every row that holds content of ``recording`` and blank the tombstone's own content
    columns. Returns counts per kind. Callers commit."""
    comments = db.session.execute(db.delete(Comment).where(Comment.recording_id == recording.id)
                                  .execution_options(synchronize_session=False)).rowcount
    positions = db.session.execute(db.delete(PlaybackPosition).where(PlaybackPosition.recording_id == recording.id)
                                   .execution_options(synchronize_session=False)).rowcount
    chapters = db.session.execute(db.delete(Chapter).where(Chapter.recording_id == recording.id)
                                  .execution_options(synchronize_session=False)).rowcount
    links = checklist.forget_links(recording.id)
    link = notifications.path("review.player", recording_id=recording.id)
    notices = db.session.execute(
        db.delete(Notification).where(db.or_(Notification.link == link, Notification.link.like(link + "#%")))
        .execution_options(synchronize_session=False)).rowcount
    recording.media_info = None
    recording.activity = None  # the speech lane and the break; its file goes with the output prefix
    recording.reason_detail = None
    recording.output_prefix = None
    recording.duration = None
    db.session.flush()
    db.session.expire_all()  # no comment or position object of this film survives in the session
    return {"comments": comments, "positions": positions, "notifications": notices, "chapters": chapters,
            "checklist_links": links}
