"""The platform administrator's use cases (issue 18): organisations and their first admin, and
the program owner's supervisor pool with each supervisor's workload. Callers commit."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext

from portal.extensions import db
from portal.models import GroupSupervisor, Organisation, User
from portal.models.supervision import DONE
from portal.models.users import ADMIN, SUPERVISOR
from portal.services import accounts, audit, supervision

# Feedback counts as due this week when the group's next session is at most this many days away.
DUE_DAYS = 7


def organisations():
    """Every organisation, active ones first, by name."""
    return db.session.scalars(db.select(Organisation).order_by(Organisation.active.desc(), Organisation.name)).all()


def create_organisation(name, admin_name, admin_email, actor, language="sv"):
    """Create an organisation and its first admin, who gets an invitation by mail once the
    caller has committed (``accounts.send_invitation``). Returns ``(organisation, admin)``.

    :raise accounts.AccountError: for an empty or taken name, or an admin the accounts refuse."""
    name = (name or "").strip()[:200]
    if not name:
        raise accounts.AccountError(_("Enter the organisation's name."))
    if db.session.scalar(db.select(Organisation.id).where(Organisation.name == name)) is not None:
        raise accounts.AccountError(_("There is already an organisation called %(name)s.", name=name))
    organisation = Organisation(name=name)
    db.session.add(organisation)
    db.session.flush()
    audit.record("organisation.create", organisation, actor=actor)
    admin = accounts.create_user(admin_email, admin_name, [ADMIN], organisation, language=language, actor=actor)
    return organisation, admin


def set_organisation_active(organisation, active, actor):
    """Deactivate an organisation (its people can no longer log in, its data stays) or
    reactivate it; audited. :raise accounts.AccountError: for the actor's own organisation."""
    if organisation.id == actor.organisation_id and not active:
        raise accounts.AccountError(_("You cannot deactivate your own organisation."))
    organisation.active = bool(active)
    for user in organisation.users:
        user.end_all_sessions()
    audit.record("organisation.activated" if active else "organisation.deactivated", organisation, actor=actor)


def in_pool(person):
    """True for a supervisor of the program owner's pool: an active user holding the role."""
    return person is not None and person.is_active and person.has_role(SUPERVISOR)


def pool():
    """The supervisor pool, by name."""
    users = db.session.scalars(db.select(User).where(User.active.is_(True)).order_by(User.name)).all()
    return [u for u in users if in_pool(u)]


@dataclass
class Workload:
    """What one supervisor of the pool has on their desk."""

    supervisor: User
    films_waiting: int
    due_this_week: int
    groups: int

    @property
    def load(self):
        """One number to compare supervisors by: unfinished films weigh most, then groups."""
        return (self.films_waiting + self.due_this_week, self.groups)


def workloads(today=None):
    """Every pool supervisor's workload, least loaded first."""
    today = today or date.today()
    counts = dict(db.session.execute(db.select(GroupSupervisor.user_id, db.func.count())
                                     .group_by(GroupSupervisor.user_id)).all())
    rows = []
    for person in pool():
        waiting = [item for item in supervision.queue(person) if item.supervision_status != DONE]
        due = sum(1 for item in waiting if item.due is not None and item.due <= today + timedelta(days=DUE_DAYS))
        rows.append(Workload(person, len(waiting), due, counts.get(person.id, 0)))
    rows.sort(key=lambda w: (w.load, w.supervisor.name))
    return rows


def supervisor_choices():
    """The group form's supervisor choices: the pool, least loaded first, each with its workload;
    and the suggested one (the least loaded), or None."""
    rows = workloads()
    choices = [(w.supervisor.id, "%s (%s, %s)" % (
        w.supervisor.name, ngettext("%(num)d film waiting", "%(num)d films waiting", w.films_waiting),
        ngettext("%(num)d group", "%(num)d groups", w.groups))) for w in rows]
    return choices, (rows[0].supervisor if rows else None)


def least_loaded():
    """The pool supervisor with the least work, or None when the pool is empty."""
    rows = workloads()
    return rows[0].supervisor if rows else None


def add_to_pool(user, actor):
    """Give an existing user the supervisor role; audited."""
    if not user.has_role(SUPERVISOR):
        before = list(user.roles)
        user.roles = set(user.roles) | {SUPERVISOR}
        audit.record("pool.add", user, actor=actor, before=before, after=list(user.roles))


def remove_from_pool(user, actor):
    """Take the supervisor role away (assignments to groups stay until a group is edited);
    audited. :raise accounts.AccountError: when it is the user's only role."""
    if SUPERVISOR not in user.roles:
        return
    rest = set(user.roles) - {SUPERVISOR}
    if not rest:
        raise accounts.AccountError(_("%(name)s has no other role: deactivate the login instead.", name=user.name))
    before = list(user.roles)
    user.roles = rest
    user.end_all_sessions()
    audit.record("pool.remove", user, actor=actor, before=before, after=list(user.roles))


def invite_supervisor(name, email, actor, language="sv"):
    """Create a supervisor in the program owner's organisation (the actor's); the caller commits
    and sends the invitation. :raise accounts.AccountError: as ``accounts.create_user``."""
    return accounts.create_user(email, name, [SUPERVISOR], actor.organisation, language=language, actor=actor)
