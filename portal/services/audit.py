"""Write audit events. Callers commit; the row goes in the same transaction as the change."""

from flask import has_request_context, request
from flask_login import current_user

from portal import permissions
from portal.extensions import db
from portal.models import AuditEvent


def organisation_of(obj, actor, acting=None):
    """The organisation an audited object belongs to, else the one the actor acts for as a
    platform administrator (``acting``), else the actor's, else None."""
    from portal.models import Organisation

    if isinstance(obj, Organisation):
        return obj.id
    for source in (obj, getattr(obj, "recording", None), getattr(obj, "group", None)):
        org = getattr(source, "organisation_id", None)
        if org is not None:
            return org
    if acting is not None:
        return acting.id
    return getattr(actor, "organisation_id", None)


def record(action, obj=None, actor=None, **detail):
    """Add an audit row for ``action`` on ``obj`` by ``actor`` (default: the current user)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    acting = permissions.acting_organisation(actor) if actor is not None else None
    organisation_id = organisation_of(obj, actor, acting)
    if acting is not None and organisation_id == acting.id:
        # A platform administrator's work in an organisation reads as such in its own audit log.
        detail = {**detail, "acting_for": acting.id, "platform_admin": actor.email}
    event = AuditEvent(
        organisation_id=organisation_id,
        action=action,
        actor_id=getattr(actor, "id", None),
        object_type=type(obj).__name__.lower() if obj is not None else None,
        object_id=getattr(obj, "id", None),
        ip=request.remote_addr if has_request_context() else None,
        detail=detail,
    )
    db.session.add(event)
    return event
