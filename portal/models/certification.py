"""Certification of leaders: the supervisor's decision after the first group, recertification
after three years or six groups, and the booster meetings certified leaders attend."""

import secrets

from portal.extensions import db
from portal.models.base import utcnow

INITIAL = "initial"
RECERTIFICATION = "recertification"
KINDS = (INITIAL, RECERTIFICATION)

PENDING = "pending"  # asked for, no decision yet
CERTIFIED = "certified"
NOT_YET = "not_yet"  # with a motivation the leader sees
STATUSES = (PENDING, CERTIFIED, NOT_YET)

# Letters and digits that cannot be mistaken for one another when typed from paper.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_verification_code():
    """A random code printed on the certificate (``XXXX-XXXX-XXXX``, 60 bits), for /verify/<code>."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _i in range(12))
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


class Certification(db.Model):
    """One certification decision for a leader in a program (the first, or a renewal)."""

    __tablename__ = "certifications"

    id = db.Column(db.Integer, primary_key=True)
    leader_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    program_id = db.Column(db.Integer, db.ForeignKey("programs.id"), nullable=False)
    group_id = db.Column(db.Integer, db.ForeignKey("groups.id", ondelete="SET NULL"), index=True)
    kind = db.Column(db.String(20), nullable=False, default=INITIAL)
    status = db.Column(db.String(20), nullable=False, default=PENDING)
    motivation = db.Column(db.Text, nullable=False, default="")
    films = db.Column(db.JSON, nullable=False, default=list)  # recording ids chosen for a recertification
    decided_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    decided_at = db.Column(db.DateTime(timezone=True))
    valid_from = db.Column(db.Date)
    valid_until = db.Column(db.Date)
    reminded_90_at = db.Column(db.DateTime(timezone=True))
    reminded_30_at = db.Column(db.DateTime(timezone=True))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    verification_code = db.Column(db.String(20), nullable=False, unique=True, default=new_verification_code)

    leader = db.relationship("User", foreign_keys=[leader_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])
    program = db.relationship("Program")
    group = db.relationship("Group")

    __table_args__ = (
        db.CheckConstraint("kind IN ('initial', 'recertification')", name="kind"),
        db.CheckConstraint("status IN ('pending', 'certified', 'not_yet')", name="status"),
    )

    def __repr__(self):
        return f"<Certification {self.id} {self.kind} {self.status}>"


class BoosterMeeting(db.Model):
    """A booster meeting (boosterträff) offered to certified leaders in a term."""

    __tablename__ = "booster_meetings"

    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    held_on = db.Column(db.Date, nullable=False)
    term = db.Column(db.String(20), nullable=False)  # "VT 2026", "HT 2026"
    title = db.Column(db.String(200), nullable=False, default="")
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    attendance = db.relationship("BoosterAttendance", cascade="all, delete-orphan", lazy="selectin")

    def __repr__(self):
        return f"<BoosterMeeting {self.id} {self.held_on}>"


class BoosterAttendance(db.Model):
    """A leader who attended a booster meeting."""

    __tablename__ = "booster_attendance"

    meeting_id = db.Column(db.Integer, db.ForeignKey("booster_meetings.id", ondelete="CASCADE"), primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)

    user = db.relationship("User")
