"""Who may do what: one predicate per rule, and thin enforcers that abort.

Objects a user may not know exist answer 404; areas a user may not enter answer 403.
"""

from flask import abort
from flask_login import current_user

from portal.models.users import ADMIN, LEADER, SUPERVISOR


def is_admin(user):
    """True for an active user holding the admin role."""
    return user.is_authenticated and user.has_role(ADMIN)


def is_supervisor(user):
    """True for an active user holding the supervisor role."""
    return user.is_authenticated and user.has_role(SUPERVISOR)


def is_leader(user):
    """True for an active user holding the leader role."""
    return user.is_authenticated and user.has_role(LEADER)


def can_manage_user(actor, user):
    """Admins manage the accounts of their own organisation only."""
    return is_admin(actor) and user is not None and user.organisation_id == actor.organisation_id


def require_admin():
    """:raise 403: unless the current user is an admin."""
    if not is_admin(current_user):
        abort(403)


def require_manage_user(user):
    """:raise 404: unless the current user may manage ``user``."""
    if not can_manage_user(current_user, user):
        abort(404)
