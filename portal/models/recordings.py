"""The film of one session: a recording made of one or more uploaded source files.

The recording's ``status`` is the source of truth for where its film is; Redis only carries
the jobs that move it along. Models change in-memory state only: enqueueing, storage and mail
live in services and workers.
"""

import uuid

from portal.extensions import db
from portal.models.base import utcnow

AWAITING_UPLOAD = "awaiting_upload"
UPLOADING = "uploading"
UPLOADED = "uploaded"
PROCESSING = "processing"
READY = "ready"
FAILED = "failed"  # retryable, with a reason a person can act on
REJECTED = "rejected"  # not a usable film, with the reason
DELETED = "deleted"  # tombstone: bytes gone
STATUSES = (AWAITING_UPLOAD, UPLOADING, UPLOADED, PROCESSING, READY, FAILED, REJECTED, DELETED)

TRANSITIONS = {
    AWAITING_UPLOAD: {UPLOADING, DELETED},
    UPLOADING: {UPLOADING, UPLOADED, AWAITING_UPLOAD, DELETED},
    UPLOADED: {UPLOADED, PROCESSING, FAILED, REJECTED, DELETED},
    PROCESSING: {PROCESSING, UPLOADED, READY, FAILED, REJECTED, DELETED},
    FAILED: {UPLOADED, DELETED},
    REJECTED: {DELETED},
    READY: {DELETED},
    DELETED: set(),
}
# A recording in these states holds the session's slot; a new upload needs a new recording.
FINISHED_OR_GONE = {REJECTED, DELETED}

SOURCE_UPLOADING = "uploading"
SOURCE_UPLOADED = "uploaded"
SOURCE_ABORTED = "aborted"


class InvalidTransition(ValueError):
    """A status change the state machine does not allow."""


def new_public_id():
    """A random id for storage keys: never a name, never guessable from the row id."""
    return uuid.uuid4().hex


class Recording(db.Model):
    """One session's film, from the first uploaded byte to the published, playable result."""

    __tablename__ = "recordings"

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(32), nullable=False, unique=True, default=new_public_id)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    group_session_id = db.Column(db.Integer, db.ForeignKey("group_sessions.id"), nullable=False,
                                 index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    status = db.Column(db.String(20), nullable=False, default=AWAITING_UPLOAD, index=True)
    reason_code = db.Column(db.String(40))
    reason_detail = db.Column(db.Text)
    expected_files = db.Column(db.Integer, nullable=False, default=1)
    progress = db.Column(db.Float, nullable=False, default=0.0)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    job_token = db.Column(db.String(32))
    heartbeat_at = db.Column(db.DateTime(timezone=True))
    processing_started_at = db.Column(db.DateTime(timezone=True))  # this run's start, for the time left
    media_info = db.Column(db.JSON)
    duration = db.Column(db.Float)
    output_prefix = db.Column(db.String(300))
    # "mp4": one video.mp4 under output_prefix (films published before issue 19); "hls": film_segments
    output_kind = db.Column(db.String(8), nullable=False, default="mp4", server_default="mp4")
    playable_seconds = db.Column(db.Float)  # how much can be played from 0:00 while processing goes on
    # When the run's planner had created every film part of an encode in chunks: from then on the
    # reconciler watches the parts' heartbeats, not the recording's (workers.chunks).
    planned_at = db.Column(db.DateTime(timezone=True))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    uploaded_at = db.Column(db.DateTime(timezone=True))
    ready_at = db.Column(db.DateTime(timezone=True))
    deleted_at = db.Column(db.DateTime(timezone=True))
    legal_hold_at = db.Column(db.DateTime(timezone=True))  # a legal hold stops scheduled deletion
    legal_hold_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    legal_hold_reason = db.Column(db.String(500))
    # When the retention clock started (feedback published or the certification decision); set once.
    retention_started_at = db.Column(db.DateTime(timezone=True))
    deletion_warned_at = db.Column(db.DateTime(timezone=True))
    originals_deleted_at = db.Column(db.DateTime(timezone=True))

    group_session = db.relationship("GroupSession",
                                    backref=db.backref("recordings", order_by="Recording.id"))
    sources = db.relationship("SourceFile", back_populates="recording", order_by="SourceFile.position",
                              cascade="all, delete-orphan")

    __table_args__ = (
        db.CheckConstraint("status IN ('awaiting_upload', 'uploading', 'uploaded', 'processing', "
                           "'ready', 'failed', 'rejected', 'deleted')", name="status"),
    )

    def set_status(self, status, reason_code=None, reason_detail=None):
        """Move to ``status``. :raise InvalidTransition: when the machine forbids it."""
        if status not in TRANSITIONS[self.status]:
            raise InvalidTransition(f"recording {self.id}: {self.status} -> {status}")
        self.status = status
        self.reason_code = reason_code
        self.reason_detail = reason_detail[-2000:] if reason_detail else None
        now = utcnow()
        if status == UPLOADED and self.uploaded_at is None:
            self.uploaded_at = now
        if status == READY:
            self.ready_at = now
            self.progress = 1.0
        if status == DELETED:
            self.deleted_at = now

    @property
    def active_sources(self):
        """Source files not cancelled, in timeline order."""
        return [s for s in self.sources if s.status != SOURCE_ABORTED]

    @property
    def all_uploaded(self):
        """True when every expected position has a completed file."""
        done = {s.position for s in self.sources if s.status == SOURCE_UPLOADED}
        return done >= set(range(1, self.expected_files + 1))

    def __repr__(self):
        return f"<Recording {self.id} {self.status}>"


class SourceFile(db.Model):
    """One uploaded camera file, at ``position`` in the session's timeline."""

    __tablename__ = "source_files"

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(db.String(32), nullable=False, unique=True, default=new_public_id)
    recording_id = db.Column(db.Integer, db.ForeignKey("recordings.id", ondelete="CASCADE"),
                             nullable=False, index=True)
    position = db.Column(db.Integer, nullable=False)
    filename = db.Column(db.String(255), nullable=False)  # shown to people, never a storage key
    size = db.Column(db.BigInteger, nullable=False)
    content_type = db.Column(db.String(100), nullable=False)
    last_modified = db.Column(db.BigInteger)  # the browser's File.lastModified, to find a resume
    storage_key = db.Column(db.String(300), nullable=False)
    upload_id = db.Column(db.String(1024))
    part_size = db.Column(db.Integer, nullable=False)
    status = db.Column(db.String(20), nullable=False, default=SOURCE_UPLOADING)
    sha256 = db.Column(db.String(64))
    uploaded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    completed_at = db.Column(db.DateTime(timezone=True))

    recording = db.relationship("Recording", back_populates="sources")

    __table_args__ = (
        db.CheckConstraint("status IN ('uploading', 'uploaded', 'aborted')", name="status"),
        db.CheckConstraint("position >= 1", name="position"),
    )

    @property
    def part_count(self):
        """How many parts the file is cut into."""
        return max(1, -(-self.size // self.part_size))

    def __repr__(self):
        return f"<SourceFile {self.id} {self.status}>"
