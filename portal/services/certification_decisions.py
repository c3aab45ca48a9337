"""Certification decisions: after the first group a supervisor certifies a leader or says "not
yet" with a motivation the leader reads; later the leader sends films from their latest group
and a supervisor recertifies them or asks for more. Every decision is audited and told to the
leader. Callers commit.
"""

from dataclasses import dataclass

from flask_babel import gettext as _

from portal import permissions
from portal.errors import Refused
from portal.extensions import db
from portal.models import Certification, Group, GroupSupervisor
from portal.models.base import utcnow
from portal.models.certification import CERTIFIED, INITIAL, NOT_YET, PENDING, RECERTIFICATION
from portal.services import audit, certification_notices, retention
from portal.services.certification import (
    add_years,
    decisions_on,
    film_choices,
    latest_certification,
    latest_group,
    pending_recertification,
    readiness,
    recert_readiness,
)

MAX_MOTIVATION = 5000


def _motivation(text, required):
    """The stripped motivation. :raise Refused: 422 when required and empty, or too long."""
    text = (text or "").strip()
    if len(text) > MAX_MOTIVATION:
        raise Refused(422, "motivation_too_long",
                      _("The motivation can be at most %(n)d characters.", n=MAX_MOTIVATION))
    if required and not text:
        raise Refused(422, "motivation_required", _("Write a motivation the leader can read."))
    return text


def _record(row, supervisor, certified, motivation, today):
    """Write the decision on ``row``, audit it and tell the leader."""
    row.status = CERTIFIED if certified else NOT_YET
    row.motivation = motivation
    row.decided_by_id = supervisor.id
    row.decided_at = utcnow()
    if certified:
        row.valid_from = today
        row.valid_until = add_years(today, row.program.recert_years)
    db.session.add(row)
    db.session.flush()
    audit.record("certification.decide", row, actor=supervisor, kind=row.kind, status=row.status,
                 leader_id=row.leader_id, group_id=row.group_id,
                 valid_until=row.valid_until.isoformat() if row.valid_until else None)
    certification_notices.decided(row)
    if row.group_id is not None:
        retention.start_clocks(group_id=row.group_id)
    return row


def decide(supervisor, leader, group, certified, motivation, today):
    """Certify ``leader`` on their certification group, or decide "not yet" with a motivation.

    :raise Refused: 404 unless ``supervisor`` is assigned to the group and ``leader`` leads it;
        409 when certifying a group that is not ready or a leader already certified; 422 for a
        missing motivation.
    """
    if not permissions.can_decide_certification(supervisor, leader, group):
        raise Refused(404, "not_found", _("The page could not be found."))
    motivation = _motivation(motivation, required=not certified)
    if certified:
        current = latest_certification(leader)
        if current is not None and current.valid_until is not None and current.valid_until >= today:
            raise Refused(409, "already_certified", _("%(name)s is already certified, valid until %(until)s.",
                                                      name=leader.name, until=current.valid_until.isoformat()))
        reasons = readiness(group)
        if reasons:
            raise Refused(409, "not_ready", _("The group is not ready for a decision: %(reasons)s",
                                              reasons=" ".join(reasons)))
    row = Certification(leader=leader, organisation_id=group.organisation_id, program=group.program,
                        group_id=group.id, kind=INITIAL, films=[])
    return _record(row, supervisor, certified, motivation, today)


def request_recertification(leader, recording_ids):
    """Send the program's number of films from the leader's latest group for recertification.

    :raise Refused: 409 for a leader who was never certified, has a request waiting, has led no
        group since or whose latest group has no supervisor; 422 unless exactly the right number
        of the group's ready films is chosen.
    """
    current = latest_certification(leader)
    if current is None:
        raise Refused(409, "not_certified", _("Only certified leaders send films for recertification."))
    if pending_recertification(leader) is not None:
        raise Refused(409, "already_requested", _("Your films are already with a supervisor."))
    group = latest_group(leader)
    if group is None or group.id == current.group_id:
        raise Refused(409, "no_new_group", _("Send films from a group you led after your certification. Register "
                                             "your next group with “New group”."))
    if not group.supervisor_rows:
        raise Refused(409, "no_supervisor", _("Your latest group has no supervisor to review the films. Ask "
                                              "an administrator to assign one."))
    wanted = current.program.recert_films
    try:
        chosen = sorted({int(i) for i in recording_ids or []})
    except (TypeError, ValueError):
        chosen = []
    allowed = {r.id for r in film_choices(group)}
    if len(chosen) != wanted or not set(chosen) <= allowed:
        raise Refused(422, "choose_films", _("Choose %(n)d films from your latest group.", n=wanted))
    row = Certification(leader=leader, organisation_id=group.organisation_id, program_id=current.program_id,
                        group_id=group.id, kind=RECERTIFICATION, status=PENDING, films=chosen)
    db.session.add(row)
    db.session.flush()
    audit.record("certification.request", row, actor=leader, group_id=group.id, films=chosen)
    certification_notices.recertification_requested(row)
    return row


def decide_recertification(supervisor, certification, recertify, motivation, today):
    """Recertify (a new validity from ``today``) or ask for more, with a motivation.

    :raise Refused: 404 unless ``supervisor`` is assigned to the films' group; 409 when already
        decided or the films are no longer there to watch; 422 for a missing motivation.
    """
    if not permissions.can_review_recertification(supervisor, certification):
        raise Refused(404, "not_found", _("The page could not be found."))
    if certification.status != PENDING:
        raise Refused(409, "already_decided", _("This recertification is already decided."))
    motivation = _motivation(motivation, required=not recertify)
    if recertify:
        reasons = recert_readiness(certification)
        if reasons:
            raise Refused(409, "not_ready", " ".join(reasons))
    return _record(certification, supervisor, recertify, motivation, today)


@dataclass
class Awaiting:
    """A leader of a certification group a supervisor is assigned to, and where they stand."""

    group: Group
    leader: object
    decision: Certification | None  # the latest decision in this group
    reasons: list


def awaiting_decision(supervisor):
    """The leaders of the supervisor's certification groups, the undecided and "not yet" first."""
    group_list = db.session.scalars(
        db.select(Group).join(GroupSupervisor).where(GroupSupervisor.user_id == supervisor.id,
                                                     Group.purpose == "certification")
        .order_by(Group.start_date.desc(), Group.id.desc())).all()
    rows = []
    for group in group_list:
        reasons = readiness(group)
        for leader in group.leaders:
            decisions = decisions_on(leader, group)
            rows.append(Awaiting(group, leader, decisions[0] if decisions else None, reasons))
    rows.sort(key=lambda r: r.decision is not None and r.decision.status == CERTIFIED)
    return rows


def recertifications_to_review(supervisor):
    """Recertification requests waiting in the groups the supervisor is assigned to, oldest first."""
    return db.session.scalars(
        db.select(Certification).join(GroupSupervisor, GroupSupervisor.group_id == Certification.group_id)
        .where(GroupSupervisor.user_id == supervisor.id, Certification.kind == RECERTIFICATION,
               Certification.status == PENDING)
        .order_by(Certification.created_at, Certification.id)).all()

