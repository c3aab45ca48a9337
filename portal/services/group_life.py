"""A group's life after it is created: edit its details and people, move, cancel or add a
session, close it at the end of the round and archive it. Every change is audited with what it
was before and after. Callers commit."""

from flask_babel import gettext as _

from portal import permissions
from portal.extensions import db
from portal.models import GroupLeader, GroupSession, GroupSupervisor
from portal.models.base import utcnow
from portal.models.groups import CO_LEADER, UPLOADER
from portal.services import audit
from portal.services.consent import has_film
from portal.services.groups import (
    GroupError,
    can_set_co_leader_upload,
    check_certified,
    check_people,
    check_program_needs,
)

# What a leader may change in their own group; an admin of the group's organisation changes all.
LEADER_FIELDS = frozenset({"title", "start_date"})
ADMIN_FIELDS = frozenset({"title", "start_date", "language", "interpreter", "uploader", "co_leader",
                          "co_leader_may_upload", "technical_assistant", "supervisors"})


def editable_fields(user, group):
    """The fields of ``group`` that ``user`` may change (empty once it is archived)."""
    if group is None or not permissions.can_edit_group(user, group):
        return frozenset()
    if permissions.administers(user, group.organisation_id):
        return ADMIN_FIELDS
    fields = set(LEADER_FIELDS)
    if can_set_co_leader_upload(user, group):
        fields.add("co_leader_may_upload")
    return frozenset(fields)


def snapshot(group):
    """The editable facts of ``group`` as plain values, for the audit trail."""
    co_leader = next((r.user_id for r in group.leader_rows if r.role == CO_LEADER), None)
    return {"title": group.title, "start_date": group.start_date.isoformat(), "language": group.language,
            "interpreter": group.interpreter, "uploader": group.uploader.id if group.uploader else None,
            "co_leader": co_leader, "co_leader_may_upload": group.co_leader_may_upload,
            "technical_assistant": group.technical_assistant_id,
            "supervisors": sorted(r.user_id for r in group.supervisor_rows)}


def update_group(group, actor, **changes):
    """Change the fields given in ``changes`` (people as User objects); returns the audited
    changes as ``{field: [before, after]}``. A changed uploader applies to the next upload.

    :raise GroupError: for a field ``actor`` may not change, or a value that does not fit.
    """
    refused = sorted(set(changes) - editable_fields(actor, group))
    if refused:
        raise GroupError(_("You cannot change this in the group: %(fields)s.", fields=", ".join(refused)))
    before = snapshot(group)
    leaders = {r.role: r.user for r in group.leader_rows}
    uploader = changes.get("uploader", leaders.get(UPLOADER))
    co_leader = changes.get("co_leader", leaders.get(CO_LEADER))
    assistant = changes.get("technical_assistant", group.technical_assistant)
    supervisors = changes.get("supervisors", group.supervisors)
    people = {"uploader", "co_leader", "technical_assistant", "supervisors"} & set(changes)
    if people:
        check_people(group.organisation, uploader, co_leader, assistant,
                     supervisors if "supervisors" in changes else ())
        check_program_needs(group.program, uploader, co_leader, assistant)
    if {uploader.id, co_leader.id} != {r.user_id for r in group.leader_rows}:
        check_certified(group.program, group.purpose, (uploader, co_leader))
    if "title" in changes:
        title = (changes["title"] or "").strip()
        if not title:
            raise GroupError(_("Enter a title for the group."))
        group.title = title[:200]
    if "start_date" in changes and changes["start_date"] != group.start_date:
        _move_start(group, changes["start_date"])
    for name in ("language", "interpreter", "co_leader_may_upload"):
        if name in changes:
            setattr(group, name, changes[name] if name != "language" else (changes[name] or "sv")[:40])
    if people:
        _set_leaders(group, uploader, co_leader)
        group.technical_assistant = assistant
        _set_supervisors(group, supervisors)
    db.session.flush()
    after = snapshot(group)
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:
        audit.record("group.update", group, actor=actor, before={k: v[0] for k, v in changed.items()},
                     after={k: v[1] for k, v in changed.items()})
    return changed


def _move_start(group, start_date):
    """Move the whole plan with the start date, while no session has been confirmed or filmed.

    :raise GroupError: once the group has begun.
    """
    if any(s.confirmations or has_film(s) for s in group.sessions):
        raise GroupError(_("The group has begun: move single sessions instead of the start date."))
    shift = start_date - group.start_date
    for group_session in group.sessions:
        group_session.date = group_session.date + shift
    group.start_date = start_date


def _set_leaders(group, uploader, co_leader):
    """Keep the rows of leaders who stay (with their new role), drop the others, add the new ones."""
    roles = {uploader.id: (UPLOADER, uploader), co_leader.id: (CO_LEADER, co_leader)}
    for row in list(group.leader_rows):
        if row.user_id in roles:
            row.role = roles.pop(row.user_id)[0]
        else:
            group.leader_rows.remove(row)
    group.leader_rows.extend(GroupLeader(user=user, role=role) for role, user in roles.values())


def _set_supervisors(group, supervisors):
    wanted = {s.id: s for s in supervisors}
    for row in list(group.supervisor_rows):
        if wanted.pop(row.user_id, None) is None:
            group.supervisor_rows.remove(row)
    group.supervisor_rows.extend(GroupSupervisor(user=user) for user in wanted.values())


def add_session(group, title, on_date, actor):
    """Add a session after the last one (an extra meeting); audited.

    :raise GroupError: without a title or a date.
    """
    title = (title or "").strip()
    if not title or on_date is None:
        raise GroupError(_("Enter the title and the date of the session."))
    number = max((s.number for s in group.sessions), default=-1) + 1
    group_session = GroupSession(number=number, title=title[:200], date=on_date)
    group.sessions.append(group_session)
    db.session.flush()
    audit.record("group_session.add", group_session, actor=actor, group_id=group.id, number=number,
                 date=on_date.isoformat())
    return group_session


def cancel_session(group_session, actor):
    """Mark a session as not held: no film is expected or accepted for it; audited.

    :raise GroupError: when it has a film or is already cancelled.
    """
    if group_session.cancelled_at is not None:
        raise GroupError(_("The session is already cancelled."))
    if has_film(group_session):
        raise GroupError(_("The session has a film, so it was held: it cannot be cancelled."))
    group_session.cancelled_at = utcnow()
    audit.record("group_session.cancel", group_session, actor=actor, group_id=group_session.group_id)


def reinstate_session(group_session, actor):
    """Undo a cancellation made by mistake: the session expects its film again; audited.

    :raise GroupError: when the session is not cancelled.
    """
    if group_session.cancelled_at is None:
        raise GroupError(_("The session is not cancelled."))
    group_session.cancelled_at = None
    audit.record("group_session.reinstate", group_session, actor=actor, group_id=group_session.group_id)


def close_group(group, actor):
    """Close the group at the end of its round; needs its evaluation. Audited.

    :raise GroupError: without an evaluation, or when already closed.
    """
    if group.closed_at is not None:
        raise GroupError(_("The group is already closed."))
    if group.evaluation is None:
        raise GroupError(_("Record the group's evaluation before closing it."))
    group.closed_at = utcnow()
    audit.record("group.close", group, actor=actor)


def archive_group(group, actor):
    """Archive a closed group: read-only from now on and out of the working lists. Audited.

    :raise GroupError: unless the group is closed and not yet archived.
    """
    if group.archived_at is not None:
        raise GroupError(_("The group is already archived."))
    if group.closed_at is None:
        raise GroupError(_("Close the group before archiving it."))
    group.archived_at = utcnow()
    audit.record("group.archive", group, actor=actor)


def can_close(user, group):
    """The group's leaders and its organisation's admins close it, while it is open."""
    return permissions.can_edit_group(user, group) and group.closed_at is None


def can_archive(user, group):
    """The organisation's admins archive a closed group."""
    return (permissions.can_edit_group(user, group) and permissions.administers(user, group.organisation_id)
            and group.closed_at is not None)
