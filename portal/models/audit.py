"""The append-only audit log: who did what to which object, when and from where."""

from sqlalchemy import event

from portal.extensions import db
from portal.models.base import utcnow


class AuditEvent(db.Model):
    """One audited action. Rows are only ever inserted (see the guards below)."""

    __tablename__ = "audit_events"

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"), index=True)
    action = db.Column(db.String(64), nullable=False, index=True)
    object_type = db.Column(db.String(32))
    object_id = db.Column(db.Integer)
    ip = db.Column(db.String(45))
    detail = db.Column(db.JSON, nullable=False, default=dict)
    # Whose log the row belongs to: the object's organisation, else the actor's.
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), index=True)

    actor = db.relationship("User")


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit row."""


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):
    raise AuditLogIsAppendOnly("audit events cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AuditLogIsAppendOnly("audit events cannot be deleted")
