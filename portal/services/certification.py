"""The program's certification rules: when a leader's first group is ready for a decision, when
recertification is due, and which stage each leader is in. The numbers come from the Program
row (minimum participants, years and groups before recertification, films to send in).

The date rules are pure functions so they can be tested exhaustively; the rest reads the
database and never writes it.
"""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Certification, Group, GroupLeader, User
from portal.models.certification import CERTIFIED
from portal.models.recordings import READY
from portal.models.supervision import DONE

IN_TRAINING = "in_training"
IN_SUPERVISION = "in_supervision"
CERTIFIED_STAGE = "certified"
RECERT_DUE = "recert_due"  # due within the warning window, or already due
EXPIRED = "expired"
STAGES = (IN_TRAINING, IN_SUPERVISION, CERTIFIED_STAGE, RECERT_DUE, EXPIRED)
STAGE_TEXT = {
    IN_TRAINING: _l("In training"),
    IN_SUPERVISION: _l("In supervision"),
    CERTIFIED_STAGE: _l("Certified"),
    RECERT_DUE: _l("Recertification due"),
    EXPIRED: _l("Certification expired"),
}
WARN_DAYS = 90


def add_years(day, years):
    """``day`` moved ``years`` years on; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def recert_due(valid_from, groups_registered, years=3, groups=6):
    """When recertification is due: ``years`` after ``valid_from``, or the day the ``groups``-th
    group since then was registered, whichever comes first.

    ``groups_registered`` are the dates the leader's groups were registered (the start notice);
    groups registered before ``valid_from`` don't count.
    """
    by_time = add_years(valid_from, years)
    since = sorted(day for day in groups_registered if day >= valid_from)
    if len(since) >= groups:
        return min(by_time, since[groups - 1])
    return by_time


def stage_of(certification, due, today, supervising=False):
    """The leader's stage from their latest certification and its due date."""
    if certification is None or certification.status != CERTIFIED:
        return IN_SUPERVISION if supervising else IN_TRAINING
    if certification.valid_until is not None and today > certification.valid_until:
        return EXPIRED
    if (due - today).days <= WARN_DAYS:
        return RECERT_DUE
    return CERTIFIED_STAGE


def latest_certification(leader, program_id=None):
    """The leader's newest decided-certified certification (optionally in one program), or None."""
    query = (db.select(Certification).where(Certification.leader_id == leader.id, Certification.status == CERTIFIED)
             .order_by(Certification.valid_from.desc(), Certification.id.desc()))
    if program_id is not None:
        query = query.where(Certification.program_id == program_id)
    return db.session.scalars(query.limit(1)).first()


def groups_led(leader):
    """The groups ``leader`` leads, oldest first."""
    return db.session.scalars(db.select(Group).join(GroupLeader).where(GroupLeader.user_id == leader.id)
                              .order_by(Group.start_date, Group.id)).all()


@dataclass
class Status:
    """A leader's certification status as the pages show it."""

    stage: str
    certification: Certification | None = None
    due: date | None = None
    groups_since: int = 0
    reasons: list = field(default_factory=list)

    @property
    def text(self):
        return str(STAGE_TEXT[self.stage])


def status(leader, today):
    """``leader``'s stage, the certification it rests on, the due date and the groups counted."""
    certification = latest_certification(leader)
    led = groups_led(leader)
    if certification is None:
        supervising = any(g.purpose == "certification" for g in led)
        return Status(IN_SUPERVISION if supervising else IN_TRAINING)
    program = certification.program
    registered = [g.created_at.date() for g in led if g.id != certification.group_id]
    due = recert_due(certification.valid_from, registered, program.recert_years, program.recert_groups)
    since = sum(1 for day in registered if day >= certification.valid_from)
    return Status(stage_of(certification, due, today), certification, due, since)


def counted_participants(group):
    """Participants of the group whose consent is in force."""
    return sum(1 for p in group.participants if p.has_consent)


def readiness(group):
    """Why ``group`` is not ready for the certification decision (an empty list: it is ready).

    Ready means: at least the program's minimum participants with consent, and every principle
    session with a ready film whose supervision is done.
    """
    program = group.program
    reasons = []
    count = counted_participants(group)
    if count < program.min_participants:
        reasons.append(_("%(n)d participants with consent; at least %(min)d are needed.", n=count,
                         min=program.min_participants))
    for session in group.sessions:
        if session.number == 0:
            continue  # the information meeting is not supervised
        films = [r for r in session.recordings if r.status == READY]
        if not films:
            reasons.append(_("Session %(n)d has no film ready to watch.", n=session.number))
        elif session.supervision is None or session.supervision.status != DONE:
            reasons.append(_("Session %(n)d is not yet supervised.", n=session.number))
    return reasons


def recert_readiness(certification):
    """Why a recertification request is not ready: it needs the program's number of ready films."""
    from portal.models import Recording

    wanted = certification.program.recert_films
    films = [db.session.get(Recording, rid) for rid in certification.films or []]
    ready = [f for f in films if f is not None and f.status == READY]
    if len(ready) < wanted:
        return [_("%(n)d of %(wanted)d films are ready to watch.", n=len(ready), wanted=wanted)]
    return []


def certified_register(organisation_id, today):
    """The organisation's leaders and their latest certification, certified ones first by name."""
    leaders = db.session.scalars(db.select(User).where(User.organisation_id == organisation_id)
                                 .order_by(User.name)).all()
    rows = []
    for leader in leaders:
        if not leader.has_role("leader"):
            continue
        current = status(leader, today)
        if current.certification is not None:
            rows.append((leader, current))
    return rows
