"""Domain models, one module per aggregate; importing this package registers them all."""

from portal.models.audit import AuditEvent
from portal.models.groups import (
    Consent,
    ConsentConfirmation,
    Group,
    GroupEvaluation,
    GroupLeader,
    GroupSession,
    GroupSupervisor,
    Participant,
    Program,
)
from portal.models.recordings import Recording, SourceFile
from portal.models.users import ROLES, ApiToken, Organisation, User, UserRole

__all__ = ["ROLES", "ApiToken", "AuditEvent", "Consent", "ConsentConfirmation", "Group",
           "GroupEvaluation", "GroupLeader", "GroupSession", "GroupSupervisor", "Organisation",
           "Participant", "Program", "Recording", "SourceFile", "User", "UserRole"]
