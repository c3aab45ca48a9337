"""Domain models, one module per aggregate; importing this package registers them all."""

from portal.models.audit import AuditEvent
from portal.models.certification import BoosterAttendance, BoosterMeeting, Certification
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
from portal.models.media import FilmPart, FilmSegment
from portal.models.recordings import Recording, SourceFile
from portal.models.review_tools import Chapter, ChecklistItem, ChecklistLink, ChecklistMark
from portal.models.supervision import Comment, Notification, PlaybackPosition, SessionSupervision
from portal.models.users import ROLES, ApiToken, Organisation, RecoveryCode, User, UserRole
from portal.models.withdrawals import ConsentWithdrawal, WithdrawalFilm

__all__ = ["ROLES", "ApiToken", "AuditEvent", "BoosterAttendance", "BoosterMeeting", "Certification", "Comment",
           "Consent", "ConsentConfirmation", "Group", "GroupEvaluation", "GroupLeader", "GroupSession",
           "GroupSupervisor", "Notification", "Organisation", "Participant", "PlaybackPosition", "Program",
           "RecoveryCode", "Recording", "SessionSupervision", "SourceFile", "User", "UserRole"]
__all__ += ["ConsentWithdrawal", "WithdrawalFilm"]
__all__ += ["FilmPart", "FilmSegment"]
__all__ += ["Chapter", "ChecklistItem", "ChecklistLink", "ChecklistMark"]
