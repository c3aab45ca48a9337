"""Write audit events. Callers commit; the row goes in the same transaction as the change."""

from flask import has_request_context, request
from flask_login import current_user

from portal.extensions import db
from portal.models import AuditEvent


def organisation_of(obj, actor):
    """The organisation an audited object belongs to, else the actor's, else None."""
    from portal.models import Organisation

    if isinstance(obj, Organisation):
        return obj.id
    for source in (obj, getattr(obj, "recording", None), getattr(obj, "group", None), actor):
        org = getattr(source, "organisation_id", None)
        if org is not None:
            return org
    return None


def record(action, obj=None, actor=None, **detail):
    """Add an audit row for ``action`` on ``obj`` by ``actor`` (default: the current user)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        organisation_id=organisation_of(obj, actor),
        action=action,
        actor_id=getattr(actor, "id", None),
        object_type=type(obj).__name__.lower() if obj is not None else None,
        object_id=getattr(obj, "id", None),
        ip=request.remote_addr if has_request_context() else None,
        detail=detail,
    )
    db.session.add(event)
    return event
