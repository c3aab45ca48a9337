"""Notices about certification: a decision to the leader, a recertification request to the
supervisors, and the reminders 90 and 30 days before recertification is due.

The reminders are idempotent: each certification is reminded once per threshold
(``reminded_90_at``, ``reminded_30_at``), so the periodic sweep may run as often as it likes.
"""

from portal.extensions import db
from portal.models import Certification
from portal.models.base import utcnow
from portal.models.certification import CERTIFIED, INITIAL
from portal.services import certification as rules
from portal.services import notifications as n


def decided(certification):
    """Tell the leader about a decision on their certification or recertification."""
    initial = certification.kind == INITIAL
    if certification.status == CERTIFIED:
        kind = n.CERTIFIED if initial else n.RECERTIFIED
        params = {"until": certification.valid_until.isoformat()}
    else:
        kind = n.NOT_YET_CERTIFIED if initial else n.RECERT_MORE
        params = {}
    n.notify(certification.leader, kind, n.path("certification.index"), program=certification.program.name, **params)


def recertification_requested(certification):
    """Tell the supervisors of the films' group that a leader sent films for recertification."""
    group = certification.group
    for supervisor in group.supervisors:
        n.notify(supervisor, n.RECERT_REQUESTED, n.path("certification.review", certification_id=certification.id),
               leader=certification.leader.name, group=group.title)


def remind_recertification(today=None):
    """Remind certified leaders 90 and 30 days before their recertification is due (also when
    the sixth group made it due at once). Skips leaders whose films are already with a
    supervisor and certifications that expired or were renewed. Commits; returns how many
    reminders were sent."""
    today = today or rules.today()
    candidates = db.session.scalars(db.select(Certification).where(
        Certification.status == CERTIFIED, Certification.reminded_30_at.is_(None),
        Certification.valid_until >= today).order_by(Certification.id)).all()
    sent = 0
    for row in candidates:
        leader = row.leader
        if not leader.has_role("leader"):
            continue
        current = rules.status(leader, today)
        if current.certification is None or current.certification.id != row.id:
            continue  # renewed since: the new certification is the one to remind about
        days = (current.due - today).days
        if days <= 30:
            kind = n.RECERT_DUE_30
        elif days <= 90 and row.reminded_90_at is None:
            kind = n.RECERT_DUE_90
        else:
            continue
        if rules.pending_recertification(leader) is not None:
            continue
        now = utcnow()
        row.reminded_90_at = row.reminded_90_at or now  # a 30-day reminder covers the 90-day one
        if kind == n.RECERT_DUE_30:
            row.reminded_30_at = now
        n.notify(leader, kind, n.path("certification.index"), program=row.program.name,
                 due=current.due.isoformat(), films=row.program.recert_films)
        sent += 1
    db.session.commit()
    return sent

