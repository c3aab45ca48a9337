"""Group use cases: create a group with its sessions, list what a user may see, edit session
dates, record the end-of-round evaluation. Callers commit."""

from datetime import date, datetime, time, timedelta, timezone

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from portal import permissions
from portal.extensions import db
from portal.models import (
    Group,
    GroupEvaluation,
    GroupLeader,
    GroupSession,
    GroupSupervisor,
    Program,
    User,
)
from portal.models.base import utcnow
from portal.models.groups import CO_LEADER, PURPOSES, UPLOADER
from portal.services import audit, mail, paging, platform
from portal.services.certification import latest_certification
from portal.services.programs import session_plan

NEW_GROUP_DAYS = 30


class GroupError(ValueError):
    """A refused group change, with a message for the user."""


def create_group(actor, organisation, program, title, start_date, uploader, co_leader, purpose,
                 language="sv", interpreter=False, technical_assistant=None, supervisors=(),
                 co_leader_may_upload=False):
    """Create a group with weekly sessions from ``start_date``; audits it. The caller commits,
    then calls ``notify_group_started``.

    :raise GroupError: when a person does not fit their part or a field is missing.
    """
    title = (title or "").strip()
    if not title:
        raise GroupError(_("Enter a title for the group."))
    if purpose not in PURPOSES:
        raise GroupError(_("Choose the purpose of the group."))
    if not isinstance(start_date, date):
        raise GroupError(_("Enter the start date."))
    check_people(organisation, uploader, co_leader, technical_assistant, supervisors)
    check_program_needs(program, uploader, co_leader, technical_assistant)
    if not permissions.administers(actor, organisation.id) and actor.id not in (uploader.id, co_leader.id):
        raise GroupError(_("You must be one of the group's leaders: choose yourself as the uploader or the co-leader."))
    check_certified(program, purpose, (uploader, co_leader))
    group = Group(organisation=organisation, program=program, title=title[:200],
                  language=(language or "sv")[:40], interpreter=bool(interpreter),
                  start_date=start_date, purpose=purpose, co_leader_may_upload=bool(co_leader_may_upload),
                  technical_assistant=technical_assistant, created_by_id=actor.id)
    group.leader_rows = [GroupLeader(user_id=uploader.id, role=UPLOADER),
                         GroupLeader(user_id=co_leader.id, role=CO_LEADER)]
    group.supervisor_rows = [GroupSupervisor(user_id=s.id) for s in {s.id: s for s in supervisors}.values()]
    group.sessions = [GroupSession(number=n, title=t, date=d) for n, t, d in
                      session_plan(start_date, program.session_titles, program.has_info_meeting)]
    db.session.add(group)
    db.session.flush()
    audit.record("group.create", group, actor=actor, program=program.key, purpose=purpose)
    return group


def check_program_needs(program, uploader, co_leader, technical_assistant):
    """eConnect (digital groups) needs a technical assistant and leaders trained for it.

    :raise GroupError: saying what is missing.
    """
    if not program.requires_technical_assistant:
        return
    if technical_assistant is None:
        raise GroupError(_("This program needs a technical assistant."))
    if not (uploader.econnect_trained and co_leader.econnect_trained):
        raise GroupError(_("Both leaders must be trained for eConnect. An administrator marks the training "
                           "on the person's page."))


def check_certified(program, purpose, leaders):
    """A regular group is led by leaders certified in the program (valid today); a
    recertification group by leaders who were certified in it. A certification group is a first one.

    :raise GroupError: naming the leader who does not qualify.
    """
    if purpose not in ("regular", "recertification"):
        return
    for leader in leaders:
        held = latest_certification(leader, program.id)
        if held is None:
            raise GroupError(_("%(name)s is not certified in %(program)s: their first group is a certification "
                               "group.", name=leader.name, program=program.name))
        if purpose == "regular" and held.valid_until is not None and held.valid_until < utcnow().date():
            raise GroupError(_("%(name)s's certification in %(program)s was valid until %(until)s: register a "
                               "recertification group.", name=leader.name, program=program.name,
                               until=held.valid_until.isoformat()))


def can_set_co_leader_upload(user, group):
    """The designated uploader and the organisation's admins decide whether the co-leader uploads too."""
    return group is not None and permissions.can_edit_group(user, group) and (
        permissions.administers(user, group.organisation_id)
        or (group.uploader is not None and group.uploader.id == user.id))


def set_co_leader_upload(group, allowed, actor):
    """Let the co-leader upload the group's films too, or not; audited. The caller commits."""
    group.co_leader_may_upload = bool(allowed)
    audit.record("group.co_leader_upload", group, actor=actor, allowed=bool(allowed))


def belongs_to(person, organisation):
    """True when ``person`` is an active user of ``organisation``."""
    return person is not None and person.active and person.organisation_id == organisation.id


def may_supervise_for(person, organisation):
    """True when ``organisation`` may assign ``person`` as a supervisor: any supervisor of the
    program owner's pool (``platform.in_pool``), whatever organisation runs the group."""
    return platform.in_pool(person)


def check_people(organisation, uploader, co_leader, technical_assistant=None, supervisors=()):
    """Refuse people who do not fit their part in a group of ``organisation``: leaders and the
    technical assistant belong to it, supervisors are ones it may use. Forms and the API both
    come through here, so an id typed into a request cannot bring in another organisation's
    people.

    :raise GroupError: naming the part that does not fit.
    """
    for person in (uploader, co_leader):
        if not belongs_to(person, organisation) or not person.has_role("leader"):
            raise GroupError(_("Both leaders must be group leaders of the organisation. Choose two people with the "
                               "leader role, or ask an administrator to give it."))
    if uploader.id == co_leader.id:
        raise GroupError(_("Choose two different leaders."))
    if technical_assistant is not None and not belongs_to(technical_assistant, organisation):
        raise GroupError(_("The technical assistant must belong to the organisation."))
    if not all(may_supervise_for(s, organisation) for s in supervisors):
        raise GroupError(_("Only supervisors can be assigned to a group."))


def notify_group_started(group):
    """Mail the organisation's admins that a group is starting."""
    admins = db.session.scalars(db.select(User).where(
        User.organisation_id == group.organisation_id, User.active.is_(True))).all()
    for admin in admins:
        if admin.has_role("admin"):
            mail.send(mail.compose(admin.email, _l("A group is starting"), "group_started",
                                   language=admin.language, user=admin, group=group))


def visible_groups(user, archived=False):
    """The groups ``user`` may see, newest start first: the working ones, or the archived ones."""
    return db.session.scalars(_visible_query(user, archived).order_by(Group.start_date.desc(), Group.id.desc())).all()


def _visible_query(user, archived=False):
    """A select of the groups ``user`` may see (none for a user without a group role): the working
    ones, or the archived ones."""
    conditions = []
    if permissions.is_leader(user):
        conditions.append(Group.id.in_(db.select(GroupLeader.group_id).where(GroupLeader.user_id == user.id)))
    if permissions.is_supervisor(user):
        conditions.append(Group.id.in_(
            db.select(GroupSupervisor.group_id).where(GroupSupervisor.user_id == user.id)))
    if permissions.is_admin(user):
        conditions.append(Group.organisation_id == permissions.admin_organisation_id(user))
    archive = Group.archived_at.is_not(None) if archived else Group.archived_at.is_(None)
    return db.select(Group).where(db.or_(*conditions) if conditions else db.false(), archive)


def groups_page(query, q="", page=1, per_page=paging.PER_PAGE):
    """A page of the groups of ``query`` whose title or program matches ``q``, newest start first,
    with what the groups table shows loaded up front."""
    if (condition := paging.matching(q, Group.title, Program.name)) is not None:
        query = query.join(Program, Group.program_id == Program.id).where(condition)
    return paging.paginate(for_table(query.order_by(Group.start_date.desc(), Group.id.desc())), page, per_page)


def visible_groups_page(user, q="", page=1, per_page=paging.PER_PAGE, archived=False):
    """A page of the groups ``user`` may see (working or archived), searched by title or program."""
    return groups_page(_visible_query(user, archived), q, page, per_page)


def organisation_groups_page(organisation_id, q="", page=1, per_page=paging.PER_PAGE):
    """A page of an organisation's groups, searched by title or program."""
    return groups_page(db.select(Group).where(Group.organisation_id == organisation_id), q, page, per_page)


def for_table(query):
    """``query`` (a select of Group) with what the groups table shows loaded up front: the
    program, leaders, sessions and their consent confirmations and the evaluation, so a table
    costs the same few queries for 3 groups or 300."""
    return query.options(
        selectinload(Group.program),
        selectinload(Group.leader_rows).joinedload(GroupLeader.user),
        selectinload(Group.sessions).selectinload(GroupSession.confirmations),
        selectinload(Group.evaluation),
    )


def led_groups(user):
    """The groups ``user`` leads."""
    return db.session.scalars(for_table(db.select(Group).join(GroupLeader).where(GroupLeader.user_id == user.id)
                                        .where(Group.archived_at.is_(None)).order_by(Group.start_date.desc()))).all()


def supervised_groups(user):
    """The groups assigned to supervisor ``user``."""
    return db.session.scalars(for_table(db.select(Group).join(GroupSupervisor)
                                        .where(GroupSupervisor.user_id == user.id, Group.archived_at.is_(None))
                                        .order_by(Group.start_date.desc()))).all()


def organisation_groups(organisation_id):
    """Every group of an organisation."""
    return db.session.scalars(for_table(db.select(Group).where(Group.organisation_id == organisation_id)
                                        .order_by(Group.start_date.desc(), Group.id.desc()))).all()


def newly_started(organisation_id, today=None):
    """Groups created in the last NEW_GROUP_DAYS days."""
    today = today or date.today()
    since = datetime.combine(today - timedelta(days=NEW_GROUP_DAYS), time.min, tzinfo=timezone.utc)
    return db.session.scalars(for_table(
        db.select(Group).where(Group.organisation_id == organisation_id, Group.created_at >= since,
                               Group.archived_at.is_(None))
        .order_by(Group.start_date.desc(), Group.id.desc()))).all()


def missing_evaluations(organisation_id, today=None):
    """Finished groups (last session in the past) without an evaluation."""
    today = today or date.today()
    last_session = (db.select(db.func.max(GroupSession.date)).where(GroupSession.group_id == Group.id)
                    .correlate(Group).scalar_subquery())
    return db.session.scalars(for_table(
        db.select(Group).where(Group.organisation_id == organisation_id,
                               ~db.exists().where(GroupEvaluation.group_id == Group.id),
                               db.func.coalesce(last_session, Group.start_date) < today)
        .order_by(Group.start_date.desc(), Group.id.desc()))).all()


def people(organisation_id, role=None):
    """Active users of the organisation holding ``role`` (any role when None; supervisors: of
    any organisation, the pool ``may_supervise_for`` accepts)."""
    query = db.select(User).where(User.active.is_(True)).order_by(User.name)
    if role != "supervisor":
        query = query.where(User.organisation_id == organisation_id)
    return [u for u in db.session.scalars(query) if role is None or role in u.roles]


def set_session_date(group_session, new_date, actor):
    """Move a session to ``new_date``."""
    before = group_session.date
    group_session.date = new_date
    audit.record("group_session.date_changed", group_session, actor=actor, before=before.isoformat(),
                 after=new_date.isoformat())


def record_evaluation(group, done_on, respondents, summary, actor):
    """Record (or correct) the group's end-of-round evaluation.

    :raise GroupError: on a negative number of respondents.
    """
    if not isinstance(respondents, int) or isinstance(respondents, bool) or respondents < 0:
        raise GroupError(_("Enter the number of respondents (0 or more)."))
    if group.evaluation is None:
        group.evaluation = GroupEvaluation()
    evaluation = group.evaluation
    evaluation.done_on = done_on
    evaluation.respondents = respondents
    evaluation.summary = (summary or "").strip() or None
    evaluation.recorded_by_id = actor.id
    db.session.flush()
    audit.record("group.evaluation", group, actor=actor, respondents=respondents)
    return evaluation
