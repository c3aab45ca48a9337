"""The supervisor's review tools on a film (issue 20): chapters that mark its parts, and the
fidelity checklist of the manual's key content items per session.

A chapter and a checklist link are content of the film and go with it when it is deleted; a
checklist mark (covered, partly, missing) is about the leader's work on the session and stays.
"""

from portal.extensions import db
from portal.models.base import utcnow

# The chapter kinds a program offers until the platform administrator edits its list; the
# program's own words, so they stay Swedish in every interface language.
DEFAULT_CHAPTER_KINDS = ["Start", "Genomgång av principen", "Rollspel", "Paus", "Avslutning"]

COVERED = "covered"
PARTLY = "partly"
MISSING = "missing"
MARK_STATUSES = (COVERED, PARTLY, MISSING)


class Chapter(db.Model):
    """A marked part of a film from ``start`` seconds: a kind from the program's list, or a free title."""

    __tablename__ = "chapters"

    id = db.Column(db.Integer, primary_key=True)
    recording_id = db.Column(db.Integer, db.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False,
                             index=True)
    title = db.Column(db.String(200), nullable=False)
    start = db.Column(db.Float, nullable=False)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime(timezone=True))

    created_by = db.relationship("User")
    recording = db.relationship("Recording")

    __table_args__ = (db.CheckConstraint("start >= 0", name="chapter_start"),)

    def __repr__(self):
        return f"<Chapter {self.id} r{self.recording_id}>"


class ChecklistItem(db.Model):
    """One key content item of the manual for session ``session_number`` of a program version.

    Seeded as marked placeholders for the platform administrator to fill in from the manual; an
    item taken out of a list that marks refer to is retired, not deleted."""

    __tablename__ = "checklist_items"

    id = db.Column(db.Integer, primary_key=True)
    program_id = db.Column(db.Integer, db.ForeignKey("programs.id", ondelete="CASCADE"), nullable=False, index=True)
    session_number = db.Column(db.Integer, nullable=False)
    position = db.Column(db.Integer, nullable=False)
    text = db.Column(db.String(500), nullable=False)
    retired_at = db.Column(db.DateTime(timezone=True))

    __table_args__ = (db.CheckConstraint("session_number >= 0", name="checklist_session_number"),)

    def __repr__(self):
        return f"<ChecklistItem {self.id} p{self.program_id} s{self.session_number}>"


class ChecklistMark(db.Model):
    """A supervisor's judgement of one item in one group session; ``status`` stays empty while the
    item is only linked to the film."""

    __tablename__ = "checklist_marks"

    id = db.Column(db.Integer, primary_key=True)
    group_session_id = db.Column(db.Integer, db.ForeignKey("group_sessions.id", ondelete="CASCADE"),
                                 nullable=False, index=True)
    item_id = db.Column(db.Integer, db.ForeignKey("checklist_items.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    status = db.Column(db.String(10))
    marked_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    marked_at = db.Column(db.DateTime(timezone=True))

    item = db.relationship("ChecklistItem")
    group_session = db.relationship("GroupSession")
    marked_by = db.relationship("User")
    links = db.relationship("ChecklistLink", back_populates="mark", order_by="ChecklistLink.start",
                            cascade="all, delete-orphan")

    __table_args__ = (
        db.UniqueConstraint("group_session_id", "item_id", name="uq_checklist_marks_session_item"),
        db.CheckConstraint("status IS NULL OR status IN ('covered', 'partly', 'missing')",
                           name="checklist_mark_status"),
    )


class ChecklistLink(db.Model):
    """Where in a film the supervisor saw an item: the range ``start..end`` seconds."""

    __tablename__ = "checklist_links"

    id = db.Column(db.Integer, primary_key=True)
    mark_id = db.Column(db.Integer, db.ForeignKey("checklist_marks.id", ondelete="CASCADE"), nullable=False,
                        index=True)
    recording_id = db.Column(db.Integer, db.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False,
                             index=True)
    start = db.Column(db.Float, nullable=False)
    end = db.Column(db.Float, nullable=False)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    mark = db.relationship("ChecklistMark", back_populates="links")

    __table_args__ = (db.CheckConstraint("start >= 0 AND \"end\" > start", name="checklist_link_range"),)
