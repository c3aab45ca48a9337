"""Domain models, one module per aggregate; importing this package registers them all."""

from portal.models.audit import AuditEvent
from portal.models.users import ROLES, ApiToken, Organisation, User, UserRole

__all__ = ["ROLES", "ApiToken", "AuditEvent", "Organisation", "User", "UserRole"]
