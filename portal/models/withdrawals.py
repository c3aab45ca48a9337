"""A withdrawal of consent and the films it takes: blocked at once, deleted after a grace period
unless an admin annuls the withdrawal (registered by mistake) or holds a film for legal reasons."""

from portal.extensions import db
from portal.models.base import utcnow


class ConsentWithdrawal(db.Model):
    """One registered withdrawal: who, when, the day its films go, and an annulment if any."""

    __tablename__ = "consent_withdrawals"

    id = db.Column(db.Integer, primary_key=True)
    participant_id = db.Column(db.Integer, db.ForeignKey("participants.id", ondelete="CASCADE"), nullable=False,
                               index=True)
    consent_id = db.Column(db.Integer, db.ForeignKey("consents.id", ondelete="CASCADE"), nullable=False,
                           unique=True)
    registered_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    registered_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    delete_after = db.Column(db.DateTime(timezone=True), nullable=False)
    annulled_at = db.Column(db.DateTime(timezone=True))
    annulled_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    annul_reason = db.Column(db.String(500))
    done_at = db.Column(db.DateTime(timezone=True))  # every film deleted

    participant = db.relationship("Participant")
    consent = db.relationship("Consent", backref=db.backref("withdrawal", uselist=False))
    registered_by = db.relationship("User", foreign_keys=[registered_by_id])
    annulled_by = db.relationship("User", foreign_keys=[annulled_by_id])
    film_rows = db.relationship("WithdrawalFilm", cascade="all, delete-orphan", lazy="selectin")

    @property
    def films(self):
        """The recordings this withdrawal blocks, in session order."""
        return sorted((row.recording for row in self.film_rows),
                      key=lambda r: (r.group_session.number, r.id))

    @property
    def active(self):
        """True while the withdrawal still has work to do (not annulled, films not all gone)."""
        return self.annulled_at is None and self.done_at is None

    def __repr__(self):
        return f"<ConsentWithdrawal {self.id}>"


class WithdrawalFilm(db.Model):
    """A film a withdrawal blocks and will delete."""

    __tablename__ = "consent_withdrawal_films"

    withdrawal_id = db.Column(db.Integer, db.ForeignKey("consent_withdrawals.id", ondelete="CASCADE"),
                              primary_key=True)
    recording_id = db.Column(db.Integer, db.ForeignKey("recordings.id", ondelete="CASCADE"), primary_key=True,
                             index=True)

    recording = db.relationship("Recording")
