"""Who may do what: one predicate per rule, and thin enforcers that abort.

Objects a user may not know exist answer 404; areas a user may not enter answer 403.
"""

from flask import abort, has_request_context, session
from flask_login import current_user

from portal.models.users import ADMIN, LEADER, PLATFORM_ADMIN, SUPERVISOR

# The browser session's "act for an organisation" choice of a platform administrator:
# ``{"user": <id>, "organisation": <id>}`` (portal.platform.acting).
ACTING_FOR = "acting_for"


def acting_organisation(user):
    """The organisation a platform administrator acts for in this browser session, else None.

    The choice lives in the signed session cookie and names the user who made it, so it ends with
    the session and never carries over to someone else's; a request authenticated by an API token
    acts for nobody (tokens are for scripts, acting is a person's deliberate choice)."""
    from portal.auth_loading import bearer_token
    from portal.extensions import db
    from portal.models import Organisation

    if not has_request_context() or not is_platform_admin(user) or bearer_token() is not None:
        return None
    acting = session.get(ACTING_FOR)
    if not isinstance(acting, dict) or acting.get("user") != user.id or not isinstance(acting.get("organisation"), int):
        return None
    return db.session.get(Organisation, acting["organisation"])  # the identity map: one query a request


def admin_organisation(user):
    """The one answer to "which organisation does this admin act on": the organisation a platform
    administrator acts for, else an admin's own; None for someone who administers nothing. Every
    admin page, admin API and admin permission reads it, never ``user.organisation`` directly."""
    if not user.is_authenticated:
        return None
    acting = acting_organisation(user)
    if acting is not None:
        return acting
    return user.organisation if user.has_role(ADMIN) else None


def admin_organisation_id(user):
    """The id of ``admin_organisation(user)``, or None."""
    organisation = admin_organisation(user)
    return organisation.id if organisation is not None else None


def administers(user, organisation_id):
    """True when ``user`` works as an admin of ``organisation_id`` right now."""
    return organisation_id is not None and admin_organisation_id(user) == organisation_id


def working_organisation(user):
    """The organisation something ``user`` creates belongs to: the administered one (acting
    included), else their own."""
    return admin_organisation(user) or user.organisation


def is_admin(user):
    """True for an active user holding the admin role, or a platform administrator acting for an
    organisation (``acting_organisation``)."""
    return admin_organisation(user) is not None


def is_supervisor(user):
    """True for an active user holding the supervisor role."""
    return user.is_authenticated and user.has_role(SUPERVISOR)


def is_leader(user):
    """True for an active user holding the leader role."""
    return user.is_authenticated and user.has_role(LEADER)


def is_platform_admin(user):
    """True for an active platform administrator (metodgarant): organisations, programs and the
    supervisor pool. The role alone watches no film (see ``can_watch_recording``)."""
    return user.is_authenticated and user.has_role(PLATFORM_ADMIN)


def require_platform_admin():
    """:raise 403: unless the current user is a platform administrator."""
    if not is_platform_admin(current_user):
        abort(403)


def can_manage_user(actor, user):
    """Admins manage the accounts of their own organisation only."""
    return user is not None and administers(actor, user.organisation_id)


def require_admin():
    """:raise 403: unless the current user is an admin."""
    if not is_admin(current_user):
        abort(403)


def require_manage_user(user):
    """:raise 404: unless the current user may manage ``user``."""
    if not can_manage_user(current_user, user):
        abort(404)


def leads_group(user, group):
    """True when ``user`` is one of the group's leaders."""
    return is_leader(user) and any(r.user_id == user.id for r in group.leader_rows)


def supervises_group(user, group):
    """True when ``user`` is a supervisor assigned to the group."""
    return is_supervisor(user) and any(r.user_id == user.id for r in group.supervisor_rows)


def can_view_group(user, group):
    """Leaders see the groups they lead, supervisors the ones assigned to them, admins their
    organisation's."""
    if group is None or not user.is_authenticated:
        return False
    return (leads_group(user, group) or supervises_group(user, group)
            or administers(user, group.organisation_id))


def can_manage_group(user, group):
    """Leaders of the group and its organisation's admins keep participants and consent."""
    return group is not None and (
        leads_group(user, group) or administers(user, group.organisation_id))


def can_edit_group(user, group):
    """Whoever manages a group changes it, until it is archived (read-only from then on)."""
    return can_manage_group(user, group) and not group.archived


def can_upload_to_group(user, group):
    """The designated uploader, or the co-leader when the group allows it; none once archived."""
    from portal.models.groups import CO_LEADER, UPLOADER

    if group.archived:
        return False
    allowed = {UPLOADER, CO_LEADER} if group.co_leader_may_upload else {UPLOADER}
    return is_leader(user) and any(r.user_id == user.id and r.role in allowed for r in group.leader_rows)


def require_view_group(group):
    """:raise 404: unless the current user may see ``group``."""
    if not can_view_group(current_user, group):
        abort(404)


def require_manage_group(group):
    """:raise 404: when the group is hidden from the user; 403 when seen but not managed."""
    require_view_group(group)
    if not can_manage_group(current_user, group):
        abort(403)


def require_edit_group(group):
    """:raise 404: when the group is hidden from the user; 403 when seen but not managed, or archived."""
    require_manage_group(group)
    if group.archived:
        abort(403)


def can_operate_upload(user, group_session):
    """Who may sign, list, complete or cancel a session's upload: whoever may start one."""
    group = group_session.group if group_session is not None else None
    return group is not None and can_view_group(user, group) and can_upload_to_group(user, group)


def require_operate_upload(group_session):
    """:raise 404: unless the current user may work on uploads of ``group_session``."""
    if not can_operate_upload(current_user, group_session):
        abort(404)


def can_view_recording_status(user, recording):
    """A recording's state (not its film) is visible to everyone who sees its group."""
    return recording is not None and can_view_group(user, recording.group_session.group)


def require_view_recording_status(recording):
    """:raise 404: unless the current user may see ``recording``'s state."""
    if not can_view_recording_status(current_user, recording):
        abort(404)


def playable_now(recording):
    """A ready film, or one published as HLS whose first segments play while the rest is still
    being processed (issue 19: the leader checks the start of what was uploaded)."""
    from portal.models.recordings import PROCESSING, READY

    if recording.status == READY:
        return True
    return (recording.status == PROCESSING and recording.output_kind == "hls"
            and (recording.playable_seconds or 0) > 0)


def can_watch_recording(user, recording):
    """The film itself: the group's leaders and its assigned supervisors, once it can be played
    (``playable_now``) and no withdrawal of consent blocks it. Admins only when they are also an
    assigned supervisor."""
    if recording is None or not user.is_authenticated or not playable_now(recording):
        return False
    group_session = recording.group_session
    if group_session.playback_blocked_at is not None:
        return False
    return leads_group(user, group_session.group) or supervises_group(user, group_session.group)


def require_watch_recording(recording):
    """:raise 404: unless the current user may watch ``recording``."""
    if not can_watch_recording(current_user, recording):
        abort(404)


def can_supervise_recording(user, recording):
    """Supervisors assigned to the group see every comment and write the session's feedback."""
    return can_watch_recording(user, recording) and supervises_group(user, recording.group_session.group)


def can_supervise_session(user, group_session):
    """The session's summary is written by the group's assigned supervisors."""
    return group_session is not None and supervises_group(user, group_session.group)


def require_supervise_session(group_session):
    """:raise 404: unless the current user supervises ``group_session``'s group."""
    if not can_supervise_session(current_user, group_session):
        abort(404)


def can_read_feedback(user, group_session):
    """Leaders read a session's feedback once it is published; its supervisors always."""
    if group_session is None:
        return False
    if supervises_group(user, group_session.group):
        return True
    supervision = group_session.supervision
    return leads_group(user, group_session.group) and supervision is not None and supervision.published


def can_see_comment(user, comment):
    """Supervisors of the group see all comments; leaders the shared ones once feedback is
    published. Whoever sees a comment may see the film it is on."""
    from portal.models.supervision import SHARED

    recording = comment.recording
    if not can_watch_recording(user, recording):
        return False
    if supervises_group(user, recording.group_session.group):
        return True
    return comment.visibility == SHARED and can_read_feedback(user, recording.group_session)


def require_see_comment(comment):
    """:raise 404: unless the current user may see ``comment``."""
    if comment is None or not can_see_comment(current_user, comment):
        abort(404)


def can_edit_comment(user, comment):
    """Authors edit and delete their own comments while they can still see them."""
    return comment.author_id == user.id and comment.deleted_at is None and can_see_comment(user, comment)


def can_add_chapter(user, recording):
    """The group's leaders mark a film's parts once it is uploaded (while it is processed, too);
    its supervisors when they can watch it. None once the group is archived or consent stopped the film."""
    from portal.models.recordings import PROCESSING, READY, UPLOADED

    if recording is None or not user.is_authenticated:
        return False
    group_session = recording.group_session
    if group_session.group.archived or group_session.playback_blocked_at is not None:
        return False
    if supervises_group(user, group_session.group):
        return can_watch_recording(user, recording)
    return leads_group(user, group_session.group) and recording.status in (UPLOADED, PROCESSING, READY)


def can_change_chapter(user, chapter):
    """Supervisors assigned to the group move and delete chapters, whoever added them; a leader
    the chapters they added themselves, while they may add chapters to the film (a mistaken time
    or a double tap is theirs to mend, a supervisor's or co-leader's chapter is not)."""
    if chapter is None or chapter.recording.group_session.group.archived:
        return False
    if can_supervise_recording(user, chapter.recording):
        return True
    return (user.is_authenticated and chapter.created_by_id == user.id
            and can_add_chapter(user, chapter.recording))


def can_mark_checklist(user, group_session):
    """Only the group's assigned supervisors tick checklist items and link them to the film."""
    return (group_session is not None and supervises_group(user, group_session.group)
            and not group_session.group.archived)


def can_read_checklist(user, group_session):
    """The session's checklist: its supervisors always, its leaders once the feedback is published."""
    return can_read_feedback(user, group_session)


def require_read_checklist(group_session):
    """:raise 404: unless the current user may read ``group_session``'s checklist."""
    if not can_read_checklist(current_user, group_session):
        abort(404)


def can_retry_recording(user, recording):
    """Admins of the recording's organisation retry a failed recording."""
    from portal.models.recordings import FAILED

    return (recording is not None and recording.status == FAILED
            and administers(user, recording.organisation_id))


def can_decide_certification(user, leader, group):
    """A supervisor assigned to a certification group decides on each of its leaders."""
    return (group is not None and leader is not None and group.purpose == "certification"
            and supervises_group(user, group) and any(r.user_id == leader.id for r in group.leader_rows))


def require_decide_certification(leader, group):
    """:raise 404: unless the current user may decide ``leader``'s certification in ``group``."""
    if not can_decide_certification(current_user, leader, group):
        abort(404)


def can_review_recertification(user, certification):
    """A recertification request is reviewed by the supervisors assigned to the films' group."""
    from portal.models.certification import RECERTIFICATION

    return (certification is not None and certification.kind == RECERTIFICATION
            and certification.group is not None and supervises_group(user, certification.group))


def require_review_recertification(certification):
    """:raise 404: unless the current user may review the recertification request."""
    if not can_review_recertification(current_user, certification):
        abort(404)


def can_view_certification_file(user, leader):
    """A leader's certification file: the leader, their organisation's admins and the supervisors
    of any group they lead."""
    from portal.extensions import db
    from portal.models import GroupLeader, GroupSupervisor

    if leader is None or not user.is_authenticated or LEADER not in leader.roles:
        return False
    if user.id == leader.id or administers(user, leader.organisation_id):
        return True
    return is_supervisor(user) and bool(db.session.scalar(db.select(db.exists().where(
        GroupLeader.user_id == leader.id, GroupSupervisor.user_id == user.id,
        GroupSupervisor.group_id == GroupLeader.group_id))))


def require_view_certification_file(leader):
    """:raise 404: unless the current user may see ``leader``'s certification file."""
    if not can_view_certification_file(current_user, leader):
        abort(404)


def can_view_certificate(user, certification):
    """A certificate: the certified leader, the admins of the organisation and the supervisor
    who decided."""
    from portal.models.certification import CERTIFIED

    if certification is None or certification.status != CERTIFIED or not user.is_authenticated:
        return False
    return (user.id == certification.leader_id
            or (is_supervisor(user) and user.id == certification.decided_by_id)
            or administers(user, certification.organisation_id))


def require_view_certificate(certification):
    """:raise 404: unless the current user may download the certificate."""
    if not can_view_certificate(current_user, certification):
        abort(404)


def can_view_register(user):
    """The register of certified leaders: admins see their organisation's, platform
    administrators every organisation's, leaders their own entry."""
    return is_admin(user) or is_platform_admin(user) or is_leader(user)


def can_manage_booster(user, meeting):
    """Admins record the booster meetings of their own organisation."""
    return meeting is not None and administers(user, meeting.organisation_id)


def require_manage_booster(meeting):
    """:raise 404: unless the current user may manage ``meeting``."""
    if not can_manage_booster(current_user, meeting):
        abort(404)
