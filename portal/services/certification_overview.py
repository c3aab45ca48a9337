"""The admins' overview of an organisation: leaders by certification stage, running groups,
groups missing their evaluation, the supervisors' workload and recertifications by month.

Each part is one or a few aggregate queries, never one query per row; the charts are plain
numbers here and drawn by the template.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.models import (
    Certification,
    Group,
    GroupEvaluation,
    GroupLeader,
    GroupSession,
    GroupSupervisor,
    Recording,
    User,
)
from portal.models.certification import CERTIFIED, RECERTIFICATION
from portal.models.recordings import READY
from portal.models.supervision import DONE, SessionSupervision
from portal.services.certification import EXPIRED, STAGE_TEXT, STAGES, statuses

MONTHS = 12


@dataclass
class Bar:
    """One bar of a chart: its label, its value and its length relative to the longest bar."""

    label: str
    value: int
    share: float


def bars(pairs):
    """``[(label, value)]`` as bars scaled to the largest value."""
    top = max((value for _label, value in pairs), default=0)
    return [Bar(str(label), value, value / top if top else 0.0) for label, value in pairs]


def leaders_by_stage(current):
    """``(rows, counts)`` from ``{leader: Status}``: every leader with their status, ordered by
    stage then name, and the number of leaders in each stage (zeros included)."""
    order = {stage: i for i, stage in enumerate(STAGES)}
    rows = sorted(current.items(), key=lambda item: order[item[1].stage])  # stable: names stay sorted
    counted = Counter(s.stage for s in current.values())
    return rows, [(stage, STAGE_TEXT[stage], counted.get(stage, 0)) for stage in STAGES]


def _with_last_session(organisation_id):
    """``(query, last)``: the organisation's groups with their last session date (``last``) and
    their evaluation joined, leaders and program loaded with them."""
    span = (db.select(GroupSession.group_id, db.func.max(GroupSession.date).label("last"))
            .group_by(GroupSession.group_id).subquery())
    last = db.func.coalesce(span.c.last, Group.start_date)
    query = (db.select(Group, last.label("last")).outerjoin(span, span.c.group_id == Group.id)
             .outerjoin(GroupEvaluation, GroupEvaluation.group_id == Group.id)
             .where(Group.organisation_id == organisation_id)
             .options(joinedload(Group.program), selectinload(Group.leader_rows).joinedload(GroupLeader.user))
             .order_by(Group.start_date, Group.id))
    return query, last


def running_groups(organisation_id, today):
    """``[(group, last session date)]``: groups that have started and not had their last session."""
    query, last = _with_last_session(organisation_id)
    return db.session.execute(query.where(Group.start_date <= today, last >= today)).all()


def missing_evaluations(organisation_id, today):
    """``[(group, last session date)]``: finished groups without a recorded evaluation."""
    query, last = _with_last_session(organisation_id)
    return db.session.execute(query.where(last < today, GroupEvaluation.id.is_(None))).all()


@dataclass
class Workload:
    """One supervisor's films waiting for supervision in the organisation's groups."""

    supervisor: User
    waiting: int
    oldest: date | None  # the day the longest-waiting film became ready

    def days(self, today):
        return (today - self.oldest).days if self.oldest else None


def workload(organisation_id):
    """Every supervisor assigned to the organisation's groups, with the ready films whose
    supervision is not done and the oldest of them; most waiting first."""
    assigned = db.select(GroupSupervisor.user_id).join(Group, Group.id == GroupSupervisor.group_id).where(
        Group.organisation_id == organisation_id)
    supervisors = db.session.scalars(db.select(User).where(User.id.in_(assigned)).order_by(User.name)).all()
    counts = db.session.execute(
        db.select(GroupSupervisor.user_id, db.func.count(db.distinct(Recording.id)),
                  db.func.min(db.func.coalesce(Recording.ready_at, Recording.created_at)))
        .select_from(Recording)
        .join(GroupSession, GroupSession.id == Recording.group_session_id)
        .join(Group, Group.id == GroupSession.group_id)
        .join(GroupSupervisor, GroupSupervisor.group_id == Group.id)
        .outerjoin(SessionSupervision, SessionSupervision.group_session_id == GroupSession.id)
        .where(Group.organisation_id == organisation_id, Recording.status == READY,
               GroupSession.playback_blocked_at.is_(None),
               db.or_(SessionSupervision.id.is_(None), SessionSupervision.status != DONE))
        .group_by(GroupSupervisor.user_id)).all()
    found = {user_id: (count, oldest) for user_id, count, oldest in counts}
    rows = []
    for supervisor in supervisors:
        count, oldest = found.get(supervisor.id, (0, None))
        rows.append(Workload(supervisor, count, oldest.date() if oldest is not None else None))
    rows.sort(key=lambda w: -w.waiting)
    return rows


def _month_starts(first, count):
    """The first days of ``count`` months from the month of ``first``."""
    year, month = first.year, first.month
    out = []
    for _i in range(count):
        out.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _month_key(day):
    return day.strftime("%Y-%m")


def recertifications_due_by_month(current, today, months=MONTHS):
    """``[(month, leaders due)]`` from ``{leader: Status}`` for this month and the next ones; a
    due date already passed (and not yet expired) counts in this month."""
    keys = [_month_key(m) for m in _month_starts(today, months)]
    counted = Counter()
    for status in current.values():
        if status.due is None or status.stage == EXPIRED:
            continue
        key = _month_key(max(status.due, today))
        if key in keys:
            counted[key] += 1
    return [(key, counted.get(key, 0)) for key in keys]


def recertifications_done_by_month(organisation_id, today, months=MONTHS):
    """``[(month, recertifications decided)]`` for the last ``months`` months, this one last."""
    back = today.year * 12 + today.month - 1 - (months - 1)
    first = date(back // 12, back % 12 + 1, 1)
    keys = [_month_key(m) for m in _month_starts(first, months)]
    days = db.session.scalars(db.select(Certification.valid_from).where(
        Certification.organisation_id == organisation_id, Certification.kind == RECERTIFICATION,
        Certification.status == CERTIFIED, Certification.valid_from >= first)).all()
    counted = Counter(_month_key(day) for day in days)
    return [(key, counted.get(key, 0)) for key in keys]


@dataclass
class Overview:
    """Everything the overview page shows, for one organisation on one day."""

    leaders: list
    stages: list
    running: list
    missing: list
    workload: list
    due: list
    done: list


def overview(organisation_id, today):
    """The organisation's overview on ``today``."""
    current = statuses(organisation_id, today)
    leaders, stages = leaders_by_stage(current)
    return Overview(leaders=leaders, stages=stages, running=running_groups(organisation_id, today),
                    missing=missing_evaluations(organisation_id, today), workload=workload(organisation_id),
                    due=recertifications_due_by_month(current, today),
                    done=recertifications_done_by_month(organisation_id, today))
