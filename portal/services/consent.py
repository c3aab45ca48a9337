"""Participants, their consent to filming, and the consent gate before an upload.

Consent is a history of rows: giving and withdrawing each add one. Withdrawal blocks playback
of every session the participant attended. Callers commit; every change writes an audit row in
the same transaction.
"""

import re
from datetime import date
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from portal import clock, permissions
from portal.extensions import db
from portal.models import Consent, ConsentConfirmation, Group, GroupSession, Participant
from portal.models.base import as_utc, utcnow
from portal.models.groups import CONSENT_METHODS, GIVEN, WITHDRAWN
from portal.models.recordings import AWAITING_UPLOAD, DELETED
from portal.services import audit, paging

# Personnummer or samordningsnummer: (YY)YYMMDD, an optional - or + separator, four digits.
PERSONAL_NUMBER_RE = re.compile(r"(?<!\d)(?:\d{2})?\d{6}[-+ ]?\d{4}(?!\d)")
CODE_RE = re.compile(r"^[\w\- .]{1,20}$")
TIMECODE_RE = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")
WITHDRAWAL = "consent_withdrawn"


class ConsentError(ValueError):
    """A refused participant or consent change: HTTP status, machine code, translated message."""

    def __init__(self, message, code="invalid", status=422, **extra):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.extra = extra


class Refusal(NamedTuple):
    """Why an upload may not start."""

    status: int
    code: str
    message: str


def check_code(code):
    """Return the stripped pseudonymous code. :raise ConsentError: for anything that looks like
    an identity (personal identity number, e-mail address) or is not a short code."""
    code = (code or "").strip() if isinstance(code, str) else ""
    if "@" in code:
        raise ConsentError(_("That looks like an e-mail address. Use a pseudonymous code, such as "
                             "initials or a number."), code="identifying_code")
    if PERSONAL_NUMBER_RE.search(code):
        raise ConsentError(_("That looks like a personal identity number. Use a pseudonymous code, "
                             "such as initials or a number."), code="identifying_code")
    if not CODE_RE.match(code):
        raise ConsentError(_("The code must be 1 to 20 letters, digits or dashes."), code="invalid_code")
    return code


def add_participant(group, code, actor):
    """Register a participant by code. :raise ConsentError: on a bad or duplicate code."""
    code = check_code(code)
    if any(p.code.lower() == code.lower() for p in group.participants):
        raise ConsentError(_("There is already a participant with code %(code)s.", code=code),
                           code="duplicate_code", status=409)
    participant = Participant(group=group, code=code, created_by_id=actor.id)
    db.session.add(participant)
    db.session.flush()
    audit.record("participant.create", participant, actor=actor, group_id=group.id)
    return participant


def participants_page(group, q="", page=1, per_page=paging.PER_PAGE):
    """A page of the group's participants by code, searched by code, with their consent rows."""
    query = (db.select(Participant).where(Participant.group_id == group.id)
             .options(selectinload(Participant.consents)).order_by(Participant.code, Participant.id))
    if (condition := paging.matching(q, Participant.code)) is not None:
        query = query.where(condition)
    return paging.paginate(query, page, per_page)


def check_consent(on_date, method, info_version, timecode=None):
    """The cleaned ``(timecode, info_version)`` of a consent. :raise ConsentError: on a bad field."""
    if not isinstance(on_date, date):
        raise ConsentError(_("Enter the date of the consent."))
    if on_date > clock.today():
        raise ConsentError(_("The date of the consent is in the future. Enter the day it was given."))
    if method not in CONSENT_METHODS:
        raise ConsentError(_("Choose how the consent was given."))
    timecode = (timecode or "").strip() or None
    if method == "oral_on_film" and (timecode is None or not TIMECODE_RE.match(timecode)):
        raise ConsentError(_("Oral consent on film needs the timecode where it is given, such as 0:02:15."))
    return timecode, check_info_version(info_version)


def check_info_version(info_version):
    """The stripped version of the information text. :raise ConsentError: when empty or too long."""
    info_version = (info_version or "").strip() if isinstance(info_version, str) else ""
    if not info_version or len(info_version) > 40:
        raise ConsentError(_("Enter the version of the information text (at most 40 characters)."))
    return info_version


def give_consent(participant, on_date, method, info_version, actor, timecode=None):
    """Record that ``participant`` consented to filming. :raise ConsentError: on a bad field."""
    timecode, info_version = check_consent(on_date, method, info_version, timecode)
    consent = Consent(participant=participant, kind=GIVEN, on_date=on_date, method=method,
                      timecode=timecode if method == "oral_on_film" else None,
                      info_version=info_version, registered_by_id=actor.id)
    db.session.add(consent)
    db.session.flush()
    audit.record("consent.given", participant, actor=actor, consent_id=consent.id, method=method,
                 info_version=info_version)
    return consent


def withdraw_consent(participant, on_date, actor):
    """Record a withdrawal and block playback of the sessions the participant attended that have
    a film (``portal.services.withdrawal.register`` adds the grace period and the deletion).

    Returns the blocked sessions. :raise ConsentError: when there is no consent to withdraw.
    """
    if not isinstance(on_date, date):
        raise ConsentError(_("Enter the date of the withdrawal."))
    if not participant.has_consent:
        raise ConsentError(_("%(code)s has no consent to withdraw.", code=participant.code),
                           code="no_consent", status=409)
    consent = Consent(participant=participant, kind=WITHDRAWN, on_date=on_date, registered_by_id=actor.id)
    db.session.add(consent)
    blocked = []
    for group_session in participant.group.sessions:
        attended = any(participant.id in c.attending for c in group_session.confirmations)
        if attended and has_film(group_session) and group_session.playback_blocked_at is None:
            group_session.playback_blocked_at = utcnow()
            group_session.playback_blocked_reason = WITHDRAWAL
            blocked.append(group_session)
    db.session.flush()
    audit.record("consent.withdrawn", participant, actor=actor, consent_id=consent.id,
                 blocked_sessions=[s.id for s in blocked])
    return blocked


def confirm_attendance(group_session, attending_ids, actor):
    """Store who attended ``group_session`` and that all of them consented.

    :raise ConsentError: 422 for ids not of this group; 409 ``consent_missing`` naming the
        codes of present participants without active consent.
    """
    participants = {p.id: p for p in group_session.group.participants}
    ids = sorted(set(attending_ids))
    unknown = [i for i in ids if i not in participants]
    if unknown:
        raise ConsentError(_("Some of the participants are not in this group."), code="unknown_participant")
    missing = [participants[i].code for i in ids if not participants[i].has_consent]
    if missing:
        raise ConsentError(_("These participants have no consent to filming: %(codes)s. Register "
                             "their consent, or leave them out if they were not present.",
                             codes=", ".join(sorted(missing))),
                           code="consent_missing", status=409, missing=sorted(missing))
    confirmation = ConsentConfirmation(group_session=group_session, attending=ids,
                                       confirmed_by_id=actor.id)
    db.session.add(confirmation)
    db.session.flush()
    audit.record("consent.confirmed", group_session, actor=actor, confirmation_id=confirmation.id,
                 attending=ids)
    return confirmation


def upload_gate(user, group_session):
    """None when ``user`` may start uploading the film of ``group_session``, else a
    ``Refusal(status, code, message)``: 404 when the session is hidden from the user, 403 when
    the user is not the uploader (or an allowed co-leader), 409 ``consent_not_confirmed``
    without a consent confirmation and 409 ``consent_withdrawn`` when someone present has since
    withdrawn consent.
    """
    group = group_session.group if group_session is not None else None
    if not permissions.can_view_group(user, group):
        return Refusal(404, "not_found", _("The session could not be found."))
    if group.archived or group_session.cancelled_at is not None:
        return Refusal(409, "not_held", _("The group is archived or the session was cancelled: no film is "
                                          "uploaded to it."))
    if not permissions.can_upload_to_group(user, group):
        return Refusal(403, "not_uploader", _("Only the group's designated uploader can upload films."))
    if group_session.confirmation is None:
        return Refusal(409, "consent_not_confirmed", _(
            "Before uploading, mark who attended the session and confirm that everyone present "
            "has consented to filming."))
    if session_playback_blocked(group_session) or withdrawn_since_confirmation(group_session):
        return Refusal(409, "consent_withdrawn", _(
            "A participant present at this session has withdrawn consent; its film cannot be uploaded."))
    return None


def has_film(group_session):
    """True when the session has a film that holds bytes (anything uploaded and not deleted)."""
    return any(r.status not in (AWAITING_UPLOAD, DELETED) for r in group_session.recordings)


def withdrawn_since_confirmation(group_session):
    """True when someone confirmed present has withdrawn consent since (a withdrawal annulled as a
    mistake does not count; a consent given again later does not undo it for this session)."""
    confirmation = group_session.confirmation
    if confirmation is None:
        return False
    present = set(confirmation.attending)
    return any(c.kind == WITHDRAWN and not c.annulled and as_utc(c.registered_at) >= as_utc(confirmation.confirmed_at)
               for p in group_session.group.participants if p.id in present for c in p.consents)


def session_playback_blocked(group_session):
    """True when a withdrawal of consent blocks playback of the session's film."""
    return group_session.playback_blocked_at is not None


def withdrawal_actions_pending(organisation):
    """The organisation's sessions blocked by a withdrawal, for the admin to act on."""
    return db.session.scalars(
        db.select(GroupSession).join(Group)
        .where(Group.organisation_id == organisation.id, GroupSession.playback_blocked_at.is_not(None))
        .order_by(GroupSession.playback_blocked_at.desc())).all()


class ConsentRow(NamedTuple):
    """One row of the group consent page, as the leader filled it in."""

    participant_id: int
    given: bool
    on_date: date | None
    method: str
    timecode: str | None = None


def consent_rows(group):
    """The group's participants for the group consent page, each with its latest consent row
    (None when never registered)."""
    return [(p, p.latest_consent) for p in group.participants]


def give_group_consent(group, rows, info_version, actor):
    """Register consent for several participants at once, all or nothing.

    ``rows`` are ``ConsentRow``; rows not marked ``given`` and participants who already have
    consent are left alone. Returns ``(registered, errors)``: the participants whose consent was
    registered, and ``{participant_id: message}`` for each row that could not be saved, plus
    ``{"info_version": message}`` for a missing version (then nothing is saved, so the leader
    corrects what is marked and sends the page again).
    """
    participants = {p.id: p for p in group.participants}
    wanted, errors = [], {}
    try:
        info_version = check_info_version(info_version)
    except ConsentError as error:
        errors["info_version"] = error.message
        info_version = "-"  # still check the rows, so every mistake shows at once
    for row in rows:
        participant = participants.get(row.participant_id)
        if participant is None:
            raise ConsentError(_("Some of the participants are not in this group."), code="unknown_participant")
        if not row.given or participant.has_consent:
            continue
        try:
            check_consent(row.on_date, row.method, info_version, row.timecode)
        except ConsentError as error:
            errors[participant.id] = error.message
        else:
            wanted.append((participant, row))
    if errors:
        return [], errors
    for participant, row in wanted:
        give_consent(participant, row.on_date, row.method, info_version, actor, timecode=row.timecode)
    return [p for p, _row in wanted], {}


def set_consent_text_version(organisation, version, actor):
    """Set the organisation's current version of the information text. :raise ConsentError:"""
    version = (version or "").strip()
    if not version or len(version) > 40:
        raise ConsentError(_("Enter the version of the information text (at most 40 characters)."))
    before = organisation.consent_text_version
    organisation.consent_text_version = version
    audit.record("organisation.consent_text_version", organisation, actor=actor, before=before, after=version)
