"""A withdrawal of consent as a participant would expect it: the leader or admin first sees the
films it affects (the sessions the participant attended that have a film), then confirms.
Playback of those films stops at once; they are deleted, each with its receipt, when the grace
period has passed (``WITHDRAWAL_GRACE_DAYS``, or the organisation's own), unless an admin holds
a film for legal reasons. During the grace period an admin can annul a withdrawal registered by
mistake, with a reason. A consent given again later does not unblock films recorded before it.

Callers commit, except ``run_due``, which a worker runs and which commits per film.
"""

import logging
from datetime import timedelta
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _

from portal import clock
from portal.errors import Refused
from portal.extensions import db
from portal.models import ConsentWithdrawal, Group, GroupSession, Participant, WithdrawalFilm
from portal.models.base import as_utc, utcnow
from portal.models.recordings import AWAITING_UPLOAD, DELETED
from portal.services import audit, consent, notifications, retention

log = logging.getLogger(__name__)

MAX_REASON = 500


class Affected(NamedTuple):
    """A session the participant attended and its films that a withdrawal would take."""

    group_session: GroupSession
    films: list


def affected(participant):
    """The sessions ``participant`` attended that have a film (uploaded and not deleted)."""
    rows = []
    for group_session in participant.group.sessions:
        if not any(participant.id in c.attending for c in group_session.confirmations):
            continue
        films = [r for r in group_session.recordings if r.status not in (AWAITING_UPLOAD, DELETED)]
        if films:
            rows.append(Affected(group_session, films))
    return rows


def grace_days(organisation):
    """Days from a withdrawal to the deletion of its films for ``organisation``."""
    own = organisation.withdrawal_grace_days
    return own if own is not None else current_app.config["WITHDRAWAL_GRACE_DAYS"]


def register(participant, on_date, actor):
    """Register a withdrawal the actor confirmed: block playback of the affected films now, set the
    day they are deleted, tell the group's leaders and the organisation's admins.

    Returns the ConsentWithdrawal. :raise ConsentError: as ``consent.withdraw_consent``.
    """
    rows = affected(participant)
    blocked = consent.withdraw_consent(participant, on_date, actor)
    group = participant.group
    now = utcnow()
    withdrawal = ConsentWithdrawal(participant=participant, consent=participant.consents[-1],
                                   registered_by_id=actor.id, registered_at=now,
                                   delete_after=now + timedelta(days=grace_days(group.organisation)))
    for row in rows:
        withdrawal.film_rows.extend(WithdrawalFilm(recording_id=r.id) for r in row.films)
    db.session.add(withdrawal)
    db.session.flush()
    audit.record("consent.withdrawal_registered", participant, actor=actor, withdrawal_id=withdrawal.id,
                 group_id=group.id, recordings=[r.id for row in rows for r in row.films],
                 blocked_sessions=[s.id for s in blocked], delete_after=withdrawal.delete_after.isoformat())
    if rows:
        _notify(withdrawal, group, rows)
    return withdrawal


def _notify(withdrawal, group, rows):
    params = {"group": group.title, "sessions": ", ".join(str(row.group_session.number) for row in rows),
              "date": withdrawal.delete_after.date().isoformat()}
    people = {u.id: u for u in group.leaders}
    people.update({u.id: u for u in retention.organisation_admins(group.organisation_id)})
    for user in people.values():
        link = (notifications.path("admin.withdrawals") if user.has_role("admin")
                else notifications.path("groups.show", group_id=group.id))
        notifications.notify(user, notifications.CONSENT_WITHDRAWN, link, **params)


def in_grace(withdrawal, now=None):
    """True while the withdrawal's films are blocked but not yet due for deletion."""
    return withdrawal.active and (now or utcnow()) < as_utc(withdrawal.delete_after)


def annul(withdrawal, actor, reason):
    """Annul a withdrawal registered by mistake: the consent counts again and its films play
    again (unless another withdrawal blocks them). Audited with the reason.

    :raise Refused: 422 without a reason, 409 once the grace period is over or it was annulled.
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise Refused(422, "reason_required", _("Say why the withdrawal is annulled (at most %(n)d characters).",
                                                n=MAX_REASON))
    if not in_grace(withdrawal):
        raise Refused(409, "grace_over", _("The withdrawal can no longer be annulled: its grace period is over."))
    withdrawal.annulled_at = utcnow()
    withdrawal.annulled_by_id = actor.id
    withdrawal.annul_reason = reason
    db.session.flush()
    sessions = {r.group_session for r in withdrawal.films}
    for group_session in sessions:
        if not _still_withdrawn(group_session):
            group_session.playback_blocked_at = None
            group_session.playback_blocked_reason = None
    audit.record("consent.withdrawal_annulled", withdrawal.participant, actor=actor, withdrawal_id=withdrawal.id,
                 reason=reason, unblocked_sessions=sorted(s.id for s in sessions if s.playback_blocked_at is None))
    return withdrawal


def _still_withdrawn(group_session):
    """True when a withdrawal that is not annulled covers the session's films."""
    ids = [r.id for r in group_session.recordings]
    return bool(ids) and db.session.scalar(
        db.select(db.func.count()).select_from(WithdrawalFilm).join(ConsentWithdrawal)
        .where(WithdrawalFilm.recording_id.in_(ids), ConsentWithdrawal.annulled_at.is_(None))) > 0


def due(now=None):
    """Withdrawals whose grace period is over and whose films are not all deleted yet."""
    now = now or utcnow()
    return db.session.scalars(
        db.select(ConsentWithdrawal).where(ConsentWithdrawal.annulled_at.is_(None), ConsentWithdrawal.done_at.is_(None),
                                           ConsentWithdrawal.delete_after <= now)
        .order_by(ConsentWithdrawal.id)).all()


def run_due(now=None):
    """Delete the films of every withdrawal whose grace period is over, each with its receipt;
    a film under a legal hold is kept and tried again next round. One film's storage failure
    does not stop the others. Returns ``{"deleted", "held", "failed"}``."""
    counts = {"deleted": 0, "held": 0, "failed": 0}
    for withdrawal_id in [w.id for w in due(now)]:
        withdrawal = db.session.get(ConsentWithdrawal, withdrawal_id)
        waiting = 0
        for recording in withdrawal.films:
            if recording.status == DELETED:
                continue
            if recording.legal_hold_at is not None:
                counts["held"] += 1
                waiting += 1
                continue
            recording_id = recording.id
            try:
                retention.delete_recording(recording, None, retention.CONSENT_WITHDRAWN)
                counts["deleted"] += 1
            except Exception:  # noqa: BLE001 - the next round tries again
                db.session.rollback()
                counts["failed"] += 1
                waiting += 1
                log.warning("withdrawal %s: deleting recording %s failed", withdrawal_id, recording_id, exc_info=True)
        if not waiting:
            withdrawal = db.session.get(ConsentWithdrawal, withdrawal_id)
            withdrawal.done_at = utcnow()
            db.session.commit()
    if any(counts.values()):
        log.info("withdrawals: %s", counts)
    return counts


def for_organisation(organisation_id, limit=50):
    """The organisation's withdrawals, newest first, for the admin page."""
    return db.session.scalars(
        db.select(ConsentWithdrawal).join(Participant).join(Group)
        .where(Group.organisation_id == organisation_id)
        .order_by(ConsentWithdrawal.id.desc()).limit(limit)).all()


def session_withdrawal(group_session):
    """The newest withdrawal (not annulled) that covers a film of ``group_session``, or None."""
    ids = [r.id for r in group_session.recordings]
    if not ids:
        return None
    return db.session.scalars(
        db.select(ConsentWithdrawal).join(WithdrawalFilm)
        .where(WithdrawalFilm.recording_id.in_(ids), ConsentWithdrawal.annulled_at.is_(None))
        .order_by(ConsentWithdrawal.id.desc()).limit(1)).first()


class ConsentState(NamedTuple):
    """The one consent state the group page shows for a session."""

    code: str  # withdrawn, confirmed, not_confirmed
    text: str


def session_state(group_session):
    """One true consent state per session: a withdrawal wins over the confirmation it undid."""
    if group_session.playback_blocked_at is not None or consent.withdrawn_since_confirmation(group_session):
        live = [r for r in group_session.recordings if r.status not in (AWAITING_UPLOAD, DELETED)]
        found = session_withdrawal(group_session) if live else None
        if found is not None and found.active:
            return ConsentState("withdrawn", _("Consent withdrawn: playback stopped, the film is deleted on %(date)s",
                                               date=clock.day(found.delete_after)))
        if group_session.recordings and not live:
            return ConsentState("withdrawn", _("Consent withdrawn: the film is deleted"))
        return ConsentState("withdrawn", _("Consent withdrawn: no film may be uploaded"))
    if group_session.confirmation is not None:
        return ConsentState("confirmed", _("Consent confirmed (%(n)d)", n=len(group_session.confirmation.attending)))
    return ConsentState("not_confirmed", _("Not confirmed"))
