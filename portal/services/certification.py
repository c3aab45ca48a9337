"""The program's certification rules: when a leader's first group is ready for a decision, when
recertification is due, and which stage each leader is in. The numbers come from the Program
row (minimum participants, years and groups before recertification, films to send in).

The date rules are pure functions so they can be tested exhaustively; the rest reads the
database and never writes it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import joinedload

from portal import clock
from portal.extensions import db
from portal.models import Certification, Group, GroupLeader, User
from portal.models.base import utcnow
from portal.models.certification import CERTIFIED, INITIAL, NOT_YET, PENDING, RECERTIFICATION
from portal.models.recordings import FINISHED_OR_GONE, READY
from portal.models.supervision import DONE, NOT_STARTED
from portal.services import audit
from portal.services.programs import lineage
from portal.utils import timecode

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
    """The leader's newest decided-certified certification (optionally in one program, any of
    its versions), or None."""
    query = (db.select(Certification).where(Certification.leader_id == leader.id, Certification.status == CERTIFIED)
             .order_by(Certification.valid_from.desc(), Certification.id.desc()))
    if program_id is not None:
        query = query.where(Certification.program_id.in_(lineage(program_id)))
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
    return _status_from(latest_certification(leader), groups_led(leader), today)


def _status_from(certification, led, today):
    """The status from a leader's latest certified certification (or None) and the groups they
    lead (anything with ``id``, ``purpose`` and ``created_at``): one rule for one leader or many."""
    if certification is None:
        supervising = any(g.purpose == "certification" for g in led)
        return Status(IN_SUPERVISION if supervising else IN_TRAINING)
    program = certification.program
    registered = [g.created_at.date() for g in led if g.id != certification.group_id]
    due = recert_due(certification.valid_from, registered, program.recert_years, program.recert_groups)
    since = sum(1 for day in registered if day >= certification.valid_from)
    return Status(stage_of(certification, due, today), certification, due, since)


def statuses(organisation_id, today):
    """``{leader: Status}`` for every active leader of the organisation, by name, in three
    queries whatever the number of leaders."""
    leaders = [u for u in db.session.scalars(db.select(User).where(
        User.organisation_id == organisation_id, User.active.is_(True)).order_by(User.name, User.id))
        if u.has_role("leader")]
    return statuses_of(leaders, today)


def statuses_of(leaders, today):
    """``{leader: Status}`` for the given leaders, in their order, in two queries."""
    ids = [u.id for u in leaders]
    if not ids:
        return {}
    latest = {}
    for certification in db.session.scalars(
            db.select(Certification).where(Certification.leader_id.in_(ids), Certification.status == CERTIFIED)
            .options(joinedload(Certification.program))
            .order_by(Certification.valid_from, Certification.id)):
        latest[certification.leader_id] = certification  # ordered oldest first: the last one wins
    led = defaultdict(list)
    for row in db.session.execute(db.select(GroupLeader.user_id, Group.id, Group.purpose, Group.created_at)
                                  .join(Group, Group.id == GroupLeader.group_id)
                                  .where(GroupLeader.user_id.in_(ids))):
        led[row.user_id].append(row)
    return {leader: _status_from(latest.get(leader.id), led[leader.id], today) for leader in leaders}


def counted_participants(group):
    """Participants of the group whose consent is in force."""
    return sum(1 for p in group.participants if p.has_consent)


def session_reasons(session, today, program=None):
    """Why a principle session does not count towards certification (an empty list: it counts).

    It counts when its date has passed, it has a ready film at least the program's minimum film
    length long, and its supervision is done and published to the leaders.
    """
    program = program or session.group.program
    reasons = []
    if session.date >= today:
        reasons.append(_("%(session)s is dated %(date)s, which has not passed yet.", session=session.title,
                         date=clock.day(session.date)))
    films = [r for r in session.recordings if r.status == READY]
    minimum = program.min_film_minutes * 60
    if not films:
        reasons.append(_("%(session)s has no film ready to watch.", session=session.title))
    elif not any((r.duration or 0) >= minimum for r in films):
        longest = max(r.duration or 0 for r in films)
        reasons.append(_("The film of %(session)s is %(length)s long; at least %(min)d minutes are needed.",
                         session=session.title, length=timecode(longest), min=program.min_film_minutes))
    supervision = session.supervision
    if not films:
        pass  # nothing to supervise yet: the missing film is the reason
    elif supervision is None or supervision.status != DONE:
        reasons.append(_("%(session)s is not yet supervised.", session=session.title))
    elif supervision.published_at is None:
        reasons.append(_("The supervision of %(session)s is not yet published to the leaders.", session=session.title))
    return reasons


def readiness(group, today=None):
    """Why ``group`` is not ready for the certification decision (an empty list: it is ready).

    Ready means: at least the program's minimum participants with consent, and every principle
    session counting (see session_reasons) on ``today`` (default: today).
    """
    today = today or utcnow().date()
    program = group.program
    reasons = []
    count = counted_participants(group)
    if count < program.min_participants:
        reasons.append(ngettext("%(num)d participant with consent; at least %(min)d are needed.",
                                "%(num)d participants with consent; at least %(min)d are needed.", count,
                                min=program.min_participants))
    for session in group.sessions:
        if session.number == 0:
            continue  # the information meeting is not supervised
        reasons.extend(session_reasons(session, today, program))
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
    """The organisation's leaders who hold or held a certification, by name, with their status
    (an expired one shows as such)."""
    return [(leader, current) for leader, current in statuses(organisation_id, today).items()
            if current.certification is not None]


def today():
    """Today's date as the certification rules count it (UTC, like the groups' registration)."""
    return utcnow().date()


@dataclass
class Slot:
    """One principle session of a group being supervised: its film and its supervision."""

    session: object
    film: object  # the recording holding the session's slot, or None
    supervision_status: str
    blocked: bool
    reasons: list = field(default_factory=list)  # why the session does not count towards certification


def slots(group, today=None):
    """The group's sessions with their film and supervision status and why each principle session
    does not count towards certification yet, information meeting first."""
    today = today or utcnow().date()
    rows = []
    for session in group.sessions:
        films = [r for r in session.recordings if r.status not in FINISHED_OR_GONE]
        supervision = session.supervision
        rows.append(Slot(session, films[-1] if films else None,
                         supervision.status if supervision is not None else NOT_STARTED,
                         session.playback_blocked_at is not None,
                         session_reasons(session, today, group.program) if session.number > 0 else []))
    return rows


def certification_groups(leader):
    """The groups ``leader`` leads for their certification, newest first."""
    return [g for g in reversed(groups_led(leader)) if g.purpose == "certification"]


def history(leader):
    """Every certification row of ``leader``, newest first: decisions and recertification requests."""
    return db.session.scalars(db.select(Certification).where(Certification.leader_id == leader.id)
                              .order_by(Certification.created_at.desc(), Certification.id.desc())).all()


def decisions_on(leader, group):
    """The initial decisions on ``leader`` in ``group``, newest first."""
    return db.session.scalars(db.select(Certification).where(
        Certification.leader_id == leader.id, Certification.group_id == group.id,
        Certification.kind == INITIAL).order_by(Certification.id.desc())).all()


def latest_group(leader):
    """The group ``leader`` registered last (latest start), whose films a recertification uses."""
    led = groups_led(leader)
    return led[-1] if led else None


def pending_recertification(leader):
    """The leader's recertification request still waiting for a supervisor, or None."""
    return db.session.scalars(db.select(Certification).where(
        Certification.leader_id == leader.id, Certification.kind == RECERTIFICATION,
        Certification.status == PENDING).order_by(Certification.id.desc()).limit(1)).first()


def film_choices(group):
    """The group's films a leader may send for recertification: ready, playback not blocked."""
    return [r for s in group.sessions if s.playback_blocked_at is None
            for r in s.recordings if r.status == READY]


def set_econnect_trained(user, trained, actor):
    """Mark ``user`` as trained (or not) to lead eConnect groups; audited. The caller commits."""
    if user.econnect_trained != bool(trained):
        user.econnect_trained = bool(trained)
        audit.record("user.econnect_trained", user, actor=actor, trained=bool(trained))


KIND_TEXT = {INITIAL: _l("Certification"), RECERTIFICATION: _l("Recertification")}
DECISION_TEXT = {PENDING: _l("Waiting for a supervisor"), CERTIFIED: _l("Certified"), NOT_YET: _l("Not yet")}


def decision_text(certification):
    """A certification row's outcome as a person reads it."""
    if certification.kind == RECERTIFICATION and certification.status == NOT_YET:
        return str(_l("More asked for"))
    return str(DECISION_TEXT[certification.status])


@dataclass
class GroupFile:
    """A certification group as its leader's file shows it."""

    group: Group
    slots: list
    participants: int
    reasons: list
    decision: Certification | None  # the latest decision on the leader in this group


@dataclass
class LeaderFile:
    """Everything a leader's certification file shows."""

    leader: User
    status: Status
    groups: list  # GroupFile per certification group, newest first
    since: list  # groups registered since the certification counts
    history: list
    latest_group: Group | None  # None when the latest group is the one the certification rests on
    choices: list  # films of the latest group that may be sent for recertification
    pending: Certification | None
    boosters: list  # (meeting, attended)


def leader_file(leader, today):
    """``leader``'s certification file on ``today``."""
    from portal.services import boosters

    current = status(leader, today)
    files = []
    for group in certification_groups(leader):
        decisions = decisions_on(leader, group)
        files.append(GroupFile(group, [s for s in slots(group, today) if s.session.number > 0],
                               counted_participants(group), readiness(group, today),
                               decisions[0] if decisions else None))
    since = []
    if current.certification is not None:
        since = [g for g in groups_led(leader) if g.id != current.certification.group_id
                 and g.created_at.date() >= current.certification.valid_from]
    latest = latest_group(leader)
    if latest is not None and current.certification is not None and latest.id == current.certification.group_id:
        latest = None  # the films for a recertification come from a group led since
    return LeaderFile(leader=leader, status=current, groups=files, since=since, history=history(leader),
                      latest_group=latest, choices=film_choices(latest) if latest is not None else [],
                      pending=pending_recertification(leader), boosters=boosters.attendance_of(leader))
