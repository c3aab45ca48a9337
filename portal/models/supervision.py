"""Supervision of a session film: time-coded comments, the session's summary, where each viewer
stopped, and the portal's own notifications."""

from portal.extensions import db
from portal.models.base import utcnow

SHARED = "shared"  # seen by the group's leaders once the session's feedback is published
PRIVATE = "private"  # seen by the group's supervisors only
VISIBILITIES = (SHARED, PRIVATE)

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
DONE = "done"
SUPERVISION_STATUSES = (NOT_STARTED, IN_PROGRESS, DONE)


class Comment(db.Model):
    """A comment at ``t_start`` seconds of a recording, or on the range ``t_start..t_end``.

    A reply has a ``parent_id`` and shares its parent's time and visibility. A deleted comment
    keeps its row (with an empty body) while replies hang on it, so a thread never loses its root.
    """

    __tablename__ = "comments"

    id = db.Column(db.Integer, primary_key=True)
    recording_id = db.Column(db.Integer, db.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False,
                             index=True)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    parent_id = db.Column(db.Integer, db.ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    t_start = db.Column(db.Float, nullable=False)
    t_end = db.Column(db.Float)
    category = db.Column(db.String(40), nullable=False)
    body = db.Column(db.Text, nullable=False, default="")
    visibility = db.Column(db.String(10), nullable=False, default=SHARED)
    resolved_at = db.Column(db.DateTime(timezone=True))
    resolved_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime(timezone=True))
    deleted_at = db.Column(db.DateTime(timezone=True))

    author = db.relationship("User", foreign_keys=[author_id])
    recording = db.relationship("Recording")
    parent = db.relationship("Comment", remote_side=[id], backref=db.backref("replies", order_by="Comment.id"))

    __table_args__ = (
        db.CheckConstraint("visibility IN ('shared', 'private')", name="visibility"),
        db.CheckConstraint("t_start >= 0", name="t_start"),
        db.CheckConstraint("t_end IS NULL OR t_end > t_start", name="t_range"),
    )

    @property
    def is_range(self):
        """True for a comment on a range (a clip) rather than a point."""
        return self.t_end is not None

    def __repr__(self):
        return f"<Comment {self.id} r{self.recording_id}>"


class SessionSupervision(db.Model):
    """The supervisor's summary of one session, the meeting date and whether it is done."""

    __tablename__ = "session_supervisions"

    id = db.Column(db.Integer, primary_key=True)
    group_session_id = db.Column(db.Integer, db.ForeignKey("group_sessions.id", ondelete="CASCADE"),
                                 nullable=False, unique=True)
    supervisor_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    summary = db.Column(db.Text, nullable=False, default="")
    meeting_date = db.Column(db.Date)
    status = db.Column(db.String(20), nullable=False, default=NOT_STARTED)
    published_at = db.Column(db.DateTime(timezone=True))
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    reminded_at = db.Column(db.DateTime(timezone=True))

    group_session = db.relationship("GroupSession", backref=db.backref("supervision", uselist=False))
    supervisor = db.relationship("User")

    __table_args__ = (
        db.CheckConstraint("status IN ('not_started', 'in_progress', 'done')", name="status"),
    )

    @property
    def published(self):
        """True once the leaders may read the feedback."""
        return self.published_at is not None

    def __repr__(self):
        return f"<SessionSupervision {self.group_session_id} {self.status}>"


class PlaybackPosition(db.Model):
    """Where a user last was in a film, to continue from there."""

    __tablename__ = "playback_positions"

    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    recording_id = db.Column(db.Integer, db.ForeignKey("recordings.id", ondelete="CASCADE"), primary_key=True)
    position = db.Column(db.Float, nullable=False, default=0.0)
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class Notification(db.Model):
    """A notice in the portal for one user; also mailed unless the user chose portal only.

    ``kind`` and ``params`` are rendered in the reader's language when shown; the link is a
    path inside the portal, where the access check happens again.
    """

    __tablename__ = "notifications"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = db.Column(db.String(40), nullable=False)
    params = db.Column(db.JSON, nullable=False, default=dict)
    link = db.Column(db.String(300))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    read_at = db.Column(db.DateTime(timezone=True))

    user = db.relationship("User")

    def __repr__(self):
        return f"<Notification {self.id} {self.kind}>"
